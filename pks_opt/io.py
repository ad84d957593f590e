"""Read instances: a folder with ``instance.yaml`` + CSV tables, or one ``.xlsx`` workbook.

Both formats hold the same thing: a *manifest* (kind, name, parameters) and named *tables*
with the same columns. :func:`read_raw` loads either into a :class:`RawInstance` of untyped
rows; each planning level then turns the rows into frozen pydantic data with
:func:`parse_rows`, which names file, row and field in every error.

Folder layout::

    my-instance/
      instance.yaml        # kind: strategic, name: ..., parameters: {...},
                           # tables: {units: units.csv}
      units.csv            # one CSV per table; the file name defaults to <table>.csv
      ...

Workbook layout: a sheet ``instance`` with columns ``key, value`` (values parsed as YAML, so
``[a, b]`` is a list; dotted keys such as ``parameters.occupancy`` nest), and one sheet per table.
Row numbers in messages are spreadsheet rows: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import math
import re
import stat
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo

from pks_opt.errors import InputError
from pks_opt.limits import MAX_ANY_NUMBER

MANIFEST_NAME = "instance.yaml"
MANIFEST_SHEET = "instance"

RowT = TypeVar("RowT", bound=BaseModel)
ModelT = TypeVar("ModelT", bound=BaseModel)
#: validation-context key of the tables a reader passes to its data class (:func:`validated`)
SOURCES = "sources"


class Row(BaseModel):
    """Base of every table row: immutable, no NaN/inf, surrounding blanks stripped.

    Ids are text: a number given for a text field (a workbook cell ``1001``) reads as ``"1001"``.
    A true/false value for a numeric field is refused by :func:`parse_rows` and
    :func:`parse_parameters` (pydantic alone would read ``True`` as 1).
    """

    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        allow_inf_nan=False,
        str_strip_whitespace=True,
        coerce_numbers_to_str=True,
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
    #: A workbook sheet's column letter of each column (``"C"``), in the order of ``columns``;
    #: empty for a CSV table (or a table a scenario rebuilt).
    letters: tuple[str, ...] = ()

    def row_number(self, index: int) -> int:
        """Spreadsheet row number of data row ``index`` (0-based): header is row 1."""
        if self.row_numbers:
            return self.row_numbers[index]
        return index + 2

    def cell(self, index: int, column: str | None) -> str | None:
        """Name the workbook cell of data row ``index`` in ``column`` as Excel does (``staff!C7``).

        None for a CSV table or a column the table does not have.
        """
        if not self.letters or column not in self.columns:
            return None
        letter = self.letters[self.columns.index(column)]
        return f"{sheet_ref(self.name)}!{letter}{self.row_number(index)}"


def sheet_ref(sheet: str) -> str:
    """Write a sheet name as a cell reference does: ``staff``, or quoted ``'my sheet'``."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


@dataclass(frozen=True)
class RawInstance:
    """A manifest plus untyped tables, whatever file format they came from."""

    source: Path
    manifest: Mapping[str, Any]
    tables: Mapping[str, Table]
    manifest_where: str = field(default="")
    #: workbook only: the ``instance`` sheet's row of each (dotted) key
    manifest_rows: Mapping[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The manifest's ``name``, else the file or folder name."""
        return str(self.manifest.get("name") or self.source.stem)

    @property
    def kind(self) -> str | None:
        """The manifest's ``kind`` (``strategic``, ``tactical``, …), or None."""
        kind = self.manifest.get("kind")
        return None if kind is None else str(kind)

    @property
    def parameters(self) -> Mapping[str, Any]:
        """The manifest's ``parameters`` mapping (empty when absent)."""
        params = self.manifest.get("parameters") or {}
        if not isinstance(params, Mapping):
            raise InputError("'parameters' must be a mapping", file=self.manifest_where)
        return params

    def has(self, name: str) -> bool:
        """Tell whether the instance has a table ``name``."""
        return name in self.tables

    def table(self, name: str) -> Table:
        """Give the table ``name``; a missing table is an :class:`InputError`."""
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
        """Copy with some tables replaced (scenarios build variants this way, then re-parse)."""
        return RawInstance(
            self.source,
            self.manifest,
            {**self.tables, **updates},
            self.manifest_where,
            self.manifest_rows,
        )


# --------------------------------------------------------------------------- reading rules
#
# The rules below are documented for users in docs/reading-rules.md ("Reading rules (all
# instances)"); keep the two in step.

#: Largest CSV table read (bytes); a bigger file is refused before it is read.
MAX_CSV_BYTES = 200 * 1024 * 1024
#: Largest ``.xlsx`` workbook read (bytes, as stored) …
MAX_XLSX_BYTES = 100 * 1024 * 1024
#: … and the most its parts may unpack to (a zip bomb is refused before it is unpacked).
MAX_XLSX_UNPACKED_BYTES = 1024 * 1024 * 1024
#: Largest YAML file read (``instance.yaml``, scenario and cycle files).
MAX_YAML_BYTES = 10 * 1024 * 1024
#: Most YAML aliases (``*name`` references) one file may use: a "billion laughs" file is
#: refused instead of being expanded.
MAX_YAML_ALIASES = 100
#: … and at most this many nodes in all the aliases expand to.
MAX_YAML_ALIAS_NODES = 10_000

SAVE_AS = "save it as UTF-8 (CSV UTF-8) or as Swedish Excel CSV (semicolon-separated)"

# A well-formed UTF-8 multi-byte sequence: in a file that is not valid UTF-8 as a whole, one of
# these means UTF-8 and Windows-1252 text are mixed (decoding either way would garble letters).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
# Swedish Excel numbers, as it writes them in "CSV (semikolonavgränsad)": decimal comma, and
# (when the cell has a number format with grouping) thousands separated by a space, a
# non-breaking space or a narrow non-breaking space. The first group never starts with 0, so
# "08 123 456" (a phone number) stays text.
_DECIMAL_COMMA = re.compile(r"-?\d+,\d+")
_GROUPED_NUMBER = re.compile(r"-?[1-9]\d{0,2}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?")
_SWEDISH_BOOLEANS = {"SANT": "TRUE", "FALSKT": "FALSE"}


def check_regular_file(path: Path, *, limit: int, what: str) -> None:
    """Refuse before reading: a missing path, a folder/device/pipe, a file over ``limit`` bytes."""
    where = str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError("no such file", file=where) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=where) from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(
            f"not a regular file (a folder, device or pipe cannot be read as {what})", file=where
        )
    if st.st_size > limit:
        raise InputError(
            f"the file is {st.st_size / 2**20:.0f} MB, more than the {limit // 2**20} MB"
            f" {what} may have",
            file=where,
        )


