"""`pks cycle`: the three rounds on a tiny region, and `pks trace` back through a chain."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from pks_opt.commands import main

# Strategic: A needs 10 of o1 (1 nurse hour each) a quarter and has 5 h; B needs 10 of o2 and
# has 20 h (10 spare). Moves B -> A at most 3 h at 10 SEK/h; o1 can be bought at 100 SEK; A may
# spend 150 SEK. Round 1: A gets 8 h a quarter (5 + 3 moved in) and the goal 8 of o1 a quarter.
STRATEGIC = {
    "instance.yaml": "kind: strategic\nname: tiny\n",
    "units.csv": "unit,name\nA,Unit A\nB,Unit B\n",
    "resources.csv": "resource,name,measure\nrn,Nurse hours,hours\n",
    "periods.csv": "period,days,low_production_factor\nQ1,91.25,1\nQ2,91.25,1\n",
    "planning_objects.csv": "planning_object,priority\no1,1\no2,1\n",
    "demand.csv": "unit,planning_object,base_volume\nA,o1,10\nB,o2,10\n",
    "activity_hours.csv": "planning_object,resource,amount_per_activity\no1,rn,1\no2,rn,1\n",
    "staff.csv": "unit,function,resource,fte,annual_hours\nA,nurses,rn,0.5,40\nB,nurses,rn,2,40\n",
    "moves.csv": "donor,receiver,resource,max_per_period,cost_per_unit\nB,A,rn,3,10\n",
    "purchases.csv": "planning_object,tier,provider,price_per_activity\n"
    "o1,existing_contract,P,100\n",
    "budgets.csv": "unit,base_cost,budget\nA,0,150\n",
}
# Tactical, unit A: two weeks (week 1 = Q1, week 2 = Q2), 20 waiting, 10 joining a week; its
# nurses take 2 h per visit where the region counts 1 h: on the 8 h a quarter the balance gives,
# A's plan can do 4 of the 8 agreed.
TACTICAL = {
    "instance.yaml": "kind: tactical\nname: a-plan\nparameters: {unit: A}\n",
    "planning_objects.csv": "planning_object,priority,max_wait_weeks,queue_start\no1,1,52,20\n",
    "weeks.csv": "week\n1\n2\n",
    "resources.csv": "resource,hours_per_week,balance_resource\nnurse,100,rn\n",
    "activity_hours.csv": "planning_object,resource,hours_per_activity\no1,nurse,2\n",
    "inflow.csv": "planning_object,week,inflow\no1,1,10\no1,2,10\n",
}


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def cycle_folder(tmp_path: Path, **manifest: object) -> Path:
    _write(tmp_path / "region", STRATEGIC)
    _write(tmp_path / "a-plan", TACTICAL)
    bad = dict(TACTICAL, **{"resources.csv": TACTICAL["resources.csv"].replace(",rn", ",rn2")})
    _write(tmp_path / "a-plan-bad", bad)
    spec = {
        "kind": "cycle",
        "name": "tiny-cycle",
        "strategic": "../region",
        "units": {"A": "../a-plan"},
        **manifest,
    }
    folder = tmp_path / "cycle"
    folder.mkdir()
    (folder / "cycle.yaml").write_text(yaml.safe_dump(spec))
    return folder


def run(*args: object) -> object:
    return CliRunner().invoke(main, [*map(str, args)], catch_exceptions=False)


def test_handshake_feedback_changes_the_next_round_until_the_unit_accepts(tmp_path: Path) -> None:
    # Handshake 1: A's plan produces 4 of 8 in each quarter (8 h ÷ 2 h) and raises two requests,
    # confirming the 8 h it planned on. Handshake 2: the balance caps A's o1 at 4 a quarter
    # (R12) and keeps A's 8 h (R13, the 3 h moves stay), so the goals are 4 and 4: A accepts.
    # Round 3: the balance counts 4 h a quarter for A's nurses, A's accepted plan uses 8 h (4
    # visits × 2 h): the larger, 8 h at 10 h per FTE (40 h/year × 91.25/365), is 0.8 FTE,
    # rounded up to 1 (0.5 today).
    out = tmp_path / "out"
    res = run("cycle", cycle_folder(tmp_path, max_handshakes=3), "--out", out)
    assert res.exit_code == 0, res.output
    hs = pd.read_csv(out / "handshake.csv")
    assert list(hs["status"]) == ["feedback raised", "accepted"]
    assert list(hs["agreed"]) == [16, 8]
    assert list(hs["achievable"]) == [8, 8]
    assert list(hs["requests"]) == [2, 0]
    rounds = pd.read_csv(out / "rounds.csv").set_index(["unit", "planning_object", "period"])
    row = rounds.loc[("A", "o1", "Q1")]
    assert (row["goal_before"], row["goal_after"]) == (8, 4)
    assert row["why"].startswith("A's plan: 4 achievable of 8")
    envelope = json.loads((out / "result.json").read_text())
    assert envelope["kind"] == "cycle"
    assert envelope["kpis"]["units_accepted"] == 1 and envelope["kpis"]["open_disagreements"] == 0
    assert envelope["charts"] == {"goals_and_gaps": "goals_and_gaps.png"}
    for sub in (
        "round1/need",
        "round1/balance",
        "round2/handshake-1/plan-A",
        "round2/handshake-2/balance",
        "round2/handshake-2/plan-A",
        "round3/dimensioning",
    ):
        assert (out / sub / "result.json").is_file(), sub
    feedback = pd.read_csv(out / "round2/handshake-1/plan-A/feedback.csv", keep_default_na=False)
    requests = feedback[feedback["object"] == "o1"]
    assert list(requests["achievable"]) == [4, 4] and list(requests["agreed"]) == [8, 8]
    planned_on = feedback[feedback["resource"] == "rn"]
    assert list(planned_on["achievable"]) == [8, 8]
    moves = pd.read_csv(out / "round2/handshake-2/balance/actions.csv")
    assert moves[moves["action"] == "move"]["amount"].sum() == pytest.approx(6, abs=1e-5)
    staff = pd.read_csv(out / "round3/dimensioning/staff.csv").set_index(["unit", "period"])
    a = staff.loc[("A", "Q1")]
    assert (a["agreed_load"], a["fte_exact"], a["fte"], a["fte_today"]) == (8, 0.8, 1, 0.5)
    assert a["basis"] == "plan"


def test_round_limit_ends_with_a_named_open_disagreement(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = run("cycle", cycle_folder(tmp_path, max_handshakes=1), "--out", out)
    assert res.exit_code == 0, res.output
    envelope = json.loads((out / "result.json").read_text())
    assert envelope["kpis"]["open_disagreements"] == 1
    assert envelope["open_units"] == ["A"]
    assert any(
        e.startswith("open: A o1 Q1 agreed 8, achievable 4") for e in envelope["explanation"]
    )
    assert list(pd.read_csv(out / "handshake.csv")["status"]) == ["open disagreement"]


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ({"units": {"Z": "../a-plan"}}, "cycle.yaml, field 'units.Z': unit 'Z' is not a unit"),
        ({"kind": "plan"}, "field 'kind': kind must be 'cycle'"),
        ({"max_handshakes": 0}, "field 'max_handshakes'"),
        ({"surprise": 1}, "field 'surprise'"),
        ({"units": {"A": "../nowhere"}}, "nowhere"),
        ({"units": {"A": "../a-plan-bad"}}, "field 'balance_resource': balance_resource 'rn2'"),
    ],
)
def test_bad_cycle_exit_2_nothing_written(tmp_path: Path, manifest: dict, message: str) -> None:
    out = tmp_path / "out"
    res = run("cycle", cycle_folder(tmp_path, **manifest), "--out", out)
    assert res.exit_code == 2, res.output
    assert message in res.stderr and "Traceback" not in res.output
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".cycle")]


def test_trace_explains_a_plan_week_back_to_goal_and_need(tmp_path: Path) -> None:
    # balance -> plan of the tiny region: plan:A:o1:w1 (week 1 = Q1) comes from the goal of A
    # for o1 in Q1, which comes from A's own need in Q1.
    folder = cycle_folder(tmp_path)
    balance, plan = tmp_path / "b", tmp_path / "p"
    assert run("balance", tmp_path / "region", "--out", balance).exit_code == 0
    res = run("plan", tmp_path / "a-plan", "--from-balance", balance, "--unit", "A", "--out", plan)
    assert res.exit_code == 0, res.output
    res = run("trace", balance, plan, "--unit", "A", "--object", "o1")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("plan:A:o1:w1: production plan, week 1: 4 activities of o1")
    assert lines[1].strip().startswith("goal:A:o1:Q1: balanced goal of A for o1 in Q1: 8")
    assert lines[2].strip().startswith("need:A:o1:Q1: production need of A for o1 in Q1: 10")
    assert folder.exists()
    # the same ids in two folders cannot be told apart
    res = run("trace", balance, plan, tmp_path, "--unit", "A", "--object", "o1")
    assert res.exit_code == 2 and "is also in" in res.stderr
    res = run("trace", balance, "--unit", "NOPE", "--object", "o1")
    assert res.exit_code == 2 and "no trace row of unit 'NOPE'" in res.stderr


def test_time_limit_starts_no_handshake_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--time-limit``: once the clock is out, no further handshake; what is raised stays open.

    The clock is made to run out after handshake 1 whatever the machine's speed: with the
    shortest solve set to 1 000 s, any limit has "less than that left". Without a limit the
    same cycle reaches handshake 2 and A accepts (test above).
    """
    from pks_opt.cycle import run as cycle_run

    monkeypatch.setattr(cycle_run, "MIN_SOLVE_S", 1000.0)
    out = tmp_path / "out"
    res = run("cycle", cycle_folder(tmp_path, max_handshakes=3), "--time-limit", 30, "--out", out)
    assert res.exit_code == 0, res.output
    envelope = json.loads((out / "result.json").read_text())
    assert envelope["kpis"]["time_limit_reached"] is True
    assert envelope["open_units"] == ["A"]
    assert envelope["explanation"][0].startswith("the time limit was reached after handshake 1")
    assert list(pd.read_csv(out / "handshake.csv")["status"]) == ["open disagreement"]
    assert not (out / "round2/handshake-2").exists()


def test_clock_shares_the_time_left() -> None:
    """A solve gets the time left over the solves to come, capped by its own option."""
    import time

    from pks_opt.cycle.run import SOLVE_SHARE, Clock

    assert Clock(None).share(3, 60.0) == 60.0 and Clock(None).share(3, None) is None
    clock = Clock(100.0, start=time.perf_counter())
    # about 85 s to solve (SOLVE_SHARE 0.85 of 100), over 4 solves: ~21 s each
    assert SOLVE_SHARE * 100 / 4 - 1 < clock.share(4, None) <= SOLVE_SHARE * 100 / 4  # type: ignore[operator]
    assert clock.share(4, 5.0) == 5.0  # its own limit is smaller
    late = Clock(100.0, start=time.perf_counter() - 90)
    assert late.out() and late.share(2, None) == 1.0  # past the limit: the shortest solve
