"""Curtois & Qu files with bad values: one line naming file, line, section and field; exit 2.

A cut or damaged file is an input error, never an "infeasible" benchmark; a UTF-8 byte-order
mark is accepted. Tiny files, not the benchmark's own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pks_opt.commands import main
from pks_opt.formats.curtois import read_curtois

#: 7 days, one shift, two nurses; line numbers are in the comments of the tests
BASE = """\
SECTION_HORIZON
7

SECTION_SHIFTS
D,480,

SECTION_STAFF
A,D=7,4320,960,5,1,1,1
B,D=7,4320,960,5,1,1,1

SECTION_DAYS_OFF
A,0

SECTION_SHIFT_ON_REQUESTS
B,2,D,2

SECTION_SHIFT_OFF_REQUESTS
A,3,D,1

SECTION_COVER
0,D,1,100,1
1,D,1,100,1
2,D,1,100,1
3,D,1,100,1
4,D,1,100,1
5,D,1,100,1
6,D,1,100,1
"""
LINE = {ln: i for i, ln in enumerate(BASE.splitlines(), start=1)}

BAD = [
    (
        "negative requirement",
        ("3,D,1,100,1", "3,D,-1,100,1"),
        f"row {LINE['3,D,1,100,1']}, field 'Requirement': SECTION_COVER: must not be negative",
    ),
    (
        "negative under weight",
        ("3,D,1,100,1", "3,D,1,-100,1"),
        f"row {LINE['3,D,1,100,1']}, field 'WeightUnder': SECTION_COVER: must not be negative",
    ),
    (
        "negative over weight",
        ("3,D,1,100,1", "3,D,1,100,-1"),
        f"row {LINE['3,D,1,100,1']}, field 'WeightOver': SECTION_COVER: must not be negative",
    ),
    (
        "negative request weight",
        ("B,2,D,2", "B,2,D,-2"),
        f"row {LINE['B,2,D,2']}, field 'Weight': SECTION_SHIFT_ON_REQUESTS: must not be negative",
    ),
    (
        "negative off request weight",
        ("A,3,D,1", "A,3,D,-1"),
        f"row {LINE['A,3,D,1']}, field 'Weight': SECTION_SHIFT_OFF_REQUESTS: must not be negative",
    ),
    (
        "MaxShifts -1",
        ("A,D=7,4320", "A,D=-1,4320"),
        f"row {LINE['A,D=7,4320,960,5,1,1,1']}, field 'MaxShifts': SECTION_STAFF: must not be "
        "negative (got -1)",
    ),
    (
        "negative MaxWeekends",
        ("A,D=7,4320,960,5,1,1,1", "A,D=7,4320,960,5,1,1,-1"),
        f"row {LINE['A,D=7,4320,960,5,1,1,1']}, field 'MaxWeekends': SECTION_STAFF: must not be "
        "negative",
    ),
    (
        "horizon 10**12",
        ("\n7\n", "\n1000000000000\n"),
        "row 2, field 'horizon': SECTION_HORIZON: the horizon must be 1..364 days "
        "(got 1000000000000)",
    ),
    (
        "min above max minutes",
        ("A,D=7,4320,960", "A,D=7,4320,9600"),
        f"row {LINE['A,D=7,4320,960,5,1,1,1']}, field 'MinTotalMinutes': SECTION_STAFF: A has "
        "MinTotalMinutes 9600 > MaxTotalMinutes 4320",
    ),
    (
        "min minutes out of reach",
        ("A,D=7,4320,960", "A,D=1,4320,960"),
        f"row {LINE['A,D=7,4320,960,5,1,1,1']}, field 'MinTotalMinutes': SECTION_STAFF: A has "
        "MinTotalMinutes 960, but at most 480 minutes can be worked",
    ),
    (
        "cover repeated",
        ("5,D,1,100,1\n", "5,D,1,100,1\n5,D,2,100,1\n"),
        f"row {LINE['5,D,1,100,1'] + 1}, field 'Day': SECTION_COVER: a second line for day 5, "
        f"shift D (first on line {LINE['5,D,1,100,1']})",
    ),
]


def _write(tmp_path: Path, text: str, name: str = "Instance99.txt") -> Path:
    f = tmp_path / name
    f.write_text(text, encoding="ascii")
    return f


def _refused(tmp_path: Path, f: Path) -> str:
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["roster", str(f), "--out", str(out), "--quiet"])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in res.output, res.output
    assert not out.exists()
    return lines[0]


@pytest.mark.parametrize(("what", "change", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_value_names_line_section_and_field(
    tmp_path: Path, what: str, change: tuple[str, str], message: str
) -> None:
    assert change[0] in BASE
    f = _write(tmp_path, BASE.replace(change[0], change[1], 1))
    line = _refused(tmp_path, f)
    assert f"Instance99.txt {message}" in line, line


def test_file_cut_inside_cover_is_an_input_error(tmp_path: Path) -> None:
    # cut after the line for day 4 (the last two cover lines are missing)
    cut = BASE[: BASE.index("5,D,1,100,1")]
    line = _refused(tmp_path, _write(tmp_path, cut))
    assert (
        f"Instance99.txt row {LINE['4,D,1,100,1']}, field 'Day': SECTION_COVER has no line "
        "for day 5, shift D (5 of 7 lines; is the file cut"
    ) in line
    # cut inside a line
    cut = BASE[: BASE.index("5,D,1,100,1") + 3]
    line = _refused(tmp_path, _write(tmp_path, cut))
    assert (
        f"Instance99.txt row {LINE['5,D,1,100,1']}: SECTION_COVER: expected Day, ShiftID, "
        "Requirement, WeightUnder, WeightOver, got 2 field(s)"
    ) in line


def test_repeated_section_is_an_input_error(tmp_path: Path) -> None:
    f = _write(tmp_path, BASE + "\nSECTION_COVER\n6,D,1,100,1\n")
    line = _refused(tmp_path, f)
    assert (
        f"Instance99.txt row {len(BASE.splitlines()) + 2}: SECTION_COVER appears twice "
        f"(first on line {LINE['SECTION_COVER']})"
    ) in line


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    f = tmp_path / "Instance98.txt"
    f.write_bytes(b"\xef\xbb\xbf" + BASE.encode("ascii"))
    inst = read_curtois(f)
    assert inst.horizon == 7 and len(inst.cover) == 7
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        ["roster", str(f), "--out", str(out), "--quiet", "--time-limit", "5", "--workers", "1"],
    )
    assert res.exit_code == 0, res.output
    assert (out / "roster.csv").exists()
