"""One behaviour test per constraint of models/activity_matrix.md on tiny grids.

Each test states the grid and works out the optimum by hand in a comment.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pks_opt.activity_matrix import read_matrix
from pks_opt.activity_matrix.model import MatrixModel
from pks_opt.activity_matrix.solution import room_changes, stage_values, violations
from pks_opt.result import SolveStatus

from .helpers import delivered, grid, solve, write_instance


@pytest.mark.rule("activity_matrix", "R0", "R1")
def test_capability_only_capable_rooms(tmp_path: Path) -> None:
    # R1 general, R2 endoscopy; 1 session; gastro needs endoscopy and 2 sessions.
    # Only R2 can hold gastro → 1 delivered, 1 short (weight 1) → objective 1.
    inst = write_instance(
        tmp_path / "i",
        {
            "rooms": "room,capabilities\nR1,\nR2,endoscopy\n",
            "activity_types": "activity_type,priority,capability,sessions_per_week\n"
            "gastro,1,endoscopy,2\n",
        },
    )
    res = solve(inst)
    assert res.status is SolveStatus.OPTIMAL
    assert grid(res) == {("R1", "am", "Mon"): "", ("R2", "am", "Mon"): "gastro"}
    assert res.objective == 1
    assert res.explanation == [
        "gastro (priority 1) needs 2 sessions a week, gets 1 (1 short): "
        "rooms with endoscopy have 1 open session a week"
    ]


@pytest.mark.rule("activity_matrix", "R0")
def test_closed_sessions_are_not_used(tmp_path: Path) -> None:
    # 1 room, am + pm, pm closed; A needs 2 → only am → 1 delivered, grid shows 'closed'.
    inst = write_instance(
        tmp_path / "i",
        {
            "sessions": "session,start,end\nam,08:00,12:00\npm,13:00,17:00\n",
            "activity_types": "activity_type,priority,sessions_per_week\nA,1,2\n",
            "room_closed": "room,weekday,session\nR1,,pm\n",
        },
    )
    res = solve(inst)
    assert grid(res) == {("R1", "am", "Mon"): "A", ("R1", "pm", "Mon"): "closed"}
    assert delivered(res) == {"A": 1}
    assert "the rooms have 1 open session a week" in res.explanation[0]


@pytest.mark.rule("activity_matrix", "R3")
def test_staff_availability_limits_sessions(tmp_path: Path) -> None:
    # 2 rooms, 2 days × 1 session; cardio needs 1 physician per session and 4 sessions.
    # One physician, absent on Tuesday → 1 physician session → 1 cardio session.
    inst = write_instance(
        tmp_path / "i",
        {
            "rooms": "room,capabilities\nR1,\nR2,\n",
            "activity_types": "activity_type,priority,sessions_per_week\ncardio,1,4\n",
            "activity_staff": "activity_type,competence,staff\ncardio,physician,1\n",
            "staff": "staff,competence,count\nP1,physician,1\n",
            "staff_availability": "staff,weekday,session,available\nP1,1,,0\n",
        },
        days=[0, 1],
    )
    res = solve(inst)
    assert delivered(res) == {"cardio": 1}
    cells = {k: v for k, v in grid(res).items() if v}
    assert list(cells.values()) == ["cardio"] and next(iter(cells))[2] == "Mon"
    assert res.explanation[0].endswith("cardio needs 4 physician sessions a week; 1 is available")
    sg = res.tables["staff_grid"]
    assert sg.loc[sg["staff"] == "P1", "Tue"].item() == "absent"


@pytest.mark.rule("activity_matrix", "R2")
def test_staff_pool_and_specialty(tmp_path: Path) -> None:
    # 2 rooms, 1 session. gastro needs 1 physician + 2 nurses; nurse pool of 3; physicians:
    # G (gastro) and O (other only). gastro needs 2 sessions → nurses (3 // 2 = 1) and
    # gastro physicians (1) allow 1 → 1 delivered; staff_demand: physician 1, nurse 2.
    inst = write_instance(
        tmp_path / "i",
        {
            "rooms": "room,capabilities\nR1,\nR2,\n",
            "activity_types": "activity_type,priority,sessions_per_week\ngastro,1,2\nother,2,0\n",
            "activity_staff": "activity_type,competence,staff\ngastro,physician,1\n"
            "gastro,nurse,2\nother,physician,1\n",
            "staff": "staff,competence,count,activities\nG,physician,1,gastro\n"
            "O,physician,1,other\nN,nurse,3,\n",
        },
    )
    res = solve(inst)
    assert delivered(res) == {"gastro": 1, "other": 0}
    sd = res.tables["staff_demand"]
    assert sorted(zip(sd["competence"], sd["staff"], strict=True)) == [
        ("nurse", 2),
        ("physician", 1),
    ]
    assert "1 able to do it is available" in res.explanation[0]


def test_same_day_slots_come_first(tmp_path: Path) -> None:
    # 1 room, Mon + Tue × 1 session. Same-day 'acute' needs 1 on Mon and 1 on Tue (stage 1);
    # planned gastro (priority 1) needs 2. Stage 1 takes both cells → gastro gets 0.
    # Weights: acute's weekly need is raised to its day minimums (2) → weight 1; gastro
    # 1 + 2 × 1 = 3. Objective = 0 (stage 1) + 2 × 3 = 6.
    inst = write_instance(
        tmp_path / "i",
        {
            "activity_types": "activity_type,priority,sessions_per_week\nacute,2,0\ngastro,1,2\n",
            "same_day": "activity_type,weekday,sessions\nacute,0,1\nacute,1,1\n",
        },
        days=[0, 1],
    )
    res = solve(inst)
    assert grid(res) == {("R1", "am", "Mon"): "acute", ("R1", "am", "Tue"): "acute"}
    assert [s.objective for s in res.stages[:2]] == [0, 6]
    assert res.objective == 6


def test_same_day_shortfall_by_day(tmp_path: Path) -> None:
    # 1 room × 1 session, Mon + Tue. Same-day needs 2 on Monday, 1 on Tuesday → Monday is
    # 1 short (one room session a day); the line names the day.
    inst = write_instance(
        tmp_path / "i",
        {
            "activity_types": "activity_type,priority,sessions_per_week\nacute,1,0\n",
            "same_day": "activity_type,weekday,sessions\nacute,0,2\nacute,1,1\n",
        },
        days=[0, 1],
    )
    res = solve(inst)
    assert res.stages[0].objective == 1
    dc = res.tables["day_coverage"]
    assert dc.set_index("day")["shortfall"].to_dict() == {"Mon": 1, "Tue": 0}
    assert res.explanation[0] == (
        "Monday: acute needs 2 same-day sessions, gets 1 (1 short): "
        "the rooms have 1 open session on Monday"
    )


@pytest.mark.rule("activity_matrix", "R6")
def test_same_day_follows_inflow_profile(tmp_path: Path) -> None:
    # 7 same-day sessions a week, inflow shares 26/24/18/17/15 %: quotas 1.82, 1.68, 1.26,
    # 1.19, 1.05 → floors 1 each (5), the 2 left go to the largest remainders (Mon .82,
    # Tue .68) → 2, 2, 1, 1, 1, all delivered (2 rooms × 1 session a day).
    inst = write_instance(
        tmp_path / "i",
        {
            "rooms": "room,capabilities\nR1,\nR2,\n",
            "activity_types": (
                "activity_type,priority,sessions_per_week,same_day_per_week\nother,1,0,7\n"
            ),
            "inflow_profile": "weekday,share\n0,26\n1,24\n2,18\n3,17\n4,15\n",
        },
        days=[0, 1, 2, 3, 4],
    )
    data = read_matrix(inst)
    assert [data.same_day.get(("other", d), 0) for d in range(5)] == [2, 2, 1, 1, 1]
    res = solve(inst)
    assert res.tables["coverage"][["Mon", "Tue", "Wed", "Thu", "Fri"]].values.tolist() == [
        [2, 2, 1, 1, 1]
    ]


@pytest.mark.rule("activity_matrix", "R1")
def test_priority_order_of_shortfalls(tmp_path: Path) -> None:
    # 1 room × 2 sessions. A (priority 1) needs 2, B (priority 2) needs 3.
    # Any split leaves 3 sessions short; strict priority gives both cells to A.
    # Weights: B = 1, A = 1 + 3 × 1 = 4 → objective = 3 × 1 = 3.
    inst = write_instance(
        tmp_path / "i",
        {
            "sessions": "session,start,end\nam,08:00,12:00\npm,13:00,17:00\n",
            "activity_types": "activity_type,priority,sessions_per_week\nA,1,2\nB,2,3\n",
        },
    )
    res = solve(inst)
    assert delivered(res) == {"A": 2, "B": 0}
    assert res.objective == 3
    assert len(res.explanation) == 1
    assert res.explanation[0].startswith("B (priority 2) needs 3 sessions a week, gets 0")
    assert "the rooms have 2 open sessions a week" in res.explanation[0]


def test_competition_is_named(tmp_path: Path) -> None:
    # 1 room × 1 session. A (priority 1) needs 1, B (priority 2) needs 1: B's only room goes
    # to A; B's own room/staff capacity is enough, so the line names the competitor and the
    # clinic-wide count (1 room session for 1 + 1 needed).
    inst = write_instance(
        tmp_path / "i",
        {
            "activity_types": "activity_type,priority,sessions_per_week\nA,1,1\nB,2,1\n",
        },
    )
    res = solve(inst)
    assert res.explanation == [
        "B (priority 2) needs 1 session a week, gets 0 (1 short): the rooms and staff it "
        "could use go to same-day work, pinned cells or activities of higher or equal "
        "priority (A 1); the clinic has 1 open room session a week for 2 needed"
    ]


def test_continuity_keeps_a_room_row(tmp_path: Path) -> None:
    # 2 rooms × 2 days × 1 session; A and B need 2 each. Continuity optimum: each room row
    # holds one type all week (2 rows) rather than mixing (4 row/type pairs).
    inst = write_instance(
        tmp_path / "i",
        {
            "rooms": "room,capabilities\nR1,\nR2,\n",
            "activity_types": "activity_type,priority,sessions_per_week\nA,1,2\nB,1,2\n",
        },
        days=[0, 1],
    )
    res = solve(inst)
    g = grid(res)
    assert g[("R1", "am", "Mon")] == g[("R1", "am", "Tue")]
    assert g[("R2", "am", "Mon")] == g[("R2", "am", "Tue")]
    assert {g[("R1", "am", "Mon")], g[("R2", "am", "Mon")]} == {"A", "B"}
    assert res.kpis["continuity_rows"] == 2


def test_even_spread_and_room_changes(tmp_path: Path) -> None:
    # 1 room, Mon + Tue × am/pm; A and B need 2 each. Continuity optimum 2 (A in one
    # row, B in the other) → spread 0 (one A and one B a day) and 2 room changes (am→pm
    # each day). Mixing days (A A on Monday) would cost continuity 4 and spread 4.
    inst = write_instance(
        tmp_path / "i",
        {
            "sessions": "session,start,end\nam,08:00,12:00\npm,13:00,17:00\n",
            "activity_types": "activity_type,priority,sessions_per_week\nA,1,2\nB,1,2\n",
        },
        days=[0, 1],
    )
    res = solve(inst)
    assert [(s.name, s.objective) for s in res.stages[2:5]] == [
        ("continuity", 2),
        ("spread", 0),
        ("room-changes", 2),
    ]


def test_fewest_room_changes(tmp_path: Path) -> None:
    # 1 room, 1 day, sessions s1 s2 s3; A needs 2, B needs 1. Continuity is 3 whatever
    # the order (three rows); A A B or B A A has 1 change, A B A has 2 → optimum 1.
    inst = write_instance(
        tmp_path / "i",
        {
            "sessions": "session,start,end\ns1,08:00,10:00\ns2,10:00,12:00\ns3,13:00,15:00\n",
            "activity_types": "activity_type,priority,sessions_per_week\nA,1,2\nB,1,1\n",
        },
    )
    res = solve(inst)
    assert next(s.objective for s in res.stages if s.name == "room-changes") == 1
    assert grid(res)[("R1", "s2", "Mon")] == "A"


def test_room_fit_keeps_equipped_rooms_free(tmp_path: Path) -> None:
    # R1 endoscopy (listed first), R2 general, 1 session; A needs no equipment and 1 session.
    # Every earlier stage ties (0 or 1 whatever the room); room fit puts A in R2 (0 vs 1).
    inst = write_instance(
        tmp_path / "i",
        {
            "rooms": "room,capabilities\nR1,endoscopy\nR2,\n",
        },
    )
    res = solve(inst)
    assert grid(res) == {("R1", "am", "Mon"): "", ("R2", "am", "Mon"): "A"}
    assert res.stages[-1].name == "room-fit" and res.stages[-1].objective == 0


@pytest.mark.rule("activity_matrix", "R5")
def test_at_most_per_day(tmp_path: Path) -> None:
    # 1 room × 2 sessions × 2 days; gastro needs 4 but at most 1 a day → 2 delivered,
    # one per day; the explanation names the rule.
    inst = write_instance(
        tmp_path / "i",
        {
            "sessions": "session,start,end\nam,08:00,12:00\npm,13:00,17:00\n",
            "activity_types": "activity_type,priority,sessions_per_week\ngastro,1,4\n",
            "day_rules": "activity_type,weekday,min_sessions,max_sessions\ngastro,,,1\n",
        },
        days=[0, 1],
    )
    res = solve(inst)
    assert res.tables["coverage"][["Mon", "Tue"]].values.tolist() == [[1, 1]]
    assert "the at-most rules allow 2 gastro sessions a week" in res.explanation[0]


@pytest.mark.rule("activity_matrix", "R6")
def test_at_least_per_day_beats_planned(tmp_path: Path) -> None:
    # 1 room × 1 session, Mon + Tue. Rule: A at least 1 every day (stage 1), A needs only 1;
    # B (priority 1) needs 2. Stage 1 gives A both days (its weekly cap rises to 2), so B
    # is 2 short.
    inst = write_instance(
        tmp_path / "i",
        {
            "activity_types": "activity_type,priority,sessions_per_week\nA,2,1\nB,1,2\n",
            "day_rules": "activity_type,weekday,min_sessions,max_sessions\nA,,1,\n",
        },
        days=[0, 1],
    )
    res = solve(inst)
    assert delivered(res) == {"A": 2, "B": 0}
    assert res.stages[0].objective == 0


@pytest.mark.rule("activity_matrix", "R4")
def test_pinned_cell_is_kept(tmp_path: Path) -> None:
    # 1 room × am/pm; A and B need 1 each; B pinned to the morning → A in the afternoon.
    # Unpinned, A (listed first, same priority) could take either; the pin decides.
    inst = write_instance(
        tmp_path / "i",
        {
            "sessions": "session,start,end\nam,08:00,12:00\npm,13:00,17:00\n",
            "activity_types": "activity_type,priority,sessions_per_week\nA,1,1\nB,1,1\n",
            "pinned": "room,weekday,session,activity_type\nR1,0,am,B\n",
        },
    )
    res = solve(inst)
    assert grid(res) == {("R1", "am", "Mon"): "B", ("R1", "pm", "Mon"): "A"}
    a = res.tables["assignments"]
    assert a.set_index("session")["pinned"].to_dict() == {"am": True, "pm": False}


@pytest.mark.rule("activity_matrix", "R4", "R5")
def test_pins_against_rules_are_infeasible_and_explained(tmp_path: Path) -> None:
    # Two gastro sessions pinned on Monday but at most 1 a day: no matrix exists.
    inst = write_instance(
        tmp_path / "i",
        {
            "rooms": "room,capabilities\nR1,\nR2,\n",
            "activity_types": "activity_type,priority,sessions_per_week\ngastro,1,2\n",
            "day_rules": "activity_type,weekday,min_sessions,max_sessions\ngastro,0,,1\n",
            "pinned": "room,weekday,session,activity_type\nR1,0,am,gastro\nR2,0,am,gastro\n",
        },
    )
    res = solve(inst)
    assert res.status is SolveStatus.INFEASIBLE
    assert res.explanation == ["2 gastro sessions are pinned on Monday but at most 1 are allowed"]


def test_shipped_instance_optimal_and_recomputed() -> None:
    # The seeds-scale clinic: every need fits (45 of 47 open room sessions); all five stages
    # proven optimal; stage values recomputed from the cells equal the solver's.
    from pks_opt.activity_matrix import solve_matrices
    from pks_opt.instances import instance_path

    data = read_matrix(instance_path("clinic-matrix"))
    run = MatrixModel(data).solve(time_limit_s=20, workers=1, seed=0)
    assert run.status is SolveStatus.OPTIMAL
    assert stage_values(data, run.rooms) == {k: int(v) for k, v in run.stage_objectives.items()}
    assert violations(data, run.rooms, run.staff) == []
    assert room_changes(data, run.rooms) == run.stage_objectives["room-changes"]
    res = solve_matrices([data], time_limit_s=20)
    assert res.kpis["sessions_short"] == 0 and res.objective == 0


def _timeout_from(stage: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make CP-SAT 'run out of time' from the ``stage``-th solve on (0-based)."""
    from pks_opt.activity_matrix import model

    real = model._status
    calls = {"n": 0}

    def fake(code: object, cp: object) -> SolveStatus:
        calls["n"] += 1
        return SolveStatus.NO_SOLUTION_IN_TIME if calls["n"] > stage else real(code, cp)

    monkeypatch.setattr(model, "_status", fake)


