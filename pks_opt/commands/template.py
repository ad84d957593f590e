"""`pks template KIND --out FILE.xlsx|DIR`: an empty, documented instance of a level."""

from __future__ import annotations

from pathlib import Path

import click

from pks_opt.commands.common import handles_input_errors
from pks_opt.template import KINDS


@click.command()
@click.argument("kind", type=click.Choice(KINDS))
@click.option(
    "--out",
    "target",
    type=click.Path(path_type=Path),
    default=None,
    help="The new workbook (ends in .xlsx) or folder (default: new-KIND.xlsx).",
)
@handles_input_errors
def template(kind: str, target: Path | None) -> None:
    """Write an empty instance of KIND (need, balance, plan, matrix, roster) to fill in.

    A workbook has one sheet per table with its columns (required ones in bold), a comment on
    every column saying what it holds, drop-down lists for fixed choices and for ids defined
    in another sheet, and a sheet 'about' with every column's meaning and an example. Fill
    the sheets (an optional sheet may stay empty) and run the level on the workbook.

    \b
    Examples:
      pks template plan --out my-clinic-plan.xlsx     # fill it in Excel, then:
      pks plan my-clinic-plan.xlsx --out results --excel
      pks template roster --out my-ward               # a folder of CSVs and a README.md
    """
    from pks_opt.template import write_template

    out = target if target is not None else Path(f"new-{kind}.xlsx")
    written = write_template(kind, out)
    what = "workbook" if written.suffix.lower() == ".xlsx" else "folder"
    click.echo(f"wrote {written} ({what}): fill it in, then run: pks {kind} {written}")
