"""--from-plan: production → sessions per week type (hand-written production_plan.csv)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pks_opt.activity_matrix.data import sessions_for
from pks_opt.errors import InputError

from .helpers import solve, write_instance

PLAN_HEADER = (
    "planning_object,week,week_type,inflow,production,queue_start,queue_end,expected_wait_weeks\n"
)


def _clinic(tmp_path: Path, **extra: str) -> Path:
    # 2 rooms × am/pm × Mon–Tue = 8 room sessions; gastro 4 patients/session, other 8.
    return write_instance(
        tmp_path / "clinic",
        {
            "sessions": "session,start,end\nam,08:00,12:00\npm,13:00,17:00\n",
            "rooms": "room,capabilities\nR1,\nR2,\n",
            "activity_types": "activity_type,priority,sessions_per_week,patients_per_session\n"
            "gastro,1,0,4\nother,2,1,8\n",
            **extra,
        },
        days=[0, 1],
    )


def _plan(tmp_path: Path, rows: str) -> Path:
    folder = tmp_path / "plan"
    folder.mkdir()
    (folder / "production_plan.csv").write_text(PLAN_HEADER + rows, encoding="utf-8")
    return folder


def test_sessions_round_up_but_not_float_noise() -> None:
    # 8 patients at 4 per session = 2 sessions; 8.0000001 is 2 too; 9 needs 3.
    assert sessions_for(8, 4) == 2
    assert sessions_for(8.0000001, 4) == 2
    assert sessions_for(9, 4) == 3
    assert sessions_for(0, 4) == 0


def test_one_matrix_per_week_type_at_its_peak(tmp_path: Path) -> None:
    # gastro production: weeks 1–3 normal 10, 13, 7 patients → 3, 4, 2 sessions → peak 4
    # (week 2); week 4 'low' 3 patients → 1 session. 'other' is not in the plan: it keeps
    # the instance's 1 session a week. Both week types fit the 8 room sessions.
    plan = _plan(
        tmp_path,
        "gastro,1,normal,10,10,0,0,0\ngastro,2,normal,13,13,0,0,0\n"
        "gastro,3,normal,7,7,0,0,0\ngastro,4,low,3,3,0,0,0\n",
    )
    res = solve(_clinic(tmp_path), plan=plan)
    cov = res.tables["coverage"].set_index(["week_type", "activity_type"])
    assert cov.loc[("normal", "gastro"), "needed"] == 4
    assert cov.loc[("low", "gastro"), "needed"] == 1
    assert cov.loc[("normal", "other"), "needed"] == 1
    assert "week 2" in cov.loc[("normal", "gastro"), "need_source"]
    sd = res.tables["staff_demand"]
    assert list(dict.fromkeys(sd["week_type"])) == []  # no staff needed in this clinic
    assert list(dict.fromkeys(res.tables["room_grid"]["week_type"])) == ["normal", "low"]
    assert [s.name for s in res.stages][:2] == ["normal: same-day", "normal: planned"]


def test_chosen_week(tmp_path: Path) -> None:
    # --week 3: 7 patients → 2 sessions, labelled with week 3's type 'normal'.
    plan = _plan(
        tmp_path, "gastro,1,normal,10,10,0,0,0\ngastro,3,normal,7,7,0,0,0\ngastro,4,low,3,3,0,0,0\n"
    )
    res = solve(_clinic(tmp_path), plan=plan, week=3)
    cov = res.tables["coverage"]
    assert cov["week_type"].unique().tolist() == ["normal"]
    assert cov.set_index("activity_type").loc["gastro", "needed"] == 2


def test_mapping_adds_planning_objects(tmp_path: Path) -> None:
    # plan objects 'endo' and 'colon' both map to gastro: 6 + 6 = 12 patients → 3 sessions.
    clinic = _clinic(
        tmp_path, plan_mapping="planning_object,activity_type\nendo,gastro\ncolon,gastro\n"
    )
    plan = _plan(tmp_path, "endo,1,normal,6,6,0,0,0\ncolon,1,normal,6,6,0,0,0\n")
    res = solve(clinic, plan=plan)
    assert res.tables["coverage"].set_index("activity_type").loc["gastro", "needed"] == 3


def test_activity_hours_when_no_patients_per_session(tmp_path: Path) -> None:
    # cardio has no patients_per_session; activity_hours: 0.5 physician hours per visit and
    # 4-hour sessions with 1 physician → 8 per session; 20 patients → 3 sessions.
    clinic = write_instance(
        tmp_path / "clinic",
        {
            "rooms": "room,capabilities\nR1,\nR2,\nR3,\n",
            "activity_types": "activity_type,priority,sessions_per_week\ncardio,1,0\n",
            "activity_staff": "activity_type,competence,staff\ncardio,physician,1\n",
            "staff": "staff,competence,count\nP,physician,3\n",
        },
    )
    plan = _plan(tmp_path, "cardio,1,normal,20,20,0,0,0\n")
    (plan / "activity_hours.csv").write_text(
        "planning_object,resource,hours_per_activity\ncardio,physician,0.5\ncardio,room,1\n",
        encoding="utf-8",
    )
    res = solve(clinic, plan=plan)
    assert res.tables["coverage"].set_index("activity_type").loc["cardio", "delivered"] == 3
    sd = res.tables["staff_demand"]
    assert sd["staff"].sum() == 3 and set(sd["competence"]) == {"physician"}


def test_unknown_planning_object_is_named(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "gastro,1,normal,4,4,0,0,0\northo,1,normal,4,4,0,0,0\n")
    with pytest.raises(InputError) as exc:
        solve(_clinic(tmp_path), plan=plan)
    assert "production_plan.csv row 3, field 'planning_object'" in str(exc.value)
    assert "'ortho' is not an activity type" in str(exc.value)


def test_week_not_in_plan(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "gastro,1,normal,4,4,0,0,0\n")
    with pytest.raises(InputError, match="week 9 is not in the production plan"):
        solve(_clinic(tmp_path), plan=plan, week=9)


def _small(tmp_path: Path, **extra: str) -> Path:
    # 2 rooms × 1 session × Monday; A needs 1 physician, 4 patients per session; 2 physicians.
    return write_instance(
        tmp_path / "small",
        {
            "rooms": "room,capabilities\nR1,\nR2,\n",
            "activity_types": (
                "activity_type,priority,sessions_per_week,patients_per_session\nA,1,0,4\n"
            ),
            "activity_staff": "activity_type,competence,staff\nA,physician,1\n",
            "staff": "staff,competence,count\nP,physician,2\n",
            **extra,
        },
    )


def test_availability_per_week_type(tmp_path: Path) -> None:
    # 8 patients = 2 sessions in both week types; in 'low' weeks only 1 physician works
    # (vacation) → normal 2 delivered, low 1 with the physician limit named.
    clinic = _small(
        tmp_path, staff_availability="staff,weekday,session,available,week_type\nP,,,1,low\n"
    )
    plan = _plan(tmp_path, "A,1,normal,8,8,0,0,0\nA,2,low,8,8,0,0,0\n")
    res = solve(clinic, plan=plan)
    cov = res.tables["coverage"].set_index("week_type")
    assert cov.loc["normal", "delivered"] == 2 and cov.loc["low", "delivered"] == 1
    assert res.explanation == [
        "[low] A (priority 1) needs 2 sessions a week, gets 1 (1 short): "
        "A needs 2 physician sessions a week; 1 is available",
        "[low] A: 1 session × 4 patients take 4 a week; the plan asks 8 in week 2 and more "
        "than 4 in 1 of 1 'low' week(s) (2) — 4 patients a week short of the plan (feedback.csv)",
    ]
    sd = res.tables["staff_demand"]
    assert sd.groupby("week_type")["staff"].sum().to_dict() == {"low": 1, "normal": 2}


def test_pin_in_a_cell_closed_in_one_week_type(tmp_path: Path) -> None:
    # R1 is closed on Monday in 'low' weeks but pinned to A: the normal matrix exists, the
    # low one cannot → INFEASIBLE, and the line names the pin and the week type.
    clinic = _small(
        tmp_path,
        room_closed="room,weekday,session,week_type\nR1,0,am,low\n",
        pinned="room,weekday,session,activity_type\nR1,0,am,A\n",
    )
    plan = _plan(tmp_path, "A,1,normal,4,4,0,0,0\nA,2,low,4,4,0,0,0\n")
    res = solve(clinic, plan=plan)
    assert res.status.value == "INFEASIBLE"
    assert res.explanation == [
        "[low] room R1 is pinned to A on Monday am but closed then in 'low' weeks"
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("gastro,1,normal,4,-4,0,0,0\n", "production_plan.csv row 2, field 'production'"),
        (
            "gastro,1,normal,4,4,0,0,0\ngastro,1,low,4,4,0,0,0\n",
            "production_plan.csv row 3, field 'week_type': week 1 is 'low' here but 'normal'",
        ),
        ("gastro,x,normal,4,4,0,0,0\n", "production_plan.csv row 2, field 'week'"),
    ],
)
def test_bad_plan_rows_exit_2(tmp_path: Path, rows: str, message: str) -> None:
    from click.testing import CliRunner

    from pks_opt.commands import main

    plan = _plan(tmp_path, rows)
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        [
            "matrix",
            str(_clinic(tmp_path)),
            "--from-plan",
            str(plan),
            "--out",
            str(out),
            "--time-limit",
            "5",
        ],
    )
    assert res.exit_code == 2
    assert message in res.stderr
    assert not out.exists()
