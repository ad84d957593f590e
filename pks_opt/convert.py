"""Convert an instance between a folder and one ``.xlsx`` workbook (``pks convert``).

A folder is ``instance.yaml`` + one CSV per table; a workbook has a sheet ``instance`` with
``key, value`` rows and one sheet per table, so a planner can edit an instance in Excel and
hand it back.

Nothing is lost: the manifest's keys (``parameters.x`` dotted in the workbook), every table,
its columns in order and every cell. A CSV cell that is exactly how a number is written
(``12``, ``-0.5``) becomes a number cell in the workbook; everything else stays text (``007``,
``NA``, ``1.50``, ``1.0``), and a number-looking id is read back as text by every level (ids
are always text). A workbook's number cells are written to CSV as the shortest text that
reads back as the same number, so folder → workbook → folder gives the same CSV text.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from pks_opt.errors import InputError, OutputError
from pks_opt.io import MANIFEST_NAME, MANIFEST_SHEET, RawInstance, read_raw

#: a number as a CSV writes it canonically: no leading zeros, no leading '+', no spaces
CANONICAL_NUMBER = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$")


def convert(source: str | Path, target: str | Path) -> Path:
    """Write the instance ``source`` (folder or ``.xlsx``) as ``target``, which must not exist.

    A workbook when ``target`` ends in ``.xlsx``, else a folder.

    Raises
    ------
    InputError
        ``source`` cannot be read, or ``target`` exists or is the source.
    OutputError
        ``target`` cannot be written (nothing is left behind).
    """
    raw = read_raw(source)
    out = Path(target)
    if out.exists():
        raise InputError("exists already: convert writes a new file or folder", file=str(out))
    to_xlsx = out.suffix.lower() == ".xlsx"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        raise OutputError(out, exc.strerror or str(exc)) from None
    try:
        staged = tmp / out.name
        if to_xlsx:
            write_workbook(raw, staged)
        else:
            write_folder(raw, staged)
        staged.replace(out)
    except OSError as exc:
        raise OutputError(out, exc.strerror or str(exc)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


#: the manifest key naming how a Swedish instance's CSV tables are written: ``sv`` (``;`` and
#: decimal comma, as Swedish Excel saves them) or ``comma``; ``pks`` results follow it too
DIALECT_KEY = "csv_dialect"
DIALECTS = ("comma", "sv")


def csv_dialect_of(manifest: Any, where: str) -> str | None:
    """Read the manifest's ``csv_dialect`` (None: not set).

    Raises
    ------
    InputError
        A value other than ``comma`` or ``sv``.
    """
    if not isinstance(manifest, dict) or manifest.get(DIALECT_KEY) is None:
        return None
    value = str(manifest[DIALECT_KEY]).strip().lower()
    if value not in DIALECTS:
        raise InputError(
            f"must be one of {', '.join(DIALECTS)} (got {manifest[DIALECT_KEY]!r})",
            file=where,
            field=DIALECT_KEY,
        )
    return value


def instance_csv_dialect(path: str | Path) -> str | None:
    """Read the ``csv_dialect`` of the instance at ``path`` without its tables.

    From a folder's ``instance.yaml`` or a workbook's ``instance`` sheet; None when not set or
    when the path is not an instance (the level reports that).
    """
    from pks_opt.io import load_yaml

    p = Path(path)
    if p.is_dir() and (p / MANIFEST_NAME).is_file():
        return csv_dialect_of(load_yaml(p / MANIFEST_NAME), str(p / MANIFEST_NAME))
    if p.is_file() and p.suffix.lower() == ".xlsx":
        return csv_dialect_of(_workbook_manifest(p), f"{p}[{MANIFEST_SHEET}]")
    return None


def _workbook_manifest(path: Path) -> dict[str, Any]:
    import openpyxl  # type: ignore[import-untyped]

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # not readable: the level's reader says why
        return {}
    try:
        if MANIFEST_SHEET not in wb.sheetnames:
            return {}
        rows = wb[MANIFEST_SHEET].iter_rows(values_only=True)
        head = [str(c).strip() if c is not None else "" for c in next(rows, ())]
        if "key" not in head or "value" not in head:
            return {}
        k, v = head.index("key"), head.index("value")
        return {
            str(r[k]).strip(): r[v]
            for r in rows
            if len(r) > max(k, v) and r[k] is not None and "." not in str(r[k])
        }
    finally:
        wb.close()


def manifest_of(raw: RawInstance) -> dict[str, Any]:
    """Strip ``tables`` from the manifest (file names are the table names in both formats)."""
    return {k: v for k, v in raw.manifest.items() if k != "tables"}


def write_folder(raw: RawInstance, folder: Path) -> None:
    """Write ``instance.yaml`` and one CSV per table.

    UTF-8, comma, a line break after every row; with ``csv_dialect: sv`` in the manifest ``;``
    and decimal comma, UTF-8 with a BOM, as Swedish Excel saves them.
    """
    folder.mkdir(parents=True)
    text = yaml.safe_dump(manifest_of(raw), sort_keys=False, allow_unicode=True)
    (folder / MANIFEST_NAME).write_text(text, encoding="utf-8")
    swedish = csv_dialect_of(raw.manifest, raw.manifest_where) == "sv"
    for name, table in raw.tables.items():
        encoding = "utf-8-sig" if swedish else "utf-8"
        with (folder / f"{name}.csv").open("w", newline="", encoding=encoding) as fh:
            w = csv.writer(fh, lineterminator="\n", delimiter=";" if swedish else ",")
            w.writerow(table.columns)
            for row in table.rows:
                cells = [_csv_text(row.get(c)) for c in table.columns]
                w.writerow([_decimal_comma(c) for c in cells] if swedish else cells)


def write_workbook(raw: RawInstance, path: Path) -> None:
    """Write the sheet ``instance`` and one sheet per table, numbers as number cells.

    The ``instance`` sheet holds ``key, value`` rows: nested keys dotted, values as YAML.
    """
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = MANIFEST_SHEET
    ws.append(["key", "value"])
    for key, value in _flatten(manifest_of(raw)):
        ws.append([key, _yaml_text(value)])
    for name, table in raw.tables.items():
        if len(name) > 31:
            raise InputError(
                f"table name '{name}' is longer than Excel's 31 characters for a sheet name",
                file=table.where,
            )
        sheet = wb.create_sheet(name)
        sheet.append(list(table.columns))
        for row in table.rows:
            sheet.append([_cell(row.get(c)) for c in table.columns])
    wb.save(path)


def _flatten(manifest: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``parameters: {a: 1}`` → ``("parameters.a", 1)``; lists and scalars stay whole."""
    out: list[tuple[str, Any]] = []
    for key, value in manifest.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.extend(_flatten(value, f"{name}."))
        else:
            out.append((name, value))
    return out


def _yaml_text(value: Any) -> Any:
    """Write a manifest value as a workbook ``value`` cell: numbers as numbers, the rest YAML."""
    if isinstance(value, bool) or value is None:
        return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        dumped = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True).strip()
        dumped = dumped.removesuffix("...").strip()
        return value if dumped == value else dumped
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip()


def _cell(value: Any) -> Any:
    """Turn a CSV cell into a workbook cell that writes back the same text.

    A number cell when the text is exactly how that number is written (``12``, ``0.25``);
    else text.
    """
    if value is None:
        return None
    if isinstance(value, str) and CANONICAL_NUMBER.match(value):
        if "." not in value and "e" not in value.lower():
            number = int(value)
            if abs(number) < 2**53 and str(number) == value:
                return number
        elif (
            math.isfinite(float(value))
            and repr(float(value)) == value
            and not float(value).is_integer()
        ):  # '1.0' stays text: a cell 1.0 reads as 1
            return float(value)
    return value


def _decimal_comma(text: str) -> str:
    """``0.25`` → ``0,25`` for a number as written; any other text as it is."""
    return text.replace(".", ",") if CANONICAL_NUMBER.match(text) and "." in text else text


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    return str(value)
