"""Write a :class:`~pks_opt.result.Result` to a folder, all or nothing.

Everything is first written to a temporary folder beside ``out_dir`` and only then moved in,
so an error half-way (or bad input found late) never leaves a half-written output folder.
An output location that cannot be written (read-only folder or file system, full disk, a
parent that is a file, a name too long) raises :class:`~pks_opt.errors.OutputError`, which
the command line prints as one line ``cannot write to OUT: <reason>`` with exit code 2.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from pks_opt import interrupt
from pks_opt.errors import OutputError
from pks_opt.result import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

RESULT_FILE = "result.json"
EXCEL_FILE = "tables.xlsx"
MAX_SHEET_NAME = 31  # Excel's limit on sheet-name length


def write_result(
    result: Result,
    out_dir: str | Path,
    *,
    excel: bool = False,
    charts: Mapping[str, Figure] | None = None,
    replace: bool = False,
    subfolders: Mapping[str, Path] | None = None,
    part_charts: bool = True,
    csv_dialect: str = "comma",
    lang: str = "en",
) -> dict[str, Any]:
    """Write ``result.json``, one CSV per table, optional ``tables.xlsx`` and PNG charts.

    With ``replace`` the finished folder replaces ``out_dir`` whole (no stale files from an
    earlier run stay); without it the files are moved into ``out_dir`` beside what is there.
    ``subfolders`` (name → a finished folder) are moved in as sub-folders of the result, and
    ``result.parts`` are written as sub-folders (with their charts when ``part_charts``).
    ``csv_dialect`` ``sv``: the CSV tables as Swedish Excel opens them (``;``, decimal comma,
    UTF-8 with a BOM); ``comma`` (default): comma-separated UTF-8. ``lang``: the language of
    the parts' charts.
    Returns the envelope that was written; raises :class:`OutputError` when ``out_dir``
    cannot be written, leaving nothing behind.
    """
    out = Path(out_dir)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        raise output_error(out, exc) from None
    forget = interrupt.on_hard_exit(lambda: _discard(tmp))
    try:
        if csv_dialect not in CSV_DIALECTS:
            raise ValueError(f"csv_dialect must be one of {', '.join(CSV_DIALECTS)}")
        envelope = _write_into(result, tmp, excel=excel, charts=charts, dialect=csv_dialect)
        for name, part in result.parts.items():
            (tmp / name).mkdir()
            _write_into(
                part,
                tmp / name,
                excel=excel,
                charts=part.charts(lang) if part_charts else {},
                dialect=csv_dialect,
            )
        for name, folder in (subfolders or {}).items():
            Path(folder).replace(tmp / name)
        with interrupt.shielded():  # a signal now waits until the folder is in place
            if replace:
                replace_folder(tmp, out)
            else:
                out.mkdir(parents=True, exist_ok=True)
                for f in tmp.iterdir():
                    f.replace(out / f.name)
    except OSError as exc:
        raise output_error(out, exc) from None
    finally:
        forget()
        shutil.rmtree(tmp, ignore_errors=True)
    return envelope


def _discard(folder: Path) -> None:
    """Remove a staging folder the main thread may still be writing into.

    A second Ctrl-C runs this from the signal thread: renamed first, so the writer's next file
    fails to open instead of landing in a folder half removed (a hidden ``.out.xxxx`` was left
    behind once), then removed.
    """
    gone = folder.with_name(folder.name + ".gone")
    try:
        folder.rename(gone)
    except OSError:
        gone = folder
    shutil.rmtree(gone, ignore_errors=True)


def _write_into(
    result: Result,
    folder: Path,
    *,
    excel: bool,
    charts: Mapping[str, Figure] | None,
    dialect: str = "comma",
) -> dict[str, Any]:
    """Tables, workbook, charts and ``result.json`` of ``result`` into an empty ``folder``."""
    from pks_opt.rounding import MACHINE_TABLES, for_people, format_sheet

    table_files: dict[str, str] = {}
    for name, df in result.tables.items():
        fname = f"{name}.csv"
        if name not in MACHINE_TABLES:  # numbers rounded to their unit for the reader
            df = for_people(df)
        if dialect == "sv":
            df.to_csv(folder / fname, index=False, sep=";", decimal=",", encoding="utf-8-sig")
        else:
            df.to_csv(folder / fname, index=False)
        table_files[name] = fname
    if excel and result.tables:
        with _excel_writer(folder / EXCEL_FILE) as writer:
            first = SUMMARY_SHEET if SUMMARY_SHEET not in result.tables else "run_summary"
            summary_sheet(result).to_excel(writer, sheet_name=first, index=False)
            for name, df in result.tables.items():
                shown = for_people(df)
                shown.to_excel(writer, sheet_name=name[:MAX_SHEET_NAME], index=False)
                format_sheet(writer.sheets[name[:MAX_SHEET_NAME]], shown)
        table_files["excel"] = EXCEL_FILE
    chart_files: dict[str, str] = {}
    for name, fig in (charts or {}).items():
        fname = f"{name}.png"
        fig.savefig(folder / fname, dpi=110, bbox_inches="tight")
        _close_pyplot(fig)
        chart_files[name] = fname
    envelope = result.envelope(table_files, chart_files)
    if dialect != "comma":
        envelope["csv_dialect"] = dialect
    envelope["column_types"] = {
        name: {str(c): _column_type(df[c]) for c in df.columns}
        for name, df in result.tables.items()
    }
    (folder / RESULT_FILE).write_text(
        json.dumps(envelope, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return envelope


SUMMARY_SHEET = "summary"
#: how the CSV tables are written: comma + decimal point, or Swedish Excel's ';' + decimal comma
CSV_DIALECTS = ("comma", "sv")


def summary_sheet(result: Result) -> pd.DataFrame:
    """Lay out the workbook's first sheet, one item per row (``section, item, value``).

    What was solved, its status, the KPIs, the stages, the warnings and the explanation.
    """
    from pks_opt.result import jsonable

    rows: list[tuple[str, str, Any]] = [
        ("run", "kind", result.kind),
        ("run", "instance", result.instance),
        ("run", "status", result.status.value),
        ("run", "objective", jsonable(result.objective)),
        ("run", "bound", jsonable(result.bound)),
        ("run", "gap", jsonable(result.gap)),
        ("run", "runtime_s", round(result.runtime_s, 2)),
    ]
    from pks_opt.rounding import round_value

    for key, value in jsonable(result.kpis).items():
        if not isinstance(value, dict | list):
            rows.append(("kpi", str(key), round_value(str(key), value)))
    for stage in result.stages:
        proven = "proven optimal" if stage.status.value == "OPTIMAL" else stage.status.value.lower()
        rows.append(("stage", stage.name, f"{jsonable(stage.objective)} ({proven})"))
    rows += [("warning", str(i + 1), w) for i, w in enumerate(result.warnings)]
    rows += [("explanation", str(i + 1), e) for i, e in enumerate(result.explanation)]
    return pd.DataFrame(rows, columns=["section", "item", "value"])


def _column_type(column: pd.Series) -> str:
    """Type a column as :func:`pks_opt.api.load_result` reads it: ``number``, ``bool``, ``text``."""
    if pd.api.types.is_bool_dtype(column):
        return "bool"
    if pd.api.types.is_numeric_dtype(column):
        return "number"
    return "text"


def replace_folder(src: Path, out: Path) -> None:
    """Put the finished folder ``src`` at ``out``, replacing an earlier ``out`` whole.

    Two renames on the same file system: the old folder steps aside, the new one takes its
    place, then the old one is deleted; if the second rename fails the old folder is put back.
    Raises ``OSError``; :func:`write_result` turns it into :class:`OutputError`.
    """
    if not out.exists():
        src.rename(out)
        return
    check_replaceable(out)
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
    old.rmdir()
    out.rename(old)
    try:
        src.rename(out)
    except OSError:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def check_replaceable(out: Path) -> None:
    """Refuse to replace a folder that is neither empty nor a pks result folder.

    A result folder (one with ``result.json``) is replaced whole; any other folder with
    files in it may hold the user's own work, so it is never deleted.
    """
    if not out.exists():
        return
    if not out.is_dir():
        raise OutputError(out, "it is a file, not a folder")
    if (out / RESULT_FILE).is_file() or not any(out.iterdir()):
        return
    raise OutputError(
        out,
        f"the folder exists and is not a pks result folder (no {RESULT_FILE}); "
        "choose a new or empty folder",
    )


def output_error(out: Path, exc: OSError) -> OutputError:
    """One-line :class:`OutputError` for an ``OSError`` met while writing ``out``."""
    return OutputError(out, os_reason(out, exc))


def os_reason(out: Path, exc: OSError) -> str:
    """Word an OS error for the user: a parent that is a file is named; else the OS's words."""
    for p in [out, *out.parents]:
        try:
            if p.exists() and not p.is_dir():
                return f"{p} is a file, not a folder"
        except OSError:
            break
    code = exc.errno
    if code is None:
        return str(exc)
    text = os.strerror(code).lower()
    if code in (errno.EPERM, errno.EACCES):
        return f"{text} (read-only folder or no write access)"
    return text


def _excel_writer(path: Path) -> Any:
    return pd.ExcelWriter(path, engine="openpyxl")


def _close_pyplot(fig: Any) -> None:
    """Free a figure pyplot keeps (levels that still draw through pyplot).

    The library's own figures are plain :class:`~matplotlib.figure.Figure` objects pyplot never
    saw.
    """
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close(fig)