def decode_text(data: bytes, where: str) -> str:
    """Text of a file: UTF-8 (with or without byte-order mark), else Windows-1252 (cp1252).

    Never guesses: a file that is neither, that mixes the two, or that holds NUL bytes
    (UTF-16 "Unicode text") is refused with a line number and how to save it instead.
    """
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise InputError(
            f"not a text file (line {line} holds a NUL byte, as UTF-16 'Unicode text' does):"
            f" {SAVE_AS}",
            file=where,
        )
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"starts as UTF-8 but line {_line_of(data, exc.start + 3)} is not UTF-8: {SAVE_AS}",
                file=where,
            ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.start
    if _UTF8_SEQUENCE.search(data):
        raise InputError(
            f"mixes UTF-8 and Windows-1252 text (line {_line_of(data, bad)} is not UTF-8):"
            f" {SAVE_AS}",
            file=where,
        )
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"neither UTF-8 nor Windows-1252 text (byte 0x{data[exc.start]:02x} on line"
            f" {_line_of(data, exc.start)}): {SAVE_AS}",
            file=where,
        ) from None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def read_text(path: Path, *, limit: int, what: str) -> str:
    """Read a text file after the regular-file and size checks (see :func:`decode_text`)."""
    check_regular_file(path, limit=limit, what=what)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=str(path)) from None
    return decode_text(data, str(path))


def csv_separator(text: str) -> str:
    """``;`` when the header line holds a ``;`` and no ``,`` outside quotes, else ``,``."""
    quoted = False
    semicolons = commas = 0
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch in "\r\n":
            break
        elif ch == ";":
            semicolons += 1
        elif ch == ",":
            commas += 1
    return ";" if semicolons and not commas else ","


def swedish_cell(value: str) -> str:
    """Rewrite a cell of a semicolon-separated (Swedish Excel) CSV in the form the models read.

    ``0,25`` → ``0.25``; ``1 234,5`` → ``1234.5``; ``SANT``/``FALSKT`` → ``TRUE``/``FALSE``;
    anything else unchanged.
    """
    s = value.strip()
    if _DECIMAL_COMMA.fullmatch(s):
        return s.replace(",", ".")
    if _GROUPED_NUMBER.fullmatch(s):
        return re.sub(r"[ \u00a0\u202f]", "", s).replace(",", ".")
    return _SWEDISH_BOOLEANS.get(s, value)


# --------------------------------------------------------------------------- reading


