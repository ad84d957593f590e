"""`pks assess template` and `pks assess report`: the seeds' self-assessment and checklist.

A fill-in workbook, and from the answers a profile per area, the areas to develop first
and the trend over rounds (docs/assessment.md).
"""

from __future__ import annotations

from pathlib import Path

import click

from pks_opt.commands.common import finish, handles_input_errors, output_options

LANG = click.Choice(["sv", "en"], case_sensitive=False)


class _ReportByDefault(click.Group):
    """``pks assess answers.xlsx …`` means ``pks assess report answers.xlsx …``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Put ``report`` in front of arguments that do not start with a subcommand."""
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["report", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_ReportByDefault, context_settings={"help_option_names": ["-h", "--help"]})
def assess() -> None:
    """Self-assessment and checklist: where the PKS work stands and what to develop first.

    \b
    pks assess template --lang sv --out answers.xlsx
    pks assess answers.xlsx [more.xlsx …] --out D   (same as pks assess report …)
    """


@assess.command("template")
@click.option(
    "--lang",
    type=LANG,
    default="sv",
    show_default=True,
    help="Language of the texts and of the answer drop-downs.",
)
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The workbook to write (.xlsx; an existing file is never replaced).",
)
@handles_input_errors
def template(lang: str, out_file: Path) -> None:
    """Write the fill-in workbook of the self-assessment and the checklist.

    One sheet per instrument, columns respondent, unit, date, item id, area, text, answer, with
    a drop-down list of the answer scale on the answer cells, and a sheet of instructions.
    """
    from pks_opt.assessment.answers import write_template

    write_template(out_file, "en" if lang.lower() == "en" else "sv")
    click.echo(
        f"wrote {out_file}: fill in respondent, unit, date and answer, then "
        f"`pks assess report {out_file} --out FOLDER`"
    )


@assess.command("report")
@click.argument(
    "workbooks", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "--lang",
    type=LANG,
    default="sv",
    show_default=True,
    help="Language of the area and item texts in the tables and charts.",
)
@output_options
@handles_input_errors
def report(
    workbooks: tuple[Path, ...], lang: str, out: Path | None, excel: bool, as_json: bool
) -> None:
    """Profile of the answers in WORKBOOKS (one or many respondents, one or many rounds).

    Per area: the distribution of answers, a score, the agreement between respondents
    (profile.csv, distribution.csv, profile.png); the areas and items ranked by the seeds'
    rule — 'inte alls' and 'vet ej' first, then 'delvis' — with the pks-opt capabilities and
    seed sections that help (priorities.csv, priority_items.csv). A round is the date column
    (a blank date: the workbook's name); with two or more rounds, trend.csv and trend.png put
    them side by side. Any answer word of either language is read, whatever the case.
    """
    from pks_opt.assessment.profile import assess as run

    result = run(list(workbooks), lang="en" if lang.lower() == "en" else "sv")
    finish(result, out=out, excel=excel, as_json=as_json)