def test_later_stage_out_of_time_keeps_the_matrix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stages 1–2 solve (A gets its 1 session); stage 3 'runs out of time' → the stage-2
    # matrix stands, status FEASIBLE (not OPTIMAL), the stage is reported without a value.
    inst = write_instance(tmp_path / "i")
    _timeout_from(2, monkeypatch)
    res = solve(inst)
    assert res.status is SolveStatus.FEASIBLE
    assert delivered(res) == {"A": 1}
    assert [s.status for s in res.stages] == [
        SolveStatus.OPTIMAL,
        SolveStatus.OPTIMAL,
        SolveStatus.NO_SOLUTION_IN_TIME,
    ]  # the stages after the one out of time are not run


def test_no_solution_in_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inst = write_instance(tmp_path / "i")
    _timeout_from(0, monkeypatch)
    res = solve(inst)
    assert res.status is SolveStatus.NO_SOLUTION_IN_TIME
    # no matrix: only the hand-over files, header only (they are written in every run)
    assert {k: len(v) for k, v in res.tables.items()} == {"feedback": 0, "trace": 0}
    assert res.explanation == ["[normal] no matrix found within the time limit; raise --time-limit"]


def test_staff_taken_by_a_higher_priority_is_named(tmp_path: Path) -> None:
    # 3 rooms × 1 session. A (priority 1) needs 1, B (priority 2) needs 3; both need one
    # physician. P1 can do A and B, P2 only B → A takes P1, B gets P2: 1 of 3. The line gives
    # the 2 physician sessions able to do B and that 1 of them goes to A.
    inst = write_instance(
        tmp_path / "i",
        {
            "rooms": "room,capabilities\nR1,\nR2,\nR3,\n",
            "activity_types": "activity_type,priority,sessions_per_week\nA,1,1\nB,2,3\n",
            "activity_staff": "activity_type,competence,staff\nA,physician,1\nB,physician,1\n",
            "staff": "staff,competence,count,activities\nP1,physician,1,A;B\nP2,physician,1,B\n",
        },
    )
    res = solve(inst)
    assert delivered(res) == {"A": 1, "B": 1}
    assert res.explanation == [
        "B (priority 2) needs 3 sessions a week, gets 1 (2 short): B needs 3 physician "
        "sessions a week; 2 are available, 1 of these goes to A"
    ]