def read_raw(
    path: str | Path, *, expect_kind: str | None = None, allow_outside: bool = False
) -> RawInstance:
    """Read an instance folder (``instance.yaml`` + CSVs) or an ``.xlsx`` workbook.

    ``allow_outside``: a table path under the manifest's ``tables:`` may point outside the
    instance folder (refused by default: an instance is the folder, and a manifest must not
    make the program read files elsewhere).

    Raises
    ------
    InputError
        The path does not exist, YAML/CSV/xlsx is malformed or breaks a reading rule (see
        ``docs/reading-rules.md``), or the manifest's ``kind`` differs from ``expect_kind``.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or folder", file=str(p))
    if p.is_dir():
        raw = _read_folder(p, allow_outside=allow_outside)
    elif p.suffix.lower() == ".xlsx":
        raw = _read_workbook(p)
    elif p.suffix.lower() in (".yaml", ".yml") and p.name == MANIFEST_NAME:
        raw = _read_folder(p.parent, allow_outside=allow_outside)
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


class _TooManyAliases(yaml.YAMLError):
    def __init__(self, line: int) -> None:
        super().__init__(f"too many YAML aliases (line {line})")
        self.line = line


class _SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader, with two guards.

    * At most :data:`MAX_YAML_ALIASES` aliases, expanding to at most
      :data:`MAX_YAML_ALIAS_NODES` nodes in all: a "billion laughs" file (aliases of aliases,
      each level multiplying the size) is refused while it is parsed, before anything walks
      the expansion.
    * An impossible date (``2027-02-30``) stays text instead of raising ``ValueError`` deep in
      the loader, so the model that expects a date names the field.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._expanded = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            self._aliases += 1
            target = self.anchors.get(event.anchor)
            if target is not None:
                self._expanded += self._size(target)
            if self._aliases > MAX_YAML_ALIASES or self._expanded > MAX_YAML_ALIAS_NODES:
                raise _TooManyAliases(event.start_mark.line + 1)
        return super().compose_node(parent, index)

    def _size(self, node: yaml.Node) -> int:
        """Nodes in ``node`` with every alias expanded (memoised; a node being built counts 1)."""
        key = id(node)
        if key not in self._sizes:
            self._sizes[key] = 1  # guards a recursive alias
            children: list[Any] = []
            if isinstance(node, yaml.SequenceNode):
                children = list(node.value)
            elif isinstance(node, yaml.MappingNode):
                children = [n for pair in node.value for n in pair]
            self._sizes[key] = 1 + sum(self._size(c) for c in children)
        return self._sizes[key]

    def construct_yaml_timestamp(self, node: Any) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _SafeLoader.construct_yaml_timestamp)


def parse_yaml(text: str, where: str) -> Any:
    """Parse YAML text with the guarded safe loader; problems are an :class:`InputError`."""
    try:
        return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - a SafeLoader subclass
    except _TooManyAliases as exc:
        raise InputError(
            f"too many YAML aliases (more than {MAX_YAML_ALIASES} aliases or"
            f" {MAX_YAML_ALIAS_NODES} values through aliases, at line {exc.line}):"
            " write the values out instead of referring to anchors",
            file=where,
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise InputError(f"malformed YAML{line}: {problem}", file=where) from None
    except RecursionError:
        raise InputError("malformed YAML: nested too deeply", file=where) from None


def load_yaml(path: Path) -> Any:
    """Parse a YAML file (UTF-8 or Windows-1252, at most :data:`MAX_YAML_BYTES`).

    Syntax errors, too many aliases, an undecodable or oversized file, or a path that is not a
    regular file become an :class:`InputError` (with the line where there is one).
    """
    text = read_text(path, limit=MAX_YAML_BYTES, what="a YAML file")
    return parse_yaml(text, str(path))


def _read_folder(folder: Path, *, allow_outside: bool = False) -> RawInstance:
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
    inside = folder.resolve()
    for name, rel in declared.items():
        target = folder / str(rel)
        if not allow_outside and not target.resolve().is_relative_to(inside):
            raise InputError(
                f"table '{name}' points to '{rel}', outside the instance folder"
                " (copy the file into the folder)",
                file=str(manifest_path),
                field="tables",
            )
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
    """Read a table of an earlier result folder (``production_goals.csv``, ``feedback.csv``…).

    ``missing`` is the message when the file is not there. ``text``: every cell as stripped
    text (the caller validates numbers with row numbers); otherwise pandas' own types. Result
    tables are read as pks writes them: comma-separated UTF-8, or with ``--csv-dialect sv``
    semicolons and decimal commas (UTF-8 with a BOM), which is also how Swedish Excel saves a
    table it opened; a number Excel re-saves with a thousands separator is read as a number.

    Raises
    ------
    InputError
        Missing file, an empty or malformed file, a missing column (row 1).
    """
    where = str(path)
    if not Path(path).exists():
        raise InputError(missing, file=where)
    check_regular_file(Path(path), limit=MAX_CSV_BYTES, what="a CSV table")
    with open(path, "rb") as fh:
        first_line = fh.readline(1 << 16).decode("utf-8", errors="replace")
    swedish = csv_separator(first_line) == ";"
    sep, decimal = (";", ",") if swedish else (",", ".")
    _check_whole_records(Path(path), sep, where)
    try:
        if text or swedish:
            df = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                skipinitialspace=True,
                sep=sep,
                encoding="utf-8-sig",
            )
            if swedish:
                df = df.apply(lambda c: c.map(swedish_cell))
            if not text:  # pandas' own types, from the cells as a comma file holds them
                df = df.apply(_as_numbers)
        else:
            df = pd.read_csv(path, sep=sep, decimal=decimal, encoding="utf-8-sig")
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


def check_result_numbers(
    df: pd.DataFrame, columns: Iterable[str], where: str, *, minimum: float | None = 0.0
) -> pd.DataFrame:
    """Check columns of a result table read back as finite numbers of at least ``minimum``.

    The table comes from :func:`read_result_csv`; the first blank, text, infinite or too small
    cell is an :class:`InputError` naming its row (header = row 1) and column. Returns ``df``
    with the columns as floats.
    """
    for col in columns:
        values = pd.to_numeric(df[col], errors="coerce").astype(float)
        bad = values.isna() | values.isin([math.inf, -math.inf])
        if minimum is not None:
            bad |= values < minimum
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raw = df[col].iloc[i]
            if pd.isna(raw) or str(raw).strip() == "":
                got = "a blank cell"
            elif isinstance(raw, int | float):  # numpy's too: its repr is np.float64(…)
                got = f"{float(raw):g}"
            else:
                got = repr(raw)
            low = "" if minimum is None else f" of at least {minimum:g}"
            raise InputError(f"must be a number{low} (got {got})", file=where, row=i + 2, field=col)
        df[col] = values
    return df


def check_result_ids(df: pd.DataFrame, columns: Iterable[str], where: str) -> pd.DataFrame:
    """Check id columns of a result table read back: stripped text, none blank.

    pandas reads a blank cell as NaN, which ``astype(str)`` would turn into the id ``"nan"``.
    Returns ``df`` with the columns as text.
    """
    for col in columns:
        blank = df[col].isna() | (df[col].astype(str).str.strip() == "")
        if blank.any():
            i = int(blank.to_numpy().nonzero()[0][0])
            raise InputError("missing value", file=where, row=i + 2, field=col)
        df[col] = df[col].astype(str).str.strip()
    return df


def check_result_unique(df: pd.DataFrame, keys: Sequence[str], where: str) -> None:
    """Refuse two rows of a result table read back with the same ``keys``.

    A row pasted twice would otherwise be read as one of them, silently.
    """
    dup = df.duplicated(subset=list(keys), keep="first")
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        key = tuple(str(df[k].iloc[i]) for k in keys)
        first = int(
            (df[list(keys)].astype(str).apply(tuple, axis=1) == key).to_numpy().nonzero()[0][0]
        )
        raise InputError(
            f"duplicate {'/'.join(keys)} {key!r} (first on row {first + 2})",
            file=where,
            row=i + 2,
            field=keys[0],
        )


def _check_whole_records(path: Path, sep: str, where: str) -> None:
    """Refuse a result table cut or damaged after it was written.

    A last row without a line break (the file may be cut) or a row with more or fewer fields
    than the header is an error naming the row, as for an instance table (pandas would fill
    the missing cells).
    """
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True))
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", file=where) from None
    if not records:
        return  # empty: refused by the caller
    if text[-1] not in "\r\n" and any(c.strip() for c in records[-1]):
        raise InputError(
            f"the file ends inside row {len(records)} without a line break: it may be cut;"
            " if the row is complete, end the file with a line break",
            file=where,
            row=len(records),
        )
    width = len(records[0])
    for i, rec in enumerate(records[1:], start=2):
        if any(c.strip() for c in rec) and len(rec) != width:
            raise InputError(
                f"malformed CSV: {len(rec)} field(s), the header has {width}", file=where, row=i
            )


def _as_numbers(column: pd.Series) -> pd.Series:
    """Convert a text column to numbers when every non-blank cell is one (blanks become NaN)."""
    blank = column.str.strip() == ""
    try:
        numbers = pd.to_numeric(column.where(~blank, None))
    except (ValueError, TypeError):
        return column.where(~blank, None) if blank.any() else column
    return numbers


def _read_csv(name: str, path: Path) -> Table:
    """Read a CSV with the standard library, so every record keeps its row number.

    Comma- or semicolon-separated (Swedish Excel, decimal comma: see :func:`swedish_cell`),
    UTF-8 or Windows-1252 (:func:`decode_text`). A record with more or fewer fields than the
    header, an unterminated quote, or a last row without a line break (the file may be cut) is
    an error naming the row (record number, header = row 1; a quoted field may span lines).
    Blank rows are skipped.
    """
    where = str(path)
    text = read_text(path, limit=MAX_CSV_BYTES, what="a CSV table")
    sep = csv_separator(text)
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True, strict=True
    )
    records: list[list[str]] = []
    try:
        records.extend(reader)
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", file=where, row=len(records) + 1) from None
    if not records or not any(c.strip() for c in records[0]):
        raise InputError("empty file (a header row is needed)", file=where)
    if text[-1] not in "\r\n" and any(c.strip() for c in records[-1]):
        raise InputError(
            f"the file ends inside row {len(records)} without a line break: it may be cut;"
            " if the row is complete, end the file with a line break",
            file=where,
            row=len(records),
        )
    columns = tuple(c.strip() for c in records[0])
    _check_header(columns, where)
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    for i, rec in enumerate(records[1:], start=2):
        if all(not c.strip() for c in rec):
            continue
        if len(rec) != len(columns):
            hint = (
                ""
                if len(rec) > len(columns)
                else (f": a field is missing (a blank cell still needs its '{sep}')")
            )
            raise InputError(
                f"malformed CSV: {len(rec)} field(s), the header has {len(columns)}{hint}",
                file=where,
                row=i,
            )
        if sep == ";":
            rec = [swedish_cell(v) for v in rec]
        rows.append({col: _cell(v) for col, v in zip(columns, rec, strict=True)})
        numbers.append(i)
    return Table(name, where, columns, tuple(rows), tuple(numbers))


class _Sheet:
    """One worksheet's cells, checked: ``rows`` maps spreadsheet row → values by column."""

    def __init__(
        self,
        where: str,
        columns: tuple[str, ...],
        rows: list[tuple[int, list[Any]]],
        letters: tuple[str, ...] = (),
    ):
        self.where = where
        self.columns = columns
        self.rows = rows
        self.letters = letters


