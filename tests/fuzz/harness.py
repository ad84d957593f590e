"""The fuzz harness (issue 16 part 6): mutate a copy of a shipped instance, run the command in
process and check the contract for bad input.

The contract: exit code 0 or 1 with a complete result folder (``result.json`` listing files
that exist), or exit code 2 with the last line on stderr ``error: <file> ...`` naming an input
file, nothing written to ``--out`` and no temporary ``.out.*`` folder or ``out.lock`` beside
it; never an uncaught exception, never more than :data:`HANG_S` seconds of CPU time (nor
:data:`HANG_WALL_S` of wall time).

Used by the property tests in ``tests/fuzz/test_fuzz.py`` (a small "ci" profile) and by
``benchmarks/fuzz.py`` (the long run by hand, ``PKS_FUZZ_PROFILE=long``). Every mutation is
made on a copy in a temporary folder; the shipped instances and the Curtois benchmark files
(read from ``/work/shared/benchmarks/curtois``, never copied into the repository) are only
read.
"""

from __future__ import annotations

import atexit
import contextlib
import csv
import functools
import io
import json
import os
import shutil
import signal
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from pks_opt.commands import main

ROOT = Path(__file__).resolve().parents[2]
INSTANCES = ROOT / "instances"
CURTOIS = Path(os.environ.get("PKS_CURTOIS_DIR", "/work/shared/benchmarks/curtois"))

#: a run longer than this is a hang (the commands run with small time limits)
HANG_S = 60.0
#: … measured in CPU seconds of the process (all its threads), not wall seconds: on the shared
#: 2-core machine at load 9-10, under ``nice``, a valid plan run took 60 s of wall time for
#: 10-15 s of work, and a wall-clock limit reported load as hangs. A hang spins (CPU time
#: grows with it); a run blocked without using the CPU (a read from a pipe) is caught by the
#: wall-clock limit:
HANG_WALL_S = 300.0

PROFILE = os.environ.get("PKS_FUZZ_PROFILE", "ci")
_COMMON: dict[str, Any] = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
    "print_blob": True,
}
settings.register_profile("ci", max_examples=30, derandomize=True, **_COMMON)
settings.register_profile("long", max_examples=2000, derandomize=False, **_COMMON)


def fuzz_settings(ci_examples: int) -> settings:
    """The profile's settings with ``ci_examples`` examples in the ci profile (the long
    profile keeps its own count)."""
    base = settings.get_profile(PROFILE)
    if PROFILE == "ci":
        return settings(base, max_examples=ci_examples)
    return base


