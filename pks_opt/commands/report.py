"""`pks report DIR… --out report.html`: one HTML file people read."""

from __future__ import annotations

from pathlib import Path

import click

from pks_opt.commands.common import current_lang, handles_input_errors, lang_option


@click.command("report")
@click.argument("dirs", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="The HTML file to write.",
)
@lang_option
@click.option("--title", default=None, help="The report's title (default: by language).")
@handles_input_errors
def report(dirs: tuple[Path, ...], out_file: Path, title: str | None) -> None:
    """One self-contained HTML report of result folders.

    DIR is a result folder of any level, a `pks demo` or `pks cycle` output, or a folder
    holding result folders; give several to report a chain. The file opens offline (charts,
    styles and script inline) and prints to A4.
    """
    from pks_opt.report.html import build_report

    path = build_report(list(dirs), out_file, lang=current_lang(), title=title)
    size = path.stat().st_size / 1e6
    click.echo(f"wrote {path} ({size:.1f} MB): open it in a browser")
