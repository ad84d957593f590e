"""Read instances: a folder with ``instance.yaml`` + CSV tables, or one ``.xlsx`` workbook.

Both formats hold the same thing: a *manifest* (kind, name, parameters) and named *tables*
with the same columns. :func:`read_raw` loads either into a :class:`RawInstance` of untyped
rows; each planning level then turns the rows into frozen pydantic data with
:func:`parse_rows`, which names file, row and field in every error.

Folder layout::

    my-instance/
      instance.yaml        # kind: strategic, name: ..., parameters: {...}, tables: {units: units.csv}
      units.csv            # one CSV per table; the file name defaults to <table>.csv
      ...

Workbook layout: a sheet ``instance`` with columns ``key, value`` (values parsed as YAML, so
``[a, b]`` is a list; dotted keys such as ``parameters.occupancy`` nest), and one sheet per table.
Row numbers in messages are spreadsheet rows: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from pks_opt.errors import InputError, InputWarning

MANIFEST_NAME = "instance.yaml"
MANIFEST_SHEET = "instance"

RowT = TypeVar("RowT", bound=BaseModel)


class Row(BaseModel):
    """Base of every table row: immutable, no NaN/inf, surrounding blanks stripped."""

    model_config = ConfigDict(
        frozen=True, extra="ignore", allow_inf_nan=False, str_strip_whitespace=True
    )


class Frozen(BaseModel):
    """Base of validated instance data: immutable, no NaN/inf."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


@dataclass(frozen=True)
class Table:
    """One table as read: its display name (for messages) and its rows as ``{column: str|None}``."""

    name: str
    where: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    #: Spreadsheet row of each data row (blank rows are skipped, so they need not be
    #: consecutive); empty means "consecutive from row 2".
    row_numbers: tuple[int, ...] = ()

    def row_number(self, index: int) -> int:
        """Spreadsheet row number of data row ``index`` (0-based): header is row 1."""
        if self.row_numbers:
            return self.row_numbers[index]
        return index + 2


@dataclass(frozen=True)
class RawInstance:
    """A manifest plus untyped tables, whatever file format they came from."""

    source: Path
    manifest: Mapping[str, Any]
    tables: Mapping[str, Table]
    manifest_where: str = field(default="")

    @property
    def name(self) -> str:
        return str(self.manifest.get("name") or self.source.stem)

    @property
    def kind(self) -> str | None:
        kind = self.manifest.get("kind")
        return None if kind is None else str(kind)

    @property
    def parameters(self) -> Mapping[str, Any]:
        params = self.manifest.get("parameters") or {}
        if not isinstance(params, Mapping):
            raise InputError("'parameters' must be a mapping", file=self.manifest_where)
        return params

    def has(self, name: str) -> bool:
        return name in self.tables

    def table(self, name: str) -> Table:
        """The table ``name``; a missing table is an :class:`InputError`."""
        try:
            return self.tables[name]
        except KeyError:
            if self.source.suffix.lower() == ".xlsx":
                raise InputError(f"missing sheet '{name}'", file=str(self.source)) from None
            raise InputError(
                f"missing table '{name}' (expected {name}.csv or an entry under 'tables')",
                file=str(self.source),
            ) from None

    def with_tables(self, updates: Mapping[str, Table]) -> RawInstance:
        """A copy with some tables replaced (scenarios build variants this way, then re-parse)."""
        return RawInstance(
            self.source, self.manifest, {**self.tables, **updates}, self.manifest_where
        )


# --------------------------------------------------------------------------- reading