def _read_workbook(path: Path) -> RawInstance:
    """Read a workbook with openpyxl, cell by cell, so every cell's kind is known.

    Formula cells without a stored value, error cells (``#DIV/0!``…) and NaN/inf numbers are
    refused naming sheet, row, column and cell; booleans become ``TRUE``/``FALSE`` (what the
    same CSV holds: bool columns accept them, numeric columns refuse them); dates become ISO
    text, times ``HH:MM``; whole-number floats become integers (an id ``1001.0`` reads ``1001``).
    """
    import openpyxl  # type: ignore[import-untyped]  # not at start-up: 0.1-0.2 s
    from openpyxl.worksheet._read_only import (  # type: ignore[import-untyped]
        ReadOnlyWorksheet,
    )

    where = str(path)
    check_regular_file(path, limit=MAX_XLSX_BYTES, what="a workbook")
    _check_unpacked_size(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions
            values = openpyxl.load_workbook(path, read_only=True, data_only=True)
            # the formulas themselves, to tell "blank" from "formula without a stored value"
            # (read only when a sheet holds a formula: it doubles the reading time)
            formulas = (
                openpyxl.load_workbook(path, read_only=True, data_only=False)
                if _has_formulas(path)
                else None
            )
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise InputError(f"cannot read workbook: {exc}", file=where) from None
    try:
        sheets = {
            name: _read_sheet(
                values[name], None if formulas is None else formulas[name], f"{path}[{name}]", name
            )
            for name in values.sheetnames
            if isinstance(values[name], ReadOnlyWorksheet)
        }
    except InputError:
        raise
    except Exception as exc:  # a broken sheet part
        raise InputError(f"cannot read workbook: {exc}", file=where) from None
    finally:
        values.close()
        if formulas is not None:
            formulas.close()
    manifest: dict[str, Any] = {}
    manifest_rows: dict[str, int] = {}
    manifest_where = f"{path}[{MANIFEST_SHEET}]"
    if MANIFEST_SHEET in sheets:
        sheet = sheets.pop(MANIFEST_SHEET)
        if not {"key", "value"} <= set(sheet.columns):
            raise InputError(
                "the 'instance' sheet needs columns 'key' and 'value'", file=manifest_where
            )
        k, v = sheet.columns.index("key"), sheet.columns.index("value")
        for row, cells in sheet.rows:
            key = cells[k]
            if key is None:
                continue
            parsed = _manifest_value(cells[v], manifest_where, row)
            dotted = str(_table_cell(key)).strip()
            _set_dotted(manifest, dotted, parsed)
            manifest_rows[dotted] = row
    tables = {
        name: Table(
            name,
            sheet.where,
            sheet.columns,
            tuple(
                {c: _table_cell(x) for c, x in zip(sheet.columns, cells, strict=True)}
                for _, cells in sheet.rows
            ),
            tuple(row for row, _ in sheet.rows),
            sheet.letters,
        )
        for name, sheet in sheets.items()
    }
    return RawInstance(path, manifest, tables, manifest_where, manifest_rows)


def _check_unpacked_size(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError):
        raise InputError(
            "cannot read workbook: not an .xlsx file (not a zip archive)", file=str(path)
        ) from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise InputError(
            f"the workbook unpacks to {unpacked / 2**20:.0f} MB, more than the"
            f" {MAX_XLSX_UNPACKED_BYTES // 2**20} MB a workbook may hold",
            file=str(path),
        )


_FORMULA_ELEMENT = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet part of the workbook holds a formula element (``<f>``)."""
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not info.filename.startswith("xl/worksheets/"):
                continue
            with zf.open(info) as part:
                tail = b""
                while chunk := part.read(1 << 20):
                    if _FORMULA_ELEMENT.search(tail + chunk):
                        return True
                    tail = chunk[-16:]
    return False


def _read_sheet(values: Any, formulas: Any, where: str, sheet: str) -> _Sheet:
    """Read the cells of one worksheet (openpyxl read-only; ``formulas`` None: none in the book)."""
    values.reset_dimensions()  # the stored size may be wrong (files written by other tools)
    has_formula: set[tuple[int, int]] = set()
    if formulas is not None:
        formulas.reset_dimensions()
        has_formula = {
            (cell.row, cell.column)
            for row in formulas.iter_rows()
            for cell in row
            if getattr(cell, "data_type", None) == "f"
        }
    grid: list[list[Any]] = []
    for r, row in enumerate(values.iter_rows(), start=1):
        grid.append(
            [_sheet_cell(cell, sheet, r, c, has_formula) for c, cell in enumerate(row, start=1)]
        )
    if not grid:
        return _Sheet(where, (), [])
    width = max(len(cells) for cells in grid)
    for cells in grid:
        cells.extend([None] * (width - len(cells)))
    header = grid[0]
    # A column without a header is dropped when it is empty, refused when it holds data.
    keep = []
    for c in range(width):
        if header[c] is not None:
            keep.append(c)
            continue
        used = next((r for r, cells in enumerate(grid[1:], start=2) if cells[c] is not None), None)
        if used is not None:
            raise InputError(
                f"a column has no header (column {_letter(c + 1)}, used on row {used})",
                file=where,
                row=1,
            )
    columns = tuple(str(_table_cell(header[c])).strip() for c in keep)
    _check_header(columns, where)
    rows = []
    for r, cells in enumerate(grid[1:], start=2):
        kept = [cells[c] for c in keep]
        if any(x is not None for x in kept):
            rows.append((r, kept))
    # Only now are the column names known: name them in cell problems.
    for r, cells in enumerate(grid, start=1):
        for c in keep:
            if isinstance(cells[c], _CellProblem):
                raise InputError(
                    cells[c].message,
                    file=where,
                    row=r,
                    field=None if r == 1 else columns[keep.index(c)],
                )
    return _Sheet(where, columns, rows, tuple(_letter(c + 1) for c in keep))


@dataclass(frozen=True)
class _CellProblem:
    """A cell that cannot be read (reported once the column's name is known)."""

    message: str


def _sheet_cell(
    cell: Any, sheet: str, row: int, column: int, has_formula: set[tuple[int, int]]
) -> Any:
    """One cell as read: None (blank), stripped text, int/float, bool, date/time, or a problem."""
    value = cell.value
    kind = value.__class__
    if kind is str:
        if cell.data_type == "e":  # an error such as #DIV/0! (text would be type "s")
            return _CellProblem(
                f"cell {_cell_name(sheet, row, column)} holds the error {value}: correct the"
                " formula or the cells it uses"
            )
        return value.strip() or None
    if kind is int or kind is bool:
        return value
    if kind is float:
        if not math.isfinite(value):
            return _CellProblem(
                f"cell {_cell_name(sheet, row, column)} holds {value}, not a number"
            )
        return int(value) if value.is_integer() else value
    if value is None:
        if (row, column) in has_formula:
            return _CellProblem(
                f"cell {_cell_name(sheet, row, column)} holds a formula without a stored value:"
                " open and save the workbook in Excel so the values are stored"
            )
        return None
    return value


def _cell_name(sheet: str, row: int, column: int) -> str:
    """``staff!C7``: a cell as Excel names it."""
    return f"{sheet_ref(sheet)}!{_letter(column)}{row}"


def _letter(column: int) -> str:
    """Excel's letter of a 1-based column number: 1 → ``A``, 28 → ``AB``."""
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    return str(get_column_letter(column))


def _table_cell(value: Any) -> Any:
    """Turn a checked cell into a table value: what the same cell in a CSV would read as."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return _temporal_text(value)


def _manifest_value(value: Any, where: str, row: int) -> Any:
    """Read a value of the ``instance`` sheet: text is parsed as YAML (``[a, b]`` is a list)."""
    if value is None:
        return None
    if not isinstance(value, str):
        return _temporal_text(value)
    try:
        return parse_yaml(value, where)
    except InputError:
        raise InputError("value is not valid YAML", file=where, row=row, field="value") from None


def _temporal_text(value: Any) -> Any:
    """Date cells as ISO dates, date-times as ``2027-03-01T07:30``, times as ``HH:MM``."""
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        spec = "minutes" if value.second == 0 and value.microsecond == 0 else "seconds"
        return value.isoformat(timespec=spec)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        spec = "minutes" if value.second == 0 and value.microsecond == 0 else "seconds"
        return value.isoformat(timespec=spec)
    if isinstance(value, timedelta):  # a duration format such as [h]:mm
        minutes = round(value.total_seconds() / 60)
        sign = "-" if minutes < 0 else ""
        return f"{sign}{abs(minutes) // 60}:{abs(minutes) % 60:02d}"
    return value


def _set_dotted(target: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _cell(value: str) -> str | None:
    """Read a CSV cell: blank becomes None, text is stripped."""
    value = value.strip()
    return value or None


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

    Columns the model requires must be present (checked once, with a clear message); a column
    the model does not know is an error with "did you mean" (a misspelt optional column would
    otherwise run on its default), unless it is a comment column (:func:`is_comment_column`).
    """
    fields = model.model_fields
    needed = (
        set(required) if required is not None else {n for n, f in fields.items() if f.is_required()}
    )
    missing = [c for c in fields if c in needed and c not in table.columns]
    if missing:
        raise InputError(f"missing column '{missing[0]}'", file=table.where, row=1)
    unknown = [c for c in table.columns if c not in fields and not is_comment_column(c)]
    if unknown:
        raise unknown_column_error(unknown[0], table, fields)
    out: list[RowT] = []
    for i, row in enumerate(table.rows):
        data = {k: v for k, v in row.items() if k in fields and v is not None}
        if any(v.__class__ is bool for v in data.values()):
            bad = bool_for_number(model, data)
            if bad is not None:
                raise InputError(
                    _in_cell(
                        table.cell(i, bad),
                        f"must be a number, not a true/false value (got {data[bad]!r})",
                    ),
                    file=table.where,
                    row=table.row_number(i),
                    field=bad,
                )
        try:
            obj = model.model_validate(data)
        except ValidationError as exc:
            raise validation_to_input_error(
                exc,
                table.where,
                table.row_number(i),
                cell=functools.partial(table.cell, i),
                numeric=numeric_fields(model),
            ) from None
        big = too_large(obj)
        if big is not None:
            raise InputError(
                _in_cell(table.cell(i, big), too_large_message(getattr(obj, big))),
                file=table.where,
                row=table.row_number(i),
                field=big,
            )
        out.append(obj)
    return tuple(out)


def too_large(obj: BaseModel) -> str | None:
    """Find the first numeric field of a validated row beyond ``MAX_ANY_NUMBER`` in size.

    Rows and parameters alike (:data:`~pks_opt.limits.MAX_ANY_NUMBER`); fields with a tighter
    range of their own have refused such a value already. None when there is none.
    """
    for name in numeric_fields(type(obj)):
        value = getattr(obj, name)
        if isinstance(value, int | float) and abs(value) > MAX_ANY_NUMBER:
            return name
    return None


def too_large_message(value: float) -> str:
    """Word the error for a number beyond :data:`MAX_ANY_NUMBER` (any table, any field)."""
    return (
        f"{value:g} is larger than any quantity pks reads (at most {MAX_ANY_NUMBER:.0e} in"
        " size): check the cell"
    )


#: column names a planner may add for notes: never read, never an error
COMMENT_COLUMNS = frozenset(
    {
        "comment",
        "comments",
        "note",
        "notes",
        "kommentar",
        "kommentarer",
        "anteckning",
        "anteckningar",
    }
)


def is_comment_column(name: str) -> bool:
    """Tell whether a column holds the planner's own notes.

    Named ``comment``/``note`` (or the Swedish ``kommentar``/``anteckning``), or starting with
    ``#``.
    """
    return name.startswith("#") or name.strip().lower() in COMMENT_COLUMNS


def unknown_column_error(column: str, table: Table, fields: Iterable[str]) -> InputError:
    """``unknown column 'staf' (did you mean 'staff'?)`` on row 1 of ``table``."""
    import difflib

    known = sorted(fields)
    close = difflib.get_close_matches(column, known, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"the columns are {', '.join(known)}"
    return InputError(
        f"unknown column '{column}' ({hint}); a column for your own notes must be named "
        "'comment' or 'note' or start with '#'",
        file=table.where,
        row=1,
        field=column,
    )


def validation_to_input_error(
    exc: ValidationError,
    where: str,
    row: int | None,
    *,
    cell: Callable[[str], str | None] | None = None,
    numeric: frozenset[str] = frozenset(),
) -> InputError:
    """Turn the first pydantic error into one :class:`InputError` line.

    ``cell`` names the workbook cell of a field (``staff!C7``, see :meth:`Table.cell`); the
    message then starts with it, and an empty cell reads "cell staff!C7 is empty: a number is
    needed" (``numeric``: the fields that take a number) instead of "missing value".
    """
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ()))
    ref = cell(loc) if cell is not None and loc else None
    msg = err.get("msg", "invalid value")
    value = err.get("input")
    if err.get("type") == "missing" or (value is None and ref is not None):
        if ref is None:
            msg = "missing value"
        else:
            needed = "a number" if loc in numeric else "a value"
            return InputError(
                f"cell {ref} is empty: {needed} is needed", file=where, row=row, field=loc
            )
    elif not isinstance(value, dict | list):
        msg = f"{msg} (got {value!r})"
    return InputError(_in_cell(ref, msg), file=where, row=row, field=loc or None)


def _in_cell(ref: str | None, message: str) -> str:
    """``cell staff!C7: <message>`` for a workbook cell, the message alone for a CSV."""
    return message if ref is None else f"cell {ref}: {message}"


@functools.cache
def numeric_fields(model: type[BaseModel]) -> frozenset[str]:
    """List the fields of ``model`` that take a number (``int``/``float``, optional or not)."""
    out = set()
    for name, info in model.model_fields.items():
        ann = info.annotation
        kinds = set(get_args(ann)) if get_origin(ann) in (Union, UnionType) else {ann}
        if kinds & {int, float} and not kinds & {bool, str}:
            out.add(name)
    return frozenset(out)


def bool_for_number(model: type[BaseModel], data: Mapping[str, Any]) -> str | None:
    """Find the first field of ``model`` given ``True``/``False`` instead of a number, or None."""
    numeric = numeric_fields(model)
    return next((k for k, v in data.items() if v.__class__ is bool and k in numeric), None)


def parse_parameters(raw: RawInstance, model: type[RowT], prefix: str = "parameters") -> RowT:
    """Validate the manifest's ``parameters`` mapping (defaults fill what is not given).

    ``prefix``: the dotted key of the mapping (``parameters.balancing`` for a block inside it);
    in a workbook, errors name the ``instance`` sheet's row and cell (``instance!B5``).
    """
    block: Any = raw.parameters
    for part in prefix.split(".")[1:]:
        block = block.get(part) or {}
        if not isinstance(block, Mapping):
            raise InputError("must be a mapping", file=raw.manifest_where, field=prefix)

    def cell(key: str) -> str | None:
        row = raw.manifest_rows.get(f"{prefix}.{key}")
        return None if row is None else f"{MANIFEST_SHEET}!B{row}"

    bad = bool_for_number(model, block)
    if bad is not None:
        raise InputError(
            _in_cell(cell(bad), f"must be a number, not a true/false value (got {block[bad]!r})"),
            file=raw.manifest_where,
            row=raw.manifest_rows.get(f"{prefix}.{bad}"),
            field=f"{prefix}.{bad}",
        )
    try:
        obj = model.model_validate(dict(block))
        big = too_large(obj)
        if big is not None:
            raise InputError(
                _in_cell(cell(big), too_large_message(getattr(obj, big))),
                file=raw.manifest_where,
                row=raw.manifest_rows.get(f"{prefix}.{big}"),
                field=f"{prefix}.{big}",
            )
        return obj
    except ValidationError as exc:
        err = validation_to_input_error(
            exc, raw.manifest_where, None, cell=cell, numeric=numeric_fields(model)
        )
        if err.field:
            err = InputError(
                err.message,
                file=err.file,
                row=raw.manifest_rows.get(f"{prefix}.{err.field}"),
                field=f"{prefix}.{err.field}",
            )
        raise err from None


def in_code(owner: str, name: str, count: int) -> Table:
    """Stand in for the file of a table built in code, so a check names where the row is.

    A data class checks itself against the tables its reader passes; data built in code
    (tests, importers, ``model_copy(update=…)``) has none, so its errors read
    ``NeedData.demand row 0, field 'unit': …``: the class, the table and the row's index
    counted from 0.

    Parameters
    ----------
    owner
        The data class, as the message names it (``NeedData``).
    name
        The table (the field of ``owner`` holding its rows).
    count
        How many rows the table has.
    """
    return Table(name, f"{owner}.{name}", (), (), tuple(range(count)))


def validated(
    model: type[ModelT], fields: Mapping[str, Any], sources: Mapping[str, Table]
) -> ModelT:
    """Build ``model`` from ``fields`` with its validators told where each table was read.

    The validators find ``sources`` (table name → :class:`Table`) in the validation context
    under :data:`SOURCES`, so their errors name the file, row and field. An
    :class:`~pks_opt.errors.InputError` a validator raises leaves as itself, not wrapped in
    pydantic's ``ValidationError``.
    """
    try:
        return model.model_validate(dict(fields), context={SOURCES: sources})
    except ValidationError as exc:
        cause = exc.errors()[0].get("ctx", {}).get("error")
        if isinstance(cause, InputError):
            raise cause from None
        raise


def sources_of(info: ValidationInfo) -> Mapping[str, Table]:
    """Get the tables a reader passed to :func:`validated` (none for data built in code)."""
    context = info.context if isinstance(info.context, Mapping) else {}
    found = context.get(SOURCES, {})
    return found if isinstance(found, Mapping) else {}


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
                _in_cell(
                    table.cell(i, fields_[0]),
                    f"duplicate {label} {shown!r} (first on row {table.row_number(seen[key])})",
                ),
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
    """Raise on the first row whose ``field_`` is not among ``known``.

    The message reads "unit 'X' is not defined" (``what`` names the kind of id).
    """
    known_set = set(known)
    for i, row in enumerate(rows):
        value = getattr(row, field_)
        if value is None and optional:
            continue
        if value not in known_set:
            raise InputError(
                _in_cell(table.cell(i, field_), f"{what} '{value}' is not defined"),
                file=table.where,
                row=table.row_number(i),
                field=field_,
            )