# ----------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """One command on one shipped instance: what to copy, what to mutate, how to run it.

    ``copies`` maps a name inside the work folder to the source it is copied from; ``args``
    builds the command line from the work folder (without ``--out``).
    """

    name: str
    #: name in the work folder -> the source (a path, or a function making it once: a result
    #: folder of another command)
    copies: dict[str, Path | Callable[[], Path]]
    args: Callable[[Path], list[str]]
    #: files (relative to the work folder) the mutations may touch
    mutable: Callable[[Path], list[Path]] = field(default=lambda work: _tables(work))
    #: whether the instance is also fuzzed as an .xlsx workbook
    workbook: str | None = None


def _tables(work: Path) -> list[Path]:
    """Every CSV table and manifest of every copied instance folder."""
    files = sorted(p for p in work.rglob("*") if p.suffix in (".csv", ".yaml") and p.is_file())
    return [f.relative_to(work) for f in files]


def _in(sub: str) -> Callable[[Path], list[Path]]:
    return lambda work: [f for f in _tables(work) if f.parts[0] == sub]


PLAN_LIMITS = ["--time-limit", "5", "--max-nodes", "20"]
REGION = INSTANCES / "region-small"


@functools.cache
def balance_result() -> Path:
    """region-small's balance as ``pks balance --out`` writes it: made once per process (in a
    temporary folder removed at exit), then copied into each example and mutated there."""
    folder = Path(tempfile.mkdtemp(prefix="pks-fuzz-balance-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    out = folder / "balance"
    res = CliRunner().invoke(main, ["balance", str(REGION), "--time-limit", "5", "--out", str(out)])
    if res.exit_code != 0:
        raise RuntimeError(f"pks balance {REGION} failed (exit {res.exit_code}): {res.output}")
    return out


def _balance_followup_files(work: Path) -> list[Path]:
    """What ``pks follow-up BALANCE ACTUALS --resources-from PLAN`` reads."""
    files = [
        Path("balance") / "production_goals.csv",
        Path("balance") / "utilisation.csv",
        Path("balance") / "result.json",
        Path("plan") / "resources.csv",
    ]
    return files + [f for f in _tables(work) if f.parts[0] == "actuals"]


TARGETS: dict[str, Target] = {
    t.name: t
    for t in [
        Target(
            "need-seed",
            {"seed": INSTANCES / "seed-inpatient"},
            lambda w: ["need", str(w / "seed"), "--scenario", str(w / "seed" / "round2.yaml")],
            workbook="seed",
        ),
        Target(
            "need-region",
            {"region": INSTANCES / "region-small"},
            lambda w: ["need", str(w / "region")],
            mutable=_in("region"),
        ),
        Target(
            "balance",
            {"region": INSTANCES / "region-small"},
            lambda w: [
                "balance",
                str(w / "region"),
                "--time-limit",
                "5",
                "--scenario",
                str(w / "region" / "scenarios" / "demand_up.yaml"),
            ],
        ),
        Target(
            "plan",
            {"plan": INSTANCES / "clinic-plan"},
            lambda w: ["plan", str(w / "plan"), *PLAN_LIMITS],
            workbook="plan",
        ),
        Target(
            "matrix",
            {"matrix": INSTANCES / "clinic-matrix"},
            lambda w: ["matrix", str(w / "matrix"), "--time-limit", "5"],
            workbook="matrix",
        ),
        Target(
            "roster",
            {"roster": INSTANCES / "ward-roster-short"},
            lambda w: ["roster", str(w / "roster"), "--time-limit", "1", "--quiet"],
            workbook="roster",
        ),
        Target(
            "forecast",
            {"history": INSTANCES / "clinic-followup" / "history"},
            lambda w: ["forecast", str(w / "history"), "--horizon", "13"],
        ),
        Target(
            "follow-up",
            {
                "published": INSTANCES / "clinic-followup" / "published-plan",
                "actuals": INSTANCES / "clinic-followup" / "actuals",
            },
            lambda w: ["follow-up", str(w / "published"), str(w / "actuals")],
        ),
        Target(
            "follow-up-balance",
            {
                "balance": balance_result,
                "actuals": INSTANCES / "clinic-followup" / "actuals",
                "plan": INSTANCES / "clinic-plan",
            },
            lambda w: [
                "follow-up",
                str(w / "balance"),
                str(w / "actuals"),
                "--resources-from",
                str(w / "plan"),
                "--year",
                "2027",
            ],
            mutable=_balance_followup_files,
        ),
        Target(
            "follow-up-roster",
            {
                "published": INSTANCES / "ward-followup" / "published-roster",
                "actuals": INSTANCES / "ward-followup" / "actuals",
            },
            lambda w: ["follow-up", str(w / "published"), str(w / "actuals")],
        ),
    ]
}


def copy_target(target: Target, work: Path) -> None:
    for name, src in target.copies.items():
        source = src if isinstance(src, Path) else src()
        shutil.copytree(source, work / name, ignore=shutil.ignore_patterns("*.py", "README.md"))


# ----------------------------------------------------------------------------- values

#: cell values that broke (or nearly broke) the reading layer once
NASTY = [
    "",
    " ",
    "1e12",
    "1000000000000",
    "-1",
    "-0",
    "-5",
    "0",
    "0.0",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "1e309",
    "2027-02-30",
    "2027-03-01",
    "2026-13-01",
    "TRUE",
    "FALSE",
    "true",
    "SANT",
    "FALSKT",
    "1,5",
    "0,25",
    "1 000",
    "40\u00a0000",
    "NA",
    "N/A",
    "null",
    "None",
    "07:00",
    "25:61",
    "24:00",
    "0x10",
    "1_000",
    "\u0663",
    "½",
    "1e-320",
    "9" * 40,
    "#DIV/0!",
    "=1/4",
    "'",
    '"',
    ",",
    ";",
    "a,b",
    "\t",
    "Å",
    "2026-W53",
    "2026-W54",
    "W01",
]

#: replacement values for a cell: random types, as the text a CSV holds
cell_values = st.one_of(
    st.sampled_from(NASTY),
    st.integers(min_value=-(10**13), max_value=10**13).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=-2, max_value=2).map(lambda v: f"{v:.3f}"),
    st.text(max_size=12),
    st.dates().map(str),
    st.booleans().map(str),
)


# ----------------------------------------------------------------------------- mutations


def _read_csv(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8", errors="surrogateescape")
    return list(csv.reader(io.StringIO(text, newline="")))


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8", errors="surrogateescape"))


def _pick(data: st.DataObject, files: list[Path], suffix: str | None = None) -> Path:
    pool = [f for f in files if suffix is None or f.suffix == suffix] or files
    return data.draw(st.sampled_from(pool), label="file")


def mutate_cell(data: st.DataObject, work: Path, files: list[Path]) -> str:
    rel = _pick(data, files, ".csv")
    path = work / rel
    rows = _read_csv(path)
    if len(rows) < 1 or not rows[0]:
        return f"{rel}: empty, unchanged"
    r = data.draw(st.integers(0 if len(rows) == 1 else 1, len(rows) - 1), label="row")
    c = data.draw(st.integers(0, len(rows[0]) - 1), label="column")
    value = data.draw(cell_values, label="value")
    while len(rows[r]) <= c:
        rows[r].append("")
    old = rows[r][c]
    rows[r][c] = value
    _write_csv(path, rows)
    return f"{rel} row {r + 1} column {rows[0][c] if c < len(rows[0]) else c}: {old!r} -> {value!r}"


def mutate_parameter(data: st.DataObject, work: Path, files: list[Path]) -> str:
    rel = _pick(data, files, ".yaml")
    path = work / rel
    if path.suffix != ".yaml":
        return mutate_cell(data, work, files)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (UnicodeDecodeError, yaml.YAMLError):
        return f"{rel}: not YAML any more, unchanged"
    params = doc.get("parameters") if isinstance(doc, dict) else None
    value: Any = data.draw(
        st.one_of(
            cell_values,
            st.integers(-(10**13), 10**13),
            st.floats(allow_nan=True),
            st.booleans(),
            st.dates(),
            st.none(),
            st.lists(st.integers(), max_size=3),
        ),
        label="value",
    )
    if isinstance(params, dict) and params:
        key = data.draw(st.sampled_from(sorted(params)), label="parameter")
        params[key] = value
        where = f"parameters.{key}"
    elif isinstance(doc, dict) and doc:
        key = data.draw(st.sampled_from(sorted(doc)), label="key")
        doc[key] = value
        where = key
    else:
        return f"{rel}: no keys, unchanged"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return f"{rel} {where} -> {value!r}"


def truncate(data: st.DataObject, work: Path, files: list[Path]) -> str:
    rel = _pick(data, files)
    path = work / rel
    raw = path.read_bytes()
    cut = data.draw(st.integers(0, max(len(raw) - 1, 0)), label="cut")
    path.write_bytes(raw[:cut])
    return f"{rel} cut at byte {cut} of {len(raw)} (…{raw[max(cut - 12, 0) : cut]!r})"


ENCODINGS = ["cp1252", "utf-16", "utf-8-sig", "latin-1+å", "utf-8-crlf", "utf-32", "swedish"]


def reencode(data: st.DataObject, work: Path, files: list[Path]) -> str:
    rel = _pick(data, files)
    path = work / rel
    text = path.read_bytes().decode("utf-8", errors="replace")
    how = data.draw(st.sampled_from(ENCODINGS), label="encoding")
    if how == "latin-1+å":
        lines = text.split("\n")
        i = data.draw(st.integers(0, max(len(lines) - 2, 0)), label="line")
        lines[i] += "" if rel.suffix == ".csv" else " # Södra Älvsborg"
        if rel.suffix == ".csv" and i > 0:
            lines[i] = lines[i].replace(",", ",Å", 1) if "," in lines[i] else lines[i]
        path.write_bytes("\n".join(lines).encode("latin-1", errors="replace"))
    elif how == "utf-8-crlf":
        path.write_bytes(text.replace("\n", "\r\n").encode())
    elif how == "swedish":
        if rel.suffix != ".csv":
            path.write_bytes(text.encode("cp1252", errors="replace"))
            return f"{rel} re-encoded cp1252"
        rows = _read_csv(path)
        out = "\r\n".join(";".join(_swedish(v) for v in row) for row in rows) + "\r\n"
        path.write_bytes(out.encode("cp1252", errors="replace"))
    else:
        path.write_bytes(text.encode(how, errors="replace"))
    return f"{rel} re-encoded {how}"


def _swedish(v: str) -> str:
    try:
        float(v)
    except ValueError:
        return v
    return v.replace(".", ",")


def columns(data: st.DataObject, work: Path, files: list[Path]) -> str:
    rel = _pick(data, files, ".csv")
    path = work / rel
    rows = _read_csv(path)
    if not rows or not rows[0]:
        return f"{rel}: empty, unchanged"
    width = len(rows[0])
    how = data.draw(st.sampled_from(["swap", "duplicate", "drop", "rename"]), label="how")
    a = data.draw(st.integers(0, width - 1), label="column")
    b = data.draw(st.integers(0, width - 1), label="other")
    for row in rows:
        while len(row) < width:
            row.append("")
        if how == "swap":
            row[a], row[b] = row[b], row[a]
        elif how == "duplicate":
            row.insert(b, row[a])
        elif how == "drop":
            del row[a]
    if how == "rename":
        rows[0][a] = data.draw(
            st.sampled_from([rows[0][b], rows[0][a].upper(), rows[0][a] + " ", "", "x"]),
            label="name",
        )
    _write_csv(path, rows)
    return f"{rel}: {how} column {a} ({b})"


def rows_op(data: st.DataObject, work: Path, files: list[Path]) -> str:
    rel = _pick(data, files, ".csv")
    path = work / rel
    rows = _read_csv(path)
    if len(rows) < 2:
        return f"{rel}: no data rows, unchanged"
    how = data.draw(
        st.sampled_from(["duplicate", "drop", "header-only", "repeat-header"]), label="how"
    )
    i = data.draw(st.integers(1, len(rows) - 1), label="row")
    if how == "duplicate":
        rows.insert(i, list(rows[i]))
    elif how == "drop":
        del rows[i]
    elif how == "header-only":
        rows = rows[:1]
    else:
        rows.insert(i, list(rows[0]))
    _write_csv(path, rows)
    return f"{rel}: {how} row {i + 1}"


MUTATIONS: dict[str, Callable[[st.DataObject, Path, list[Path]], str]] = {
    "cell": mutate_cell,
    "parameter": mutate_parameter,
    "truncate": truncate,
    "encoding": reencode,
    "columns": columns,
    "rows": rows_op,
}


def mutate_folder(data: st.DataObject, work: Path, target: Target) -> str:
    files = target.mutable(work)
    kinds = data.draw(
        st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=1, max_size=2), label="mutations"
    )
    kinds.sort(key=lambda k: k in ("encoding", "truncate"))  # the byte-level ones last
    return "; ".join(MUTATIONS[k](data, work, files) for k in kinds)


# ----------------------------------------------------------------------------- workbooks


def _typed(v: str) -> Any:
    """A CSV cell as Excel would store it when typed: numbers as numbers, dates as dates."""
    if v == "":
        return None
    for conv in (int, float):
        try:
            return conv(v)
        except ValueError:
            pass
    return v


def to_workbook(folder: Path, book: Path) -> None:
    """Write an instance folder as one workbook: an ``instance`` sheet (key, value) and one
    sheet per CSV table, numbers as numbers."""
    import openpyxl

    manifest = yaml.safe_load((folder / "instance.yaml").read_text(encoding="utf-8"))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "instance"
    ws.append(["key", "value"])
    for k, v in manifest.items():
        if k == "parameters":
            for pk, pv in v.items():
                ws.append(
                    [f"parameters.{pk}", pv if not isinstance(pv, list | dict) else json.dumps(pv)]
                )
        elif not isinstance(v, dict | list):
            ws.append([k, v])
    for csv_file in sorted(folder.glob("*.csv")):
        sheet = wb.create_sheet(csv_file.stem)
        rows = _read_csv(csv_file)
        sheet.append(rows[0])
        for row in rows[1:]:
            sheet.append([_typed(v) for v in row])
    wb.save(book)


#: special cell kinds written into a workbook
workbook_values = st.one_of(
    st.sampled_from(
        [
            "=1/4",
            "=0.02*1",
            "#DIV/0!",
            "#N/A",
            "#VALUE!",
            True,
            False,
            float("nan"),
            float("inf"),
            -1,
            10**12,
            0,
            "",
            None,
            "NA",
            1001,
            1001.0,
        ]
    ),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 1, 1)),
    st.times().map(lambda t: dtime(t.hour, t.minute)),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    # text a worksheet can hold (openpyxl refuses control characters: Excel cannot store them)
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8),
)


def mutate_workbook(data: st.DataObject, book: Path) -> str:
    import openpyxl

    wb = openpyxl.load_workbook(book)
    ws = wb[data.draw(st.sampled_from(wb.sheetnames), label="sheet")]
    r = data.draw(st.integers(1, max(ws.max_row, 1)), label="row")
    c = data.draw(
        st.integers(1, max(ws.max_column, 1) + (1 if ws.title == "instance" else 0)), label="column"
    )
    value = data.draw(workbook_values, label="value")
    old = ws.cell(r, c).value
    ws.cell(r, c).value = value
    wb.save(book)
    return f"{book.name}[{ws.title}] {ws.cell(r, c).coordinate}: {old!r} -> {value!r}"


# ----------------------------------------------------------------------------- Curtois

CURTOIS_FILE = "Instance1.txt"


def curtois_source() -> Path:
    return CURTOIS / CURTOIS_FILE


def mutate_curtois(data: st.DataObject, path: Path) -> str:
    text = path.read_text(encoding="ascii")
    lines = text.split("\n")
    how = data.draw(
        st.sampled_from(["field", "truncate", "duplicate", "drop", "encoding", "section"]),
        label="how",
    )
    content = [i for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")]
    i = data.draw(st.sampled_from(content), label="line")
    if how == "field":
        fields = lines[i].split(",")
        j = data.draw(st.integers(0, len(fields) - 1), label="field")
        fields[j] = data.draw(
            st.one_of(
                cell_values.filter(lambda v: "\n" not in v and "\r" not in v),
                st.sampled_from(["D=-1", "D=1e12", "X=1", "D"]),
            ),
            label="value",
        )
        lines[i] = ",".join(fields)
        path.write_text("\n".join(lines), encoding="utf-8")
        return f"line {i + 1} field {j}: -> {fields[j]!r}"
    if how == "truncate":
        raw = path.read_bytes()
        cut = data.draw(st.integers(0, len(raw) - 1), label="cut")
        path.write_bytes(raw[:cut])
        return f"cut at byte {cut}"
    if how == "duplicate":
        lines.insert(i, lines[i])
    elif how == "drop":
        del lines[i]
    elif how == "section":
        sec = data.draw(
            st.sampled_from([ln for ln in lines if ln.startswith("SECTION_")]), label="section"
        )
        lines.insert(i, sec)
    else:
        enc = data.draw(
            st.sampled_from(["utf-8-sig", "utf-16", "cp1252+é", "crlf"]), label="encoding"
        )
        if enc == "cp1252+é":
            lines[i] = lines[i] + "é"
            path.write_bytes("\n".join(lines).encode("cp1252"))
        elif enc == "crlf":
            path.write_bytes("\r\n".join(lines).encode())
        else:
            path.write_bytes("\n".join(lines).encode(enc))
        return f"{enc} (line {i + 1})"
    path.write_text("\n".join(lines), encoding="utf-8")
    return f"{how} line {i + 1}"


# ----------------------------------------------------------------------------- running


class Hang(BaseException):
    """Raised by the watchdog in the command's thread (a BaseException: nothing catches it)."""