def read_raw(path: str | Path, *, expect_kind: str | None = None) -> RawInstance:
    """Read an instance folder (``instance.yaml`` + CSVs) or an ``.xlsx`` workbook.

    Raises
    ------
    InputError
        The path does not exist, YAML/CSV/xlsx is malformed, or the manifest's ``kind``
        differs from ``expect_kind``.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or folder", file=str(p))
    if p.is_dir():
        raw = _read_folder(p)
    elif p.suffix.lower() == ".xlsx":
        raw = _read_workbook(p)
    elif p.suffix.lower() in (".yaml", ".yml") and p.name == MANIFEST_NAME:
        raw = _read_folder(p.parent)
    else:
        raise InputError(
            f"expected a folder with {MANIFEST_NAME} or an .xlsx workbook", file=str(p)
        )
    if expect_kind is not None and raw.kind is not None and raw.kind != expect_kind:
        raise InputError(
            f"this is a '{raw.kind}' instance, expected '{expect_kind}'",
            file=raw.manifest_where,
            field="kind",
        )
    return raw


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; syntax errors become an :class:`InputError` with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=str(path)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise InputError(f"malformed YAML{line}: {problem}", file=str(path)) from None


def _read_folder(folder: Path) -> RawInstance:
    manifest_path = folder / MANIFEST_NAME
    if not manifest_path.exists():
        raise InputError(f"missing {MANIFEST_NAME}", file=str(folder))
    manifest = load_yaml(manifest_path)
    if manifest is None:
        manifest = {}
    if not isinstance(manifest, dict):
        raise InputError("the manifest must be a YAML mapping", file=str(manifest_path))
    files: dict[str, Path] = {}
    declared = manifest.get("tables") or {}
    if not isinstance(declared, dict):
        raise InputError("'tables' must map table names to CSV files", file=str(manifest_path))
    for csv_path in sorted(folder.glob("*.csv")):
        files[csv_path.stem] = csv_path
    for name, rel in declared.items():
        target = folder / str(rel)
        if not target.exists():
            raise InputError(
                f"table '{name}' points to '{rel}', which does not exist",
                file=str(manifest_path),
                field="tables",
            )
        files[str(name)] = target
    tables = {name: _read_csv(name, f) for name, f in files.items()}
    return RawInstance(folder, manifest, tables, str(manifest_path))


def read_result_csv(
    path: Path, required: Iterable[str], *, missing: str, text: bool = True
) -> pd.DataFrame:
    """A table of an earlier result folder (``production_goals.csv``, ``feedback.csv``…).

    ``missing`` is the message when the file is not there. ``text``: every cell as stripped
    text (the caller validates numbers with row numbers); otherwise pandas' own types.

    Raises
    ------
    InputError
        Missing file, an empty or malformed file, a missing column (row 1).
    """
    where = str(path)
    if not Path(path).is_file():
        raise InputError(missing, file=where)
    try:
        if text:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
        else:
            df = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise InputError("empty file (a header row is needed)", file=where) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"malformed CSV: {str(exc).strip()}", file=where) from None
    df.columns = [str(c).strip() for c in df.columns]
    for col in required:
        if col not in df.columns:
            raise InputError(f"missing column '{col}'", file=where, row=1)
    if text:
        df = df.apply(lambda c: c.str.strip())
    return df


def _read_csv(name: str, path: Path) -> Table:
    """Read a CSV with the standard library, so every record keeps its row number.

    A record with more fields than the header, or an unterminated quote, is an error naming the
    row (record number, header = row 1; a quoted field may span lines). Missing trailing fields
    are blank, as spreadsheets often write them.
    """
    where = str(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, skipinitialspace=True, strict=True)
            records: list[list[str]] = []
            try:
                records.extend(reader)
            except csv.Error as exc:
                raise InputError(
                    f"malformed CSV: {exc}", file=where, row=len(records) + 1
                ) from None
    except UnicodeDecodeError:
        raise InputError("malformed CSV: not UTF-8 text", file=where) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=where) from None
    if not records or not any(c.strip() for c in records[0]):
        raise InputError("empty file (a header row is needed)", file=where)
    columns = tuple(c.strip() for c in records[0])
    _check_header(columns, where)
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    for i, rec in enumerate(records[1:], start=2):
        if all(not c.strip() for c in rec):
            continue
        if len(rec) > len(columns):
            raise InputError(
                f"malformed CSV: {len(rec)} field(s), the header has {len(columns)}",
                file=where,
                row=i,
            )
        padded = rec + [""] * (len(columns) - len(rec))
        rows.append({col: _cell(v) for col, v in zip(columns, padded, strict=True)})
        numbers.append(i)
    return Table(name, where, columns, tuple(rows), tuple(numbers))


def _read_workbook(path: Path) -> RawInstance:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise InputError(f"cannot read workbook: {exc}", file=str(path)) from None
    manifest: dict[str, Any] = {}
    where = f"{path}[{MANIFEST_SHEET}]"
    if MANIFEST_SHEET in sheets:
        df = sheets.pop(MANIFEST_SHEET)
        if not {"key", "value"} <= set(map(str, df.columns)):
            raise InputError("the 'instance' sheet needs columns 'key' and 'value'", file=where)
        for i, (key, value) in enumerate(zip(df["key"], df["value"], strict=True)):
            if _is_blank(key):
                continue
            parsed = _yaml_scalar(value, where, i + 2)
            _set_dotted(manifest, str(key).strip(), parsed)
    tables = {
        str(name): _frame_to_table(str(name), f"{path}[{name}]", df.astype(object))
        for name, df in sheets.items()
    }
    return RawInstance(path, manifest, tables, where)


def _yaml_scalar(value: Any, where: str, row: int) -> Any:
    if _is_blank(value):
        return None
    if not isinstance(value, str):
        return value
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError:
        raise InputError("value is not valid YAML", file=where, row=row, field="value") from None


def _set_dotted(target: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _cell(value: Any) -> Any:
    """Blank cells become None; numbers from Excel stay numbers; text is stripped."""
    if _is_blank(value):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def _frame_to_table(name: str, where: str, df: pd.DataFrame) -> Table:
    columns = tuple(str(c).strip() for c in df.columns)
    _check_header(columns, where)
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    for i, record in enumerate(df.itertuples(index=False, name=None), start=2):
        if all(_is_blank(v) for v in record):
            continue
        rows.append({col: _cell(v) for col, v in zip(columns, record, strict=True)})
        numbers.append(i)
    return Table(name, where, columns, tuple(rows), tuple(numbers))


def _check_header(columns: tuple[str, ...], where: str) -> None:
    if any(c == "" or c.startswith("Unnamed:") for c in columns):
        raise InputError("a column has no header", file=where, row=1)
    if len(set(columns)) != len(columns):
        dup = next(c for c in columns if columns.count(c) > 1)
        raise InputError(f"column '{dup}' appears twice", file=where, row=1, field=dup)


# --------------------------------------------------------------------------- parsing


def parse_rows(
    table: Table,
    model: type[RowT],
    *,
    required: Iterable[str] | None = None,
) -> tuple[RowT, ...]:
    """Validate every row of ``table`` into ``model``; errors name file, row and field.

    Columns the model requires must be present (checked once, with a clear message); columns
    the model does not know are reported as a warning (a misspelt optional column would
    otherwise be silently ignored).
    """
    fields = model.model_fields
    needed = (
        set(required) if required is not None else {n for n, f in fields.items() if f.is_required()}
    )
    missing = [c for c in fields if c in needed and c not in table.columns]
    if missing:
        raise InputError(f"missing column '{missing[0]}'", file=table.where, row=1)
    unknown = [c for c in table.columns if c not in fields]
    if unknown:
        warnings.warn(
            f"{table.where}: column(s) {', '.join(repr(c) for c in unknown)} not used",
            InputWarning,
            stacklevel=2,
        )
    out: list[RowT] = []
    for i, row in enumerate(table.rows):
        data = {k: v for k, v in row.items() if k in fields and v is not None}
        try:
            out.append(model.model_validate(data))
        except ValidationError as exc:
            raise validation_to_input_error(exc, table.where, table.row_number(i)) from None
    return tuple(out)


def validation_to_input_error(exc: ValidationError, where: str, row: int | None) -> InputError:
    """The first pydantic error as one :class:`InputError` line."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ()))
    msg = err.get("msg", "invalid value")
    if err.get("type") == "missing":
        msg = "missing value"
    value = err.get("input")
    if err.get("type") not in ("missing",) and not isinstance(value, dict | list):
        msg = f"{msg} (got {value!r})"
    return InputError(msg, file=where, row=row, field=loc or None)


