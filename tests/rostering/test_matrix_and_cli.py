"""--from-matrix conversion, the CLI outputs, and bad input (exit 2, one line, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pks_opt.commands import main
from pks_opt.errors import InputError
from pks_opt.rostering import read_roster

from .conftest import write_instance

STAFF = "id,competences\nA,RN\nB,RN\nC,USK\n"
MATRIX = """\
week_type,weekday,session,start,end,competence,staff,activity_type
normal,0,AM,08:00,12:00,RN,2,clinic
normal,0,AM,08:00,12:00,RN,1,procedures
normal,0,PM,13:00,15:00,RN,1,clinic
normal,0,EVE,17:00,20:00,USK,1,evening clinic
low,0,AM,08:00,12:00,RN,1,clinic
"""


def test_from_matrix_places_sessions_on_covering_shifts(tmp_path: Path) -> None:
    # Two weeks from Monday 2026-03-30; week 2 is a low-production week.
    # Monday normal: AM RN 2+1 = 3 (same session adds up), PM RN 1 -> both inside D 07-15,
    # D takes max(3, 1) = 3; EVE 17-20 USK -> E 15-23 (D does not cover it). Low Monday: RN 1.
    inst = write_instance(
        tmp_path / "i",
        staff=STAFF,
        demand="date,shift,competence,staff\n2026-03-31,N,RN,1\n",
        params={"days": 14},
        week_types="week_start,week_type\n2026-04-06,low\n",
    )
    mdir = tmp_path / "matrix"
    mdir.mkdir()
    (mdir / "staff_demand.csv").write_text(MATRIX, encoding="utf-8")
    data = read_roster(inst, matrix_dir=mdir)
    tier2 = sorted((d.day, d.shift, d.competence, d.required) for d in data.demand if d.tier == 2)
    assert tier2 == [(0, "D", "RN", 3), (0, "E", "USK", 1), (7, "D", "RN", 1)]
    assert all(d.source == "activity matrix" for d in data.demand if d.tier == 2)


def test_from_matrix_session_no_shift_covers(tmp_path: Path) -> None:
    inst = write_instance(
        tmp_path / "i", staff=STAFF, demand="date,shift,competence,staff\n2026-03-31,N,RN,1\n"
    )
    mdir = tmp_path / "m"
    mdir.mkdir()
    (mdir / "staff_demand.csv").write_text(
        "week_type,weekday,session,start,end,competence,staff,activity_type\n"
        "normal,1,LONG,06:00,20:00,RN,1,clinic\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"staff_demand.csv row 2, field 'start': no shift covers"):
        read_roster(inst, matrix_dir=mdir)


def _tiny(tmp_path: Path, **kw: str) -> Path:
    args = {
        "staff": STAFF,
        "demand": "weekday,shift,competence,staff,tier\n0,D,RN,1,1\n1,D,RN,2,2\n2,D,USK,1,3\n",
    }
    args.update(kw)
    return write_instance(tmp_path / "inst", **args)  # type: ignore[arg-type]


def test_cli_writes_all_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        [
            "roster",
            str(_tiny(tmp_path)),
            "--out",
            str(out),
            "--time-limit",
            "5",
            "--workers",
            "1",
            "--excel",
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    for f in (
        "roster.csv",
        "hours.csv",
        "coverage.csv",
        "shortfalls.csv",
        "roster_vs_plan.csv",
        "roster_heatmap.png",
        "tables.xlsx",
        "result.json",
    ):
        assert (out / f).exists(), f
    env = json.loads((out / "result.json").read_text())
    assert [s["name"] for s in env["stages"]] == [
        "tier-1 shortfall",
        "tier-2 shortfall",
        "tier-3 + wishes + fairness + target hours",
    ]
    assert all(s["proven_optimal"] for s in env["stages"])
    # three staff, 3 days, every demand coverable -> no shortfall, no explanation lines of weeks
    assert env["kpis"]["tier1_short_shifts"] == env["kpis"]["tier2_short_shifts"] == 0
    assert env["explanation"] == ["every demand is covered (tiers 1-3)"]


def test_cli_names_shortfalls_and_escalates(tmp_path: Path) -> None:
    # Day 1 needs 2 RN at tier 2, but B is on vacation: 1 RN short (8 h), reason named.
    inst = _tiny(tmp_path, absences="staff,start,end,reason\nB,2026-03-31,2026-03-31,vacation\n")
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        ["roster", str(inst), "--out", str(out), "--time-limit", "5", "--workers", "1", "--quiet"],
    )
    assert res.exit_code == 0, res.output
    short = (out / "shortfalls.csv").read_text().splitlines()
    assert len(short) == 2
    assert short[1].startswith("2026-03-31,2026-W14,D,RN,2,2,1,1,8.0,2,1,")
    assert "1 absent: vacation" in short[1]
    env = json.loads((out / "result.json").read_text())
    assert env["explanation"][0].startswith(
        "week 2026-W14: tier 2 short by 8 RN-hours (1 shift(s)), cause: 1 approved absences "
        "(1 vacation)"
    )


BAD = [
    (
        "zero-length shift",
        {"shifts": "id,start,end\nD,07:00,07:00\n"},
        "shifts.csv row 2, field 'end': shift has zero length",
    ),
    (
        "longer than 16 h",
        {"shifts": "id,start,end\nD,06:00,31:00\n"},
        "shifts.csv row 2, field 'end': shift 06:00-31:00 is 25 h long, more than 16 h",
    ),
    (
        "on call longer than 24 h",
        {"shifts": "id,start,end,category\nD,06:00,31:00,oncall\n"},
        "shifts.csv row 2, field 'end': shift 06:00-31:00 is 25 h long, more than 24 h",
    ),
    (
        "duplicate staff",
        {"staff": "id,competences\nA,RN\nA,USK\n"},
        "staff.csv row 3, field 'id': duplicate staff id 'A'",
    ),
    (
        "unknown competence",
        {"demand": "weekday,shift,competence,staff\n0,D,LAK,1\n"},
        "demand.csv row 2, field 'competence': demand on competence 'LAK', which no staff "
        "member has",
    ),
    (
        "unknown shift",
        {"demand": "weekday,shift,competence,staff\n0,X,RN,1\n"},
        "demand.csv row 2, field 'shift': shift 'X' is not defined",
    ),
    # a week type the matrix does not have would silently get no tier-2 demand
    (
        "week type not in matrix",
        {"staff_demand": MATRIX, "week_types": "week_start,week_type\n2026-03-30,sumer\n"},
        "week_types.csv row 2, field 'week_type': week type 'sumer' has no rows in the activity "
        "matrix's staff_demand.csv (it has: low, normal)",
    ),
]


@pytest.mark.parametrize(("what", "override", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_exit_2_one_line_nothing_written(
    tmp_path: Path, what: str, override: dict[str, str], message: str
) -> None:
    base = {"staff": STAFF, "demand": "weekday,shift,competence,staff\n0,D,RN,1\n"}
    base.update(override)
    inst = write_instance(tmp_path / "inst", **base)  # type: ignore[arg-type]
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["roster", str(inst), "--out", str(out), "--quiet"])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], res.output
    assert "Traceback" not in res.output
    assert not out.exists()


def test_no_roster_at_all_exit_1(tmp_path: Path) -> None:
    # A is pinned to E (15-23) on day 0 and D (07-15) on day 1: 8 h rest < 11 h, so no roster
    # satisfies the hard rules -> INFEASIBLE, exit 1, explanation printed.
    inst = _tiny(tmp_path, pinned="staff,date,shift\nA,2026-03-30,E\nA,2026-03-31,D\n")
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        ["roster", str(inst), "--out", str(out), "--time-limit", "5", "--workers", "1", "--quiet"],
    )
    assert res.exit_code == 1, res.output
    assert "status: INFEASIBLE" in res.output
    assert "no roster satisfies the hard rules" in res.output


def test_cli_from_matrix_adds_tier2_demand(tmp_path: Path) -> None:
    # Monday: matrix says 3 RN on D (tier 2) + 1 USK on E; only 2 RN exist -> tier 2 short 1
    # on 2026-03-30 D RN, and the E USK cell is covered by C.
    inst = write_instance(
        tmp_path / "i",
        staff=STAFF,
        demand="date,shift,competence,staff\n2026-03-31,N,RN,1\n",
        params={"days": 3},
    )
    mdir = tmp_path / "matrix"
    mdir.mkdir()
    (mdir / "staff_demand.csv").write_text(MATRIX, encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        [
            "roster",
            str(inst),
            "--from-matrix",
            str(mdir),
            "--out",
            str(out),
            "--time-limit",
            "5",
            "--workers",
            "1",
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    env = json.loads((out / "result.json").read_text())
    assert env["kpis"]["tier2_short_shifts"] == 1
    short = (out / "shortfalls.csv").read_text().splitlines()[1]
    assert short.startswith("2026-03-30,2026-W14,D,RN,2,3,2,1,")
