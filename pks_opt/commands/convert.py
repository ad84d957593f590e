"""`pks convert INSTANCE TARGET`: an instance folder as one .xlsx workbook, or back."""

from __future__ import annotations

from pathlib import Path

import click

from pks_opt.commands.common import handles_input_errors


@click.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.argument("target", type=click.Path(path_type=Path))
@handles_input_errors
def convert(instance: Path, target: Path) -> None:
    """Write INSTANCE (a folder or .xlsx) as TARGET: a workbook if it ends in .xlsx, else a folder.

    Nothing is lost: folder → workbook → folder gives the same tables.

    \b
    Examples:
      pks convert instances/clinic-plan clinic-plan.xlsx    # edit it in Excel
      pks convert clinic-plan.xlsx my-clinic-plan           # and back to a folder
    """
    from pks_opt.convert import convert as run

    written = run(instance, target)
    kind = "workbook" if written.suffix.lower() == ".xlsx" else "folder"
    click.echo(f"wrote {written} ({kind})")