def parse_parameters(raw: RawInstance, model: type[RowT]) -> RowT:
    """Validate the manifest's ``parameters`` mapping (defaults fill what is not given)."""
    try:
        return model.model_validate(dict(raw.parameters))
    except ValidationError as exc:
        err = validation_to_input_error(exc, raw.manifest_where, None)
        if err.field:
            err = InputError(err.message, file=err.file, field=f"parameters.{err.field}")
        raise err from None


def check_unique(
    rows: Sequence[BaseModel], table: Table, *fields_: str, what: str | None = None
) -> None:
    """Raise on the first row whose key (``fields_``) repeats an earlier row's."""
    seen: dict[tuple[Any, ...], int] = {}
    for i, row in enumerate(rows):
        key = tuple(getattr(row, f) for f in fields_)
        if key in seen:
            label = what or "/".join(fields_)
            shown = key[0] if len(key) == 1 else key
            raise InputError(
                f"duplicate {label} {shown!r} (first on row {table.row_number(seen[key])})",
                file=table.where,
                row=table.row_number(i),
                field=fields_[0],
            )
        seen[key] = i


def check_ref(
    rows: Sequence[BaseModel],
    table: Table,
    field_: str,
    known: Iterable[Any],
    what: str,
    *,
    optional: bool = False,
) -> None:
    """Raise on the first row whose ``field_`` is not among ``known`` ("unit 'X' is not defined")."""
    known_set = set(known)
    for i, row in enumerate(rows):
        value = getattr(row, field_)
        if value is None and optional:
            continue
        if value not in known_set:
            raise InputError(
                f"{what} '{value}' is not defined",
                file=table.where,
                row=table.row_number(i),
                field=field_,
            )
