"""`pks follow-up ROSTER_DIR ACTUALS`: the shifts worked against a tiny roster, worked numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from rostering.conftest import write_instance

from pks_opt.commands import main


def run(*args: object):  # noqa: ANN201
    return CliRunner().invoke(main, [*map(str, args)], catch_exceptions=False)


@pytest.fixture(scope="module")
def roster_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Three days from Monday 2026-03-30. RN cover D 2 a day (tier 1): anna and bo are the only
    # RNs free (cy has an approved vacation), so both are on D every day. dan (USK): D on day 0
    # (tier 3), E on days 1 and 2 (tier 2). Over-cover costs 1, so the roster is exactly
    # this: 9 rostered shifts, no shortfall.
    tmp = tmp_path_factory.mktemp("rf")
    inst = write_instance(
        tmp / "tiny-roster",
        staff="""\
        id,competences
        anna,RN
        bo,RN
        cy,RN
        dan,USK
        """,
        demand="""\
        date,shift,competence,staff,tier,weight_over
        2026-03-30,D,RN,2,1,1
        2026-03-31,D,RN,2,1,1
        2026-04-01,D,RN,2,1,1
        2026-03-30,D,USK,1,3,1
        2026-03-31,E,USK,1,2,1
        2026-04-01,E,USK,1,2,1
        """,
        absences="""\
        staff,start,end,reason
        cy,2026-03-30,2026-04-01,vacation
        """,
    )
    out = tmp / "roster"
    res = run("roster", inst, "--time-limit", 5, "--quiet", "--out", out)
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out / "assignments.csv")
    assert len(got) == 9
    assert set(got[got["competence"] == "RN"]["staff"]) == {"anna", "bo"}
    return out


SHIFTS = """\
staff,date,shift,comment
anna,2026-03-30,D,
bo,2026-03-30,-,sick
dan,2026-03-30,D,
bo,2026-03-31,D,
cy,2026-03-31,D,called in from vacation
dan,2026-03-31,E,
anna,2026-04-01,D,
bo,2026-04-01,D,
dan,2026-04-01,D,swapped with the morning
"""


def actuals(folder: Path, shifts: str = SHIFTS) -> Path:
    folder.mkdir(parents=True)
    (folder / "instance.yaml").write_text("kind: actuals\nname: tiny-shifts\n")
    (folder / "shifts.csv").write_text(shifts)
    return folder


def test_roster_follow_up_worked_numbers(roster_dir: Path, tmp_path: Path) -> None:
    # What happened: day 0 bo is sick (no one in his place): RN D 1 of 2, tier 1 -> flagged.
    # Day 1 anna does not come, cy is called in from vacation: RN D 2 of 2 (not flagged).
    # Day 2 dan works D instead of E: USK E 0 of 1, tier 2 (share short 100% > 10%) -> flagged.
    # Staff: 6 as rostered, 2 absent (bo d0, anna d1), 1 other shift (dan d2), 1 extra (cy d1).
    out = tmp_path / "fu"
    res = run("follow-up", roster_dir, actuals(tmp_path / "act"), "--out", out)
    assert res.exit_code == 0, res.output
    meta = json.loads((out / "result.json").read_text())
    assert meta["kind"] == "roster_follow_up"
    k = meta["kpis"]
    assert (k["days_followed"], k["rostered_shifts"], k["worked_shifts"]) == (3, 9, 8)
    assert (k["as_rostered"], k["absent"], k["other_shift"], k["extra"]) == (6, 2, 1, 1)
    assert (k["tier1_asked"], k["tier1_rostered_short"], k["tier1_worked_short"]) == (6, 0, 1)
    assert (
        k["tier2_asked"],
        k["tier2_worked_short"],
        k["tier3_asked"],
        k["tier3_worked_short"],
    ) == (2, 1, 1, 0)
    assert k["escalations"] == 2

    staff = pd.read_csv(out / "staff_followup.csv", keep_default_na=False)
    cy = staff[staff["staff"] == "cy"].iloc[0]
    assert (cy["status"], cy["worked_competence"], cy["roster_cell"]) == (
        "extra",
        "RN",
        "(vacation)",
    )
    assert cy["comment"] == "called in from vacation"
    assert (
        staff[(staff["staff"] == "bo") & (staff["date"] == "2026-03-30")]["status"].item()
        == "absent"
    )

    cover = pd.read_csv(out / "cover_followup.csv", keep_default_na=False)
    day1 = cover[(cover["date"] == "2026-03-31") & (cover["competence"] == "RN")].iloc[0]
    assert (day1["asked"], day1["rostered"], day1["worked"], bool(day1["flag"])) == (2, 2, 2, False)
    assert day1["worked_people"] == "bo|cy"
    assert cover["flag"].sum() == 2

    esc = pd.read_csv(out / "escalation.csv", keep_default_na=False)
    assert list(esc["text"]) == [
        "2026-03-30 D: RN cover 1 of 2 asked (tier 1): bo absent — no replacement "
        "(comment: bo: sick)",
        "2026-04-01 E: USK cover 0 of 1 asked (tier 2): dan moved to D — no replacement "
        "(comment: dan: swapped with the morning)",
    ]
    assert (out / "cover_followup.png").stat().st_size > 10_000


def test_roster_follow_up_stand_in_named(roster_dir: Path, tmp_path: Path) -> None:
    # Day 0: bo sick, cy stands in -> RN D 2 of 2, nothing flagged; only day 0 is followed.
    shifts = "staff,date,shift\nanna,2026-03-30,D\ncy,2026-03-30,D\ndan,2026-03-30,D\n"
    out = tmp_path / "fu"
    res = run("follow-up", roster_dir, actuals(tmp_path / "act", shifts), "--out", out)
    assert res.exit_code == 0, res.output
    k = json.loads((out / "result.json").read_text())["kpis"]
    assert (k["days_followed"], k["absent"], k["extra"], k["escalations"]) == (1, 1, 1, 0)


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ("eve,2026-03-30,D,", "shifts.csv row 3, field 'staff'"),
        ("anna,2026-04-02,D,", "shifts.csv row 3, field 'date'"),
        ("anna,2026-03-31,N,", "shifts.csv row 3, field 'shift'"),
        ("anna,30/03/2026,D,", "shifts.csv row 3, field 'date'"),
        ("anna,2026-03-30,E,", "shifts.csv row 3, field 'staff'"),  # anna twice on day 0
    ],
)
def test_bad_shift_actuals_exit_2_nothing_written(
    roster_dir: Path, tmp_path: Path, row: str, where: str
) -> None:
    shifts = f"staff,date,shift,comment\nanna,2026-03-30,D,\n{row}\n"
    out = tmp_path / "fu"
    res = CliRunner().invoke(
        main,
        ["follow-up", str(roster_dir), str(actuals(tmp_path / "act", shifts)), "--out", str(out)],
    )
    assert res.exit_code == 2, res.output
    assert where in res.output
    assert not out.exists()


def test_no_shifts_table_is_an_input_error(roster_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "act"
    folder.mkdir()
    (folder / "instance.yaml").write_text("kind: actuals\nname: x\n")
    (folder / "production.csv").write_text(
        "unit,planning_object,week,production,inflow\nU,a,1,1,1\n"
    )
    res = CliRunner().invoke(
        main, ["follow-up", str(roster_dir), str(folder), "--out", str(tmp_path / "fu")]
    )
    assert res.exit_code == 2
    assert "shifts" in res.output


def _cover(tier: int, worked: list[int], asked: int = 2) -> pd.DataFrame:
    from pks_opt.followup.roster import COVER_COLUMNS

    rows = []
    for i, w in enumerate(worked):
        rows.append(
            {
                "date": f"2026-04-{i + 1:02d}",
                "shift": "D",
                "competence": "RN",
                "tier": tier,
                "staff": "",
                "asked": asked,
                "rostered": asked,
                "worked": w,
                "short": asked - w,
                "change": w - asked,
                "share_short": 0.0,
                "flag": False,
                "rostered_people": "",
                "worked_people": "",
            }
        )
    return pd.DataFrame(rows, columns=COVER_COLUMNS)


@pytest.mark.parametrize(
    ("tier", "worked", "flagged"),
    [
        # tier 1: every short day, whatever the series
        (1, [2, 1, 2, 2, 1, 2, 2, 2], [1, 4]),
        # tier 2: r = -50% on days 1 and 4, beyond 10% -> both
        (2, [2, 1, 2, 2, 1, 2, 2, 2], [1, 4]),
        # tier 3, same series: r = 0,-.5,0,0,-.5,0,0,0; moving ranges .5 x4 over 7 -> mean
        # 0.2857, limit 2.66 x 0.2857 = 0.76 > 0.5: noise, not flagged
        (3, [2, 1, 2, 2, 1, 2, 2, 2], []),
        # tier 3, one short day in 8: mean MR = 1/7 x .5 x 2 = 0.143, limit 0.38 < 0.5 -> flagged
        (3, [2, 2, 2, 2, 1, 2, 2, 2], [4]),
        # tier 3, r = 0,-.5,0,-.5,-.5,-.5,0,-.5: mean MR = 2.5/7 = 0.357, limit 0.95: the
        # single short days 1 and 7 are noise, days 3-5 are a run of three -> flagged
        (3, [2, 1, 2, 1, 1, 1, 2, 1], [3, 4, 5]),
    ],
)
def test_flag_rules_per_tier(tier: int, worked: list[int], flagged: list[int]) -> None:
    from pks_opt.followup.roster import _flag

    cover = _cover(tier, worked)
    _flag(cover, list(cover["date"]), 0.10)
    assert [i for i, f in enumerate(cover["flag"]) if f] == flagged


def test_shipped_ward_followup(tmp_path: Path) -> None:
    # instances/ward-followup: the published ward-roster roster and its first two weeks as
    # worked (README): two tier-1 cells short (LAK2's course, USK04's swap); RN02's sick day is
    # absorbed by an RN over the asked cover, RN04's by RN01 called in.
    from pks_opt.instances import instance_path

    folder = instance_path("ward-followup")
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        ["follow-up", str(folder / "published-roster"), str(folder / "actuals"), "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    esc = pd.read_csv(out / "escalation.csv")
    assert list(zip(esc["date"], esc["shift"], esc["competence"], esc["tier"], strict=True)) == [
        ("2026-04-06", "J", "LAK", 1),
        ("2026-04-08", "E", "USK", 1),
    ]
    staff = pd.read_csv(out / "staff_followup.csv").set_index(["staff", "date"])
    assert staff.loc[("RN01", "2026-04-03"), "status"] == "extra"
    assert staff.loc[("RN02", "2026-04-01"), "status"] == "absent"
    assert staff.loc[("USK04", "2026-04-08"), "status"] == "other shift"
    env = json.loads((out / "result.json").read_text())
    assert (env["kpis"]["days_followed"], env["kpis"]["absent"], env["kpis"]["extra"]) == (14, 3, 1)


def test_shipped_shifts_are_the_generator_output(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    from pks_opt.instances import instance_path

    copy = tmp_path / "ward-followup"
    shutil.copytree(instance_path("ward-followup"), copy)
    subprocess.run([sys.executable, str(copy / "make_shifts.py")], check=True, capture_output=True)
    shipped = (instance_path("ward-followup") / "actuals" / "shifts.csv").read_text()
    assert (copy / "actuals" / "shifts.csv").read_text() == shipped
