"""Hand-over into and out of the roster: named specialists, acute dimensioning, feedback, trace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pks_opt.commands import main
from pks_opt.errors import InputError
from pks_opt.rostering import SolveOptions, read_roster, roster_result
from pks_opt.rostering.handover import FEEDBACK_COLUMNS, TRACE_COLUMNS

from .conftest import write_instance

FAST = SolveOptions(time_limit_s=5, workers=1)
SD_HEADER = (
    "week_type,weekday,session,start,end,competence,staff,activity_type,named_staff,trace_ids\n"
)
CELL = "matrix:normal:clinic:Mon:am:R1"
NO_DEMAND = "weekday,shift,competence,staff\n"


def _matrix(tmp_path: Path, rows: str, *, trace: str | None = None) -> Path:
    folder = tmp_path / "matrix"
    folder.mkdir()
    (folder / "staff_demand.csv").write_text(SD_HEADER + rows, encoding="utf-8")
    if trace is not None:
        (folder / "trace.csv").write_text(trace, encoding="utf-8")
    return folder


def _roster(tmp_path: Path, **tables: str) -> Path:
    # One Monday (2026-03-30), shifts D 07-15 / E 15-23 / N 21-07, nurses A and B.
    args = {
        "staff": "id,competences\nA,RN\nB,RN\n",
        "demand": NO_DEMAND,
        "params": {"days": 1, "unit": "WARD7"},
    }
    args.update(tables)
    return write_instance(tmp_path / "roster", **args)  # type: ignore[arg-type]


@pytest.mark.rule("rostering", "R3b")
def test_named_specialist_reaches_the_roster(tmp_path: Path) -> None:
    # The matrix puts B (named) on Monday's am session of 'clinic' (1 RN). The session lies in
    # D 07-15. A wants to work D, B wants the day off (weight 1 each, last stage). Tier 2
    # holds the cover row (1 RN on D) and B by name: B on D is the only roster with tier-2
    # shortfall 0, so B works D although B's wish is then broken.
    mdir = _matrix(tmp_path, f"normal,0,am,08:00,12:00,RN,1,clinic,B,{CELL}\n")
    inst = _roster(
        tmp_path,
        wishes="staff,date,shift,want,weight\nA,2026-03-30,D,work,1\nB,2026-03-30,,off,1\n",
    )
    data = read_roster(inst, matrix_dir=mdir)
    assert [
        (n.day, n.shift, n.competence, n.staff, n.tier, n.parent_ids) for n in data.named_demand
    ] == [(0, "D", "RN", "B", 2, (CELL,))]
    res, sol = roster_result(data, FAST)
    assert sol.assignment[("B", 0)] == ("D", "RN")
    assert res.kpis["named_staff_asked"] == 1 and res.kpis["named_staff_short"] == 0
    assert res.tables["feedback"].empty
    tr = res.tables["trace"].set_index("id")
    assert tr.loc["roster:2026-03-30:D:RN:B", "parent_ids"] == CELL
    assert tr.loc["roster:2026-03-30:D:RN:t2", "parent_ids"] == CELL
    assert tr.loc["roster:2026-03-30:D:RN:t2", "object"] == "clinic"


@pytest.mark.rule("rostering", "R3b")
def test_named_specialist_absent_is_named_in_feedback(tmp_path: Path) -> None:
    # Same, but B is on vacation: A covers the 1 RN (cover row met); B's named row is short:
    # one feedback row, resource 'B (RN)', agreed 1, achievable 0, gap −1, cause the vacation.
    mdir = _matrix(tmp_path, f"normal,0,am,08:00,12:00,RN,1,clinic,B,{CELL}\n")
    inst = _roster(tmp_path, absences="staff,start,end,reason\nB,2026-03-30,2026-03-30,vacation\n")
    res, sol = roster_result(read_roster(inst, matrix_dir=mdir), FAST)
    assert sol.assignment[("A", 0)] == ("D", "RN")
    assert res.kpis["tier2_short_shifts"] == 0 and res.kpis["named_staff_short"] == 1
    fb = res.tables["feedback"]
    assert fb[
        ["level", "unit", "object", "resource", "period", "agreed", "achievable", "gap"]
    ].values.tolist() == [["roster", "WARD7", "", "B (RN)", "2026-03-30 D", 1, 0, -1]]
    assert "B is not on D as RN (1 absent: vacation)" in fb["cause"][0]
    assert any(
        "named staff not on the shifts the matrix gave them: B on 2026-03-30" in line
        for line in res.explanation
    )


@pytest.mark.parametrize(
    ("named", "message"),
    [
        ("Z", "'Z', named by the activity matrix, is not in the roster's staff"),
        ("C", "'C', named by the activity matrix as RN, does not have that competence"),
    ],
)
def test_named_person_the_roster_cannot_place_is_input_error(
    tmp_path: Path, named: str, message: str
) -> None:
    mdir = _matrix(tmp_path, f"normal,0,am,08:00,12:00,RN,1,clinic,{named},\n")
    inst = _roster(tmp_path, staff="id,competences\nA,RN\nB,RN\nC,USK\n")
    with pytest.raises(InputError) as exc:
        read_roster(inst, matrix_dir=mdir)
    assert "staff_demand.csv row 2, field 'named_staff'" in str(exc.value)
    assert message in str(exc.value)


def test_shortfall_against_the_matrix_in_feedback(tmp_path: Path) -> None:
    # The matrix asks 3 RN on Monday D (2 sessions am/pm: max(3, 1) = 3); 2 nurses exist →
    # 2 of 3, gap −1, tier 2; the cause names the activity types and the 2 qualified.
    mdir = _matrix(
        tmp_path,
        f"normal,0,am,08:00,12:00,RN,3,clinic,,{CELL}\nnormal,0,pm,12:00,15:00,RN,1,procedures,,\n",
    )
    res, _ = roster_result(read_roster(_roster(tmp_path), matrix_dir=mdir), FAST)
    fb = res.tables["feedback"]
    assert list(fb.columns) == FEEDBACK_COLUMNS
    assert fb[["resource", "period", "agreed", "achievable", "gap"]].values.tolist() == [
        ["RN", "2026-03-30 D", 3, 2, -1]
    ]
    assert fb["cause"][0].startswith(
        "tier 2, activity matrix: clinic, procedures: only 2 of 3 RN on D; of the 2 qualified:"
    )


def test_trace_parents_resolve_to_the_matrix_trace(tmp_path: Path) -> None:
    # The matrix folder's trace.csv has the cell: the tier-2 row's parent resolves to it.
    # A cell id it lacks is bad input on staff_demand.csv's trace_ids.
    trace = (
        "id,level,unit,object,period,quantity,measure,parent_ids,note\n"
        f"{CELL},matrix,WARD7,clinic,normal Mon am,4,patients,plan:WARD7:x:w1,\n"
    )
    mdir = _matrix(tmp_path, f"normal,0,am,08:00,12:00,RN,1,clinic,,{CELL}\n", trace=trace)
    res, _ = roster_result(read_roster(_roster(tmp_path), matrix_dir=mdir), FAST)
    tr = res.tables["trace"]
    assert list(tr.columns) == TRACE_COLUMNS and tr["id"].is_unique
    assert tr["parent_ids"].tolist() == [CELL]
    (mdir / "staff_demand.csv").write_text(
        SD_HEADER + "normal,0,am,08:00,12:00,RN,1,clinic,,matrix:normal:clinic:Tue:am:R9\n",
        encoding="utf-8",
    )
    with pytest.raises(
        InputError,
        match=r"staff_demand.csv row 2, field 'trace_ids': matrix "
        r"cell 'matrix:normal:clinic:Tue:am:R9' is not in",
    ):
        read_roster(_roster(tmp_path / "again"), matrix_dir=mdir)


ACUTE = """\
unit,block,days,share_target,capacity,days_covered,share_covered,mean_arrivals,max_arrivals
WARD7,day_07_22,20,0.85,14,17,0.85,11.2,18
WARD7,night_23_06,20,0.85,5,18,0.9,3.1,7
ER,day_07_22,20,0.85,40,17,0.85,33,51
"""
STAFFING = """\
block,shift,competence,arrivals_per_staff,weight_under
day_07_22,D,RN,6,10
day_07_22,E,RN,6,10
night_23_06,N,RN,4,10
"""


def _need(tmp_path: Path, text: str = ACUTE) -> Path:
    folder = tmp_path / "need"
    folder.mkdir(exist_ok=True)
    (folder / "acute_dimensioning.csv").write_text(text, encoding="utf-8")
    return folder


def test_acute_dimensioning_becomes_tier1_demand(tmp_path: Path) -> None:
    # WARD7 (the roster's unit parameter): day block 14 arrivals at 6 per nurse → ⌈14/6⌉ = 3
    # on D and 3 on E; night block 5 at 4 → ⌈5/4⌉ = 2 on N; every day (2 days), tier 1,
    # weight 10. ER's row is another unit's and is not taken.
    inst = _roster(tmp_path, acute_staffing=STAFFING, params={"days": 2, "unit": "WARD7"})
    data = read_roster(inst, need_dir=_need(tmp_path))
    got = sorted((d.day, d.shift, d.required, d.tier, d.weight_under) for d in data.demand)
    assert got == [
        (0, "D", 3, 1, 10),
        (0, "E", 3, 1, 10),
        (0, "N", 2, 1, 10),
        (1, "D", 3, 1, 10),
        (1, "E", 3, 1, 10),
        (1, "N", 2, 1, 10),
    ]
    assert data.demand[0].source == "acute dimensioning WARD7 day_07_22: 14 arrivals ÷ 6 per staff"
    # --unit ER picks the other unit: 40 / 6 → 7 on D and E; but ER has no night block, so
    # the night row of acute_staffing names a block ER does not have
    with pytest.raises(
        InputError,
        match=r"acute_staffing.csv row 4, field 'block': block "
        r"'night_23_06' is not in the acute dimensioning of unit 'ER'",
    ):
        read_roster(inst, need_dir=_need(tmp_path), unit="ER")


def test_acute_staffing_replaces_the_instances_own_weekly_tier1_rows(tmp_path: Path) -> None:
    # The instance asks 1 RN on D every Monday (tier 1), 1 RN on D on 2026-03-30 for a training
    # (dated) and 1 RN on E (tier 2). --from-need maps D, E and N RN (3 / 3 / 2, as above): the
    # weekly tier-1 D row is replaced by the need level's 3; the dated row stays and adds (4);
    # tier 2 stays on its own. Without --from-need the instance's rows are read as they are.
    demand = (
        "date,weekday,shift,competence,staff,tier,note\n"
        ",0,D,RN,1,1,own minimum\n"
        "2026-03-30,,D,RN,1,1,training\n"
        ",0,E,RN,1,2,clinic\n"
    )
    inst = _roster(tmp_path, demand=demand, acute_staffing=STAFFING)
    got = {
        (d.shift, d.tier): d.required for d in read_roster(inst, need_dir=_need(tmp_path)).demand
    }
    assert got == {("D", 1): 4, ("E", 1): 3, ("N", 1): 2, ("E", 2): 1}
    own = {(d.shift, d.tier): d.required for d in read_roster(inst).demand}
    assert own == {("D", 1): 2, ("E", 2): 1}


def test_shipped_seed_need_to_ward_roster_tier1(tmp_path: Path) -> None:
    # Shipped chain: pks need seed-inpatient gives WARD's acute dimensioning (day_07_22: 16
    # arrivals on 85 % of the 20 days, night_23_06: 5). ward-roster's acute_staffing.csv: 8
    # arrivals per RN and per USK on D and on E, 5 per RN and per USK on N -> 2 RN + 2 USK on
    # D and on E, 1 + 1 on N, every day, tier 1. That is the ward's own weekday rows, which it
    # replaces; only the weekend evening USK rises from the ward's own 1 to 2 (the need level
    # has no weekday profile). The on-call physician (J LAK) and the dated CPR training stay.
    from pks_opt.instances import instance_path

    need_out = tmp_path / "need"
    res = CliRunner().invoke(
        main, ["need", str(instance_path("seed-inpatient")), "--out", str(need_out)]
    )
    assert res.exit_code == 0, res.output
    ward = instance_path("ward-roster")
    own = read_roster(ward)
    data = read_roster(ward, need_dir=need_out)
    tier1 = {(d.day, d.shift, d.competence): d for d in data.demand if d.tier == 1}
    cpr = 23  # 2026-04-22, day 23 of the horizon: the training's 2 RN on D come on top
    for shift, comp, staff in [("D", "RN", 2), ("E", "RN", 2), ("N", "RN", 1), ("D", "USK", 2),
                               ("E", "USK", 2), ("N", "USK", 1)]:  # fmt: skip
        for day in range(data.num_days):
            extra = 2 if (day, shift, comp) == (cpr, "D", "RN") else 0
            assert tier1[(day, shift, comp)].required == staff + extra
    assert tier1[(0, "D", "RN")].source.startswith("acute dimensioning WARD day_07_22: 16 arr")
    assert tier1[(0, "J", "LAK")].required == 1
    before = {(d.day, d.shift, d.competence, d.tier): d.required for d in own.demand}
    after = {(d.day, d.shift, d.competence, d.tier): d.required for d in data.demand}
    changed = {k for k in before if after.get(k) != before[k]}
    assert changed and all(k[1:] == ("E", "USK", 1) and before[k] == 1 for k in changed)
    assert set(after) == set(before)


@pytest.mark.parametrize(
    ("staffing", "params", "message"),
    [
        (
            STAFFING.replace("night_23_06,N,RN,4,10\n", ""),
            {"unit": "WARD7"},
            "acute_dimensioning.csv row 3, field 'block': block 'night_23_06' of unit 'WARD7' "
            "has no "
            "row in acute_staffing",
        ),
        (
            STAFFING,
            {"unit": None},
            "acute_dimensioning.csv, field 'unit': acute dimensioning has "
            "units WARD7, ER: choose one with --unit",
        ),
        (None, {"unit": "WARD7"}, "--from-need needs an acute_staffing table"),
    ],
)
def test_acute_hand_over_bad_input(
    tmp_path: Path, staffing: str | None, params: dict[str, object], message: str
) -> None:
    tables = {} if staffing is None else {"acute_staffing": staffing}
    inst = _roster(tmp_path, params={"days": 1, **params}, **tables)
    with pytest.raises(InputError) as exc:
        read_roster(inst, need_dir=_need(tmp_path))
    assert message in str(exc.value)


def test_cli_from_need_writes_feedback_and_trace(tmp_path: Path) -> None:
    # One day, nurses A and B only: tier 1 asks 3 D + 3 E + 2 N = 8; at most 2 can work
    # (one shift a day each) → 6 short, each row named in feedback.csv with its block, and
    # 3 tier-1 rows in trace.csv without parents (the need level writes no trace).
    inst = _roster(tmp_path, acute_staffing=STAFFING)
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        [
            "roster",
            str(inst),
            "--from-need",
            str(_need(tmp_path)),
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
    assert env["kpis"]["tier1_short_shifts"] == 6
    assert {"feedback", "trace"} <= set(env["tables"])
    fb = (out / "feedback.csv").read_text().splitlines()
    assert fb[0] == ",".join(FEEDBACK_COLUMNS) and len(fb) == 1 + 3
    assert sum(int(line.split(",")[7]) for line in fb[1:]) == -6
    assert all("acute dimensioning WARD7" in line for line in fb[1:])
    tr = (out / "trace.csv").read_text().splitlines()
    assert len(tr) == 1 + 3 and all(",staff,," in line for line in tr[1:])


def test_cli_unit_without_from_need_exit_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        main,
        [
            "roster",
            str(_roster(tmp_path, demand="weekday,shift,competence,staff\n0,D,RN,1\n")),
            "--unit",
            "X",
            "--quiet",
        ],
    )
    assert res.exit_code == 2 and "--unit needs --from-need" in res.output
