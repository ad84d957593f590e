"""`pks trace DIR… --unit U --object O`: one roster row explained back to its goal and need."""

from __future__ import annotations

from pathlib import Path

import click

from pks_opt.commands.common import handles_input_errors


@click.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--unit", required=True, help="The unit whose chain to explain.")
@click.option("--object", "obj", required=True, help="The planning object / activity type.")
@click.option(
    "--id", "start", default=None, help="Start at this trace id instead of the lowest row."
)
@handles_input_errors
def trace(folders: tuple[Path, ...], unit: str, obj: str, start: str | None) -> None:
    """Explain the chain need → balance → plan → matrix → roster in plain words.

    Reads every trace.csv in FOLDERS and below (e.g. the folder of `pks demo`, or one
    handshake of a cycle with its balance), starts at the lowest level's first row of the unit
    and object (or --id) and follows its parents up to the need.
    """
    from pks_opt.trace import explain_chain, read_traces

    rows = read_traces(list(folders))
    for line in explain_chain(rows, unit, obj, start):
        click.echo(line)