@contextlib.contextmanager
def watchdog(cpu_seconds: float, wall_seconds: float = HANG_WALL_S) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread after ``cpu_seconds`` of the process's CPU time
    (SIGPROF) or ``wall_seconds`` of wall time (SIGALRM), whichever comes first."""

    def fire(signum: int, frame: Any) -> None:
        if signum == signal.SIGPROF:
            raise Hang(f"still running after {cpu_seconds:.0f} s of CPU time")
        raise Hang(f"still running after {wall_seconds:.0f} s of wall time")

    old_prof = signal.signal(signal.SIGPROF, fire)
    old_alrm = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    signal.setitimer(signal.ITIMER_REAL, wall_seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGPROF, old_prof)
        signal.signal(signal.SIGALRM, old_alrm)


@dataclass
class Outcome:
    exit_code: int | None
    seconds: float  # wall
    stdout: str
    stderr: str
    problems: list[str]
    #: "traceback", "hang", "partial" or "" (per the contract)
    kind: str = ""
    cpu_seconds: float = 0.0


def run(
    args: list[str], out: Path, *, inputs: Path | tuple[Path, ...], hang_s: float = HANG_S
) -> Outcome:
    """Run ``pks ARGS --out OUT`` in process and check the contract; an error must name a
    file under one of ``inputs``; a run using more than ``hang_s`` CPU seconds is a hang."""
    roots = (inputs,) if isinstance(inputs, Path) else inputs
    t0, c0 = time.perf_counter(), time.process_time()
    hang = ""
    try:
        with watchdog(hang_s):
            res = CliRunner().invoke(main, [*args, "--out", str(out)])
    except Hang as exc:
        hang = str(exc)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    if hang:
        return Outcome(None, seconds, "", "", [f"hang: {hang}"], "hang", cpu)
    problems: list[str] = []
    kind = ""
    exc = res.exception
    if exc is not None and not isinstance(exc, SystemExit):
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        kind = "hang" if isinstance(exc, Hang) else "traceback"
        problems.append(f"{kind}: {type(exc).__name__}: {exc}\n{tb}")
    stderr = res.stderr
    if "Traceback" in res.output:
        kind = kind or "traceback"
        problems.append("a traceback was printed")
    if cpu > hang_s:
        kind = kind or "hang"
        problems.append(f"hang: took {cpu:.1f} s of CPU time (> {hang_s:.0f} s)")
    code = res.exit_code
    if code not in (0, 1, 2):
        problems.append(f"exit code {code}")
    leftovers = sorted(
        p.name
        for p in out.parent.iterdir()
        if p.name.startswith(f".{out.name}.") or p.name == f"{out.name}.lock"
    )
    if leftovers:
        kind = kind or "partial"
        problems.append(f"left beside --out: {leftovers}")
    if code == 2:
        # lines as a terminal shows them: str.splitlines() also breaks at \x0c, \x1c-\x1e,
        # \x85 and \u2028, which a bad value quoted in the error line may hold
        lines = [ln for ln in stderr.replace("\r\n", "\n").split("\n") if ln.strip()]
        last = lines[-1] if lines else ""
        if not last.startswith("error: "):
            problems.append(f"exit 2 without an 'error:' last line on stderr: {stderr!r}")
        elif not any(str(r) in last for r in roots):
            problems.append(f"the error names no input file: {last!r}")
        if out.exists():
            kind = kind or "partial"
            problems.append(f"exit 2 but {out} exists: {sorted(os.listdir(out))}")
    elif code in (0, 1):
        problems.extend(check_result_folder(out))
        if problems and not kind:
            kind = "partial"
    return Outcome(code, seconds, res.stdout, stderr, problems, kind, cpu)


def check_result_folder(out: Path) -> list[str]:
    """``result.json`` exists and every file it (and each sub-result) lists exists."""
    envelope = out / "result.json"
    if not envelope.is_file():
        return [f"exit 0/1 but no {envelope}"]
    problems: list[str] = []
    try:
        doc = json.loads(envelope.read_text(encoding="utf-8"))
    except ValueError as exc:
        return [f"{envelope} is not JSON: {exc}"]
    for section in ("tables", "charts"):
        for name, rel in (doc.get(section) or {}).items():
            if not (out / rel).is_file():
                problems.append(f"{envelope} lists {section[:-1]} {name} = {rel}, which is missing")
    for sub in out.iterdir():
        if sub.is_dir() and (sub / "result.json").exists():
            problems.extend(check_result_folder(sub))
    return problems


def assert_contract(outcome: Outcome, what: str) -> None:
    assert not outcome.problems, (
        f"{what}\nexit {outcome.exit_code} after {outcome.seconds:.1f} s\n"
        + "\n".join(outcome.problems)
        + f"\n--- stderr\n{outcome.stderr[-2000:]}"
    )


# ----------------------------------------------------------------------------- scenarios

#: scenario files fuzzed, with the command that reads them (the instance is not mutated)
SCENARIOS: dict[str, tuple[Path, Callable[[Path, Path], list[str]]]] = {
    "round2": (
        INSTANCES / "seed-inpatient" / "round2.yaml",
        lambda inst, scen: ["need", str(inst), "--scenario", str(scen)],
    ),
    "demand_up": (
        INSTANCES / "region-small" / "scenarios" / "demand_up.yaml",
        lambda inst, scen: ["need", str(inst), "--scenario", str(scen)],
    ),
    "new_hip_contract": (
        INSTANCES / "region-small" / "scenarios" / "new_hip_contract.yaml",
        lambda inst, scen: ["balance", str(inst), "--time-limit", "5", "--scenario", str(scen)],
    ),
    "summer_budget": (
        INSTANCES / "region-small" / "scenarios" / "summer_budget.yaml",
        lambda inst, scen: ["balance", str(inst), "--time-limit", "5", "--scenario", str(scen)],
    ),
    # the base and the variant are both solved: shorter limits keep a valid run well under
    # HANG_S on a loaded machine
    "fewer_physicians": (
        INSTANCES / "clinic-plan" / "scenarios" / "fewer_physicians.yaml",
        lambda inst, scen: [
            "plan",
            str(inst),
            "--time-limit",
            "3",
            "--max-nodes",
            "20",
            "--scenario",
            str(scen),
        ],
    ),
    "room3_closed": (
        INSTANCES / "clinic-matrix" / "scenarios" / "room3_closed.yaml",
        lambda inst, scen: ["matrix", str(inst), "--time-limit", "3", "--scenario", str(scen)],
    ),
    "two_sick": (
        INSTANCES / "ward-roster-short" / "scenarios" / "two_sick.yaml",
        lambda inst, scen: [
            "roster",
            str(inst),
            "--time-limit",
            "1",
            "--quiet",
            "--scenario",
            str(scen),
        ],
    ),
}


#: scenarios whose valid run takes long: a plan with a scenario solves the base and the variant
#: (52 s of wall time seen at load 10); a hang is then past 120 CPU seconds
SCENARIO_HANG_S = {"fewer_physicians": 120.0}


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A "billion laughs" YAML flow sequence: anchors defined inline, each level ``width``
    aliases of the one before (9**10 leaves if expanded)."""
    items = ["&a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels + 1):
        items.append(f"&a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "[" + ", ".join(items) + "]"


yaml_values = st.one_of(
    cell_values,
    st.integers(-(10**13), 10**13),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.dates(),
    st.lists(cell_values, max_size=3),
    st.dictionaries(
        st.sampled_from(["unit", "planning_object", "x", "base_volume", "pct"]),
        cell_values,
        max_size=2,
    ),
)


def mutate_scenario(data: st.DataObject, path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    how = data.draw(
        st.sampled_from(["value", "delete", "add", "truncate", "encoding", "bomb"]), label="how"
    )
    if how == "truncate":
        raw = path.read_bytes()
        cut = data.draw(st.integers(0, len(raw) - 1), label="cut")
        path.write_bytes(raw[:cut])
        return f"cut at byte {cut}"
    if how == "encoding":
        enc = data.draw(st.sampled_from(["latin-1", "utf-16", "utf-8-sig"]), label="encoding")
        path.write_bytes((text.replace("name: ", "name: Förändring ", 1)).encode(enc))
        return f"re-encoded {enc}"
    if how == "bomb":
        path.write_text(
            text.rstrip("\n") + "\n    where: {unit: " + alias_bomb() + "}\n", encoding="utf-8"
        )
        return "alias bomb as the last change's where"
    doc = yaml.safe_load(text)
    paths = [p for p in _paths(doc) if p]
    p = data.draw(st.sampled_from(paths), label="path")
    parent = doc
    for k in p[:-1]:
        parent = parent[k]
    if how == "value":
        value = data.draw(yaml_values, label="value")
        parent[p[-1]] = value
        what = f"{p} -> {value!r}"
    elif how == "delete":
        del parent[p[-1]]
        what = f"{p} deleted"
    else:
        key = data.draw(
            st.sampled_from(
                [
                    "where",
                    "set",
                    "scale",
                    "add",
                    "remove",
                    "table",
                    "skip_blank",
                    "if_present",
                    "append",
                    "shortcut",
                    "parameters",
                    "bogus",
                ]
            ),
            label="key",
        )
        value = data.draw(yaml_values, label="value")
        target = parent if isinstance(parent, dict) else None
        if target is None:
            parent[p[-1]] = {key: value}
        else:
            target[key] = value
        what = f"{p[:-1]} + {key}: {value!r}"
    path.write_text(
        yaml.safe_dump(doc, allow_unicode=True, default_flow_style=None), encoding="utf-8"
    )
    return what


# ----------------------------------------------------------------------------- cases

#: one fuzz example: mutate a fresh copy under ``work`` and run; returns what was mutated and
#: the outcome (the caller asserts or counts)
Example = Callable[[st.DataObject, Path], tuple[str, Outcome]]


def folder_example(name: str) -> Example:
    target = TARGETS[name]

    def example(data: st.DataObject, work: Path) -> tuple[str, Outcome]:
        copy_target(target, work)
        what = mutate_folder(data, work, target)
        return f"{name}: {what}", run(target.args(work), work / "out", inputs=work)

    return example


def workbook_args(target: Target, work: Path) -> tuple[Path, Path, list[str]]:
    """The instance folder, its workbook and the command line reading the workbook."""
    folder = work / str(target.workbook)
    book = work / f"{target.workbook}.xlsx"
    args = [str(book) if a == str(folder) else a for a in target.args(work)]
    return folder, book, args


def workbook_example(name: str) -> Example:
    target = TARGETS[name]

    def example(data: st.DataObject, work: Path) -> tuple[str, Outcome]:
        copy_target(target, work)
        folder, book, args = workbook_args(target, work)
        to_workbook(folder, book)
        what = mutate_workbook(data, book)
        return f"{name} workbook: {what}", run(args, work / "out", inputs=work)

    return example


def scenario_example(name: str) -> Example:
    source, args = SCENARIOS[name]
    instance = source.parent if source.parent.name != "scenarios" else source.parent.parent

    def example(data: st.DataObject, work: Path) -> tuple[str, Outcome]:
        scen = work / source.name
        shutil.copyfile(source, scen)
        what = mutate_scenario(data, scen)
        outcome = run(
            args(instance, scen),
            work / "out",
            inputs=(work, instance),
            hang_s=SCENARIO_HANG_S.get(name, HANG_S),
        )
        return f"scenario {name}: {what}", outcome

    return example


def curtois_example(data: st.DataObject, work: Path) -> tuple[str, Outcome]:
    f = work / curtois_source().name
    shutil.copyfile(curtois_source(), f)
    what = mutate_curtois(data, f)
    outcome = run(["roster", str(f), "--time-limit", "5", "--quiet"], work / "out", inputs=work)
    return f"Curtois {f.name}: {what}", outcome


#: every fuzz case by name: command on instance, as folder, workbook, scenario or Curtois file
CASES: dict[str, Example] = {
    **{name: folder_example(name) for name in TARGETS},
    **{f"{name}.xlsx": workbook_example(name) for name, t in TARGETS.items() if t.workbook},
    **{f"scenario-{name}": scenario_example(name) for name in SCENARIOS},
    "curtois": curtois_example,
}
