"""Re-balancing with the lower levels' feedback: R12 production caps, R13 capacity floors, and
how feedback rows become limits (``pks balance --feedback``)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest

from pks_opt.balancing import build_data as _build_data
from pks_opt.balancing.data import Move, Purchase
from pks_opt.balancing.feedback import apply_feedback
from pks_opt.errors import InputError
from pks_opt.feedback import Feedback, read_feedback

from .helpers import figures
from .test_cli import run, write_instance
from .test_model import BACKENDS, approx, solve, total


def build_data(fig, **kw):  # type: ignore[no-untyped-def]
    """The model in fractional activities: the optima in the comments are worked out so
    (whole activities, the default rounding, are tested in test_whole_and_time.py)."""
    from pks_opt.balancing.data import BalancingParameters as _Params

    params = kw.pop("params", None) or _Params()
    return _build_data(fig, params=params.model_copy(update={"whole_activities": "none"}), **kw)


def _two_units() -> object:
    # A needs 10 activities of o (1 RN hour each) and has 6 h; B needs 4 of b and has 10 h
    # (spare 6). Moves B -> A up to 10 h at 5 SEK/h; o can be bought at 100 SEK (tier 1).
    fig = figures(
        units=["A", "B"],
        resources=["RN"],
        periods=["Q1"],
        need={("A", "o", "Q1"): 10, ("B", "b", "Q1"): 4},
        usage={("A", "o"): [("A", "RN", 1.0)], ("B", "b"): [("B", "RN", 1.0)]},
        available={("A", "RN", "Q1"): 6, ("B", "RN", "Q1"): 10},
    )
    return build_data(
        fig,
        moves=[Move(donor="B", receiver="A", resource="RN", max_per_period=10, cost_per_unit=5)],
        purchases=[
            Purchase(
                planning_object="o", tier="existing_contract", provider="P", price_per_activity=100
            )
        ],
    )


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.rule("balancing", "R12")
def test_production_cap_sends_the_rest_elsewhere(backend: str) -> None:
    # Without feedback A produces all 10 (6 h own + 4 moved in). Its plan found 7 achievable
    # (R12: x[A,A,o,Q1] ≤ 7): A produces 7, needs only 1 h moved in, and the 3 left are
    # bought (a purchase beats unmet need).
    data = _two_units()
    base = solve(data, backend)
    assert base.values["x"][("A", "A", "o", "Q1")] == approx(10)
    assert total(base.values["m"]) == approx(4)
    capped = dataclasses.replace(data, production_caps={("A", "o", "Q1"): 7.0})
    run_ = solve(capped, backend)
    assert run_.values["x"][("A", "A", "o", "Q1")] == approx(7)
    assert total(run_.values["m"]) == approx(1)
    assert total(run_.values["buy"]) == approx(3)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.rule("balancing", "R13")
def test_capacity_floor_keeps_what_the_plan_was_made_on(backend: str) -> None:
    # As above, but A's answer was made on 10 h of RN (R13: capacity after actions ≥ 10): the
    # balance may not withdraw the move it no longer needs for its own count — 4 h stay.
    data = dataclasses.replace(
        _two_units(),
        production_caps={("A", "o", "Q1"): 7.0},
        capacity_floors={("A", "RN", "Q1"): 10.0},
    )
    run_ = solve(data, backend)
    assert total(run_.values["m"]) == approx(4)
    assert run_.values["x"][("A", "A", "o", "Q1")] == approx(7)


def _row(**kw: object) -> Feedback:
    base = dict(
        level="plan",
        unit="A",
        object="o",
        resource="",
        period="Q1",
        agreed=10.0,
        achievable=7.0,
        cause="c",
    )
    base.update(kw)
    return Feedback(**base)  # type: ignore[arg-type]


def test_feedback_rows_become_caps_floors_losses_or_notes() -> None:
    data = _two_units()
    rows = [
        _row(),  # shortfall: cap 7
        _row(achievable=9.0),  # a second cap on the same key: the smaller (7) holds
        _row(object="", resource="RN", agreed=10.0, achievable=10.0),  # capacity made on: floor
        _row(unit="B", object="", resource="RN", agreed=10.0, achievable=8.0),  # B lost 2 h
        _row(level="roster", object="", resource="RN", period="2027-03-02 D"),  # finer: note
        _row(level="roster", object="", resource="porter", period="Q1"),  # not ours: note
        _row(object="spine", period="plan"),  # a plan instance's own goal: note
    ]
    new, notes = apply_feedback(data, rows)
    assert new.production_caps == {("A", "o", "Q1"): 7.0}
    assert new.capacity_floors == {("A", "RN", "Q1"): pytest.approx(10.0, abs=2e-6)}
    assert new.figures.available[("B", "RN", "Q1")] == 8.0
    assert new.figures.available[("A", "RN", "Q1")] == 6.0
    assert any("finer than the balance's periods" in n for n in notes)
    assert any("not a resource of the balance" in n for n in notes)
    assert any("a goal of the plan instance itself" in n for n in notes)
    assert any(n.startswith("A produces at most 7 o in Q1") for n in notes)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (_row(unit="Z"), "unit"),
        (_row(object="zz"), "object"),
        (_row(period="Q9"), "period"),
        (_row(object="", resource="porter"), "resource"),
    ],
)
def test_feedback_naming_what_the_instance_lacks_is_bad_input(row: Feedback, field: str) -> None:
    with pytest.raises(InputError) as err:
        apply_feedback(_two_units(), [row])
    assert err.value.field == field


FEEDBACK = (
    "level,unit,object,resource,period,agreed,achievable,gap,cause\n"
    "plan,A,o1,,Q1,8,6,-2,rn fully used\n"
)


def test_balance_feedback_cli_caps_the_goal(tmp_path: Path) -> None:
    # The tiny region of test_cli: A produces 8 of o1 a quarter (5 h own + 3 moved in). Its
    # plan says 6 in Q1: the new goal of A for o1 in Q1 is at most 6, and the explanation
    # starts with the limit.
    inst = write_instance(tmp_path / "i")
    fb = tmp_path / "plan"
    fb.mkdir()
    (fb / "feedback.csv").write_text(FEEDBACK)
    out = tmp_path / "out"
    res = run(inst, "--feedback", fb, "--out", out)
    assert res.exit_code == 0, res.output
    goals = pd.read_csv(out / "production_goals.csv").set_index(
        ["unit", "planning_object", "period"]
    )
    assert goals.loc[("A", "o1", "Q1"), "goal"] == pytest.approx(6, abs=1e-6)
    assert goals.loc[("A", "o1", "Q2"), "goal"] == pytest.approx(8, abs=1e-6)
    explanation = json.loads((out / "result.json").read_text())["explanation"]
    assert explanation[0].startswith("feedback: A produces at most 6 o1 in Q1")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("level,unit,object\nplan,A,o1\n", "row 1: missing column 'resource'"),
        (FEEDBACK.replace("plan,A", "ward,A"), "row 2, field 'level'"),
        (FEEDBACK.replace(",o1,,", ",o1,rn,"), "row 2, field 'object': give exactly one"),
        (FEEDBACK.replace(",8,6,", ",8,many,"), "row 2, field 'achievable': not a number"),
        (FEEDBACK.replace("plan,A,", "plan,Z,"), "row 2, field 'unit': unit 'Z' is not"),
    ],
)
def test_bad_feedback_exit_2_nothing_written(tmp_path: Path, text: str, message: str) -> None:
    inst = write_instance(tmp_path / "i")
    (tmp_path / "feedback.csv").write_text(text)
    out = tmp_path / "out"
    res = run(inst, "--feedback", tmp_path / "feedback.csv", "--out", out)
    assert res.exit_code == 2, res.output
    assert message in res.stderr and "Traceback" not in res.output
    assert not out.exists()


def test_read_feedback_of_a_folder_without_one_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="needs a result folder with feedback.csv"):
        read_feedback(tmp_path)
