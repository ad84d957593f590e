"""BalancingData checks itself: data built in code meets the same cross-table rules as files."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from pks_opt.balancing import build_data, read_balancing
from pks_opt.balancing.data import (
    Budget,
    Capability,
    Increase,
    Move,
    PriorityRule,
    Purchase,
    TimeShift,
    WaitingList,
)
from pks_opt.capacity_need.figures import NeedFigures
from pks_opt.errors import InputError
from pks_opt.io import read_raw

from .helpers import figures
from .test_cli import write_instance


def _fig() -> NeedFigures:
    """Units A and B with RN hours; A needs 10 of object o in Q1."""
    return figures(
        units=["A", "B"],
        resources=["RN"],
        periods=["Q1"],
        need={("A", "o", "Q1"): 10},
        usage={("A", "o"): [("A", "RN", 1.0)]},
        available={("A", "RN", "Q1"): 6, ("B", "RN", "Q1"): 10},
    )


def _move(**kw: object) -> Move:
    return Move(**({"donor": "B", "receiver": "A", "resource": "RN", "max_per_period": 5} | kw))


def test_valid_data_built_in_code_is_accepted() -> None:
    data = build_data(
        _fig(), moves=[_move()], budgets=[Budget(unit="TOTAL", base_cost=1, budget=2)]
    )
    assert data.moves == (_move(),)


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        (
            {"moves": [_move(), _move(resource="MD")]},
            "BalancingData.moves row 1, field 'resource': resource 'MD' is not defined",
        ),
        (
            {"moves": [_move(), _move(max_per_period=9)]},
            "BalancingData.moves row 1, field 'donor': duplicate move ('B', 'A', 'RN')"
            " (first on row 0)",
        ),
        (
            {"capabilities": [Capability(unit="B", planning_object="x")]},
            "BalancingData.capabilities row 0, field 'planning_object': planning object 'x'"
            " is not defined",
        ),
        (
            {"time_shifts": [TimeShift(unit="C", resource="RN")]},
            "BalancingData.time_shifts row 0, field 'unit': unit 'C' is not defined",
        ),
        (
            {
                "increases": [
                    Increase(
                        unit="A",
                        resource="OR",
                        kind="recruitment",
                        cost_per_unit=1,
                        max_per_period=1,
                    )
                ]
            },
            "BalancingData.increases row 0, field 'resource': resource 'OR' is not defined",
        ),
        (
            {
                "purchases": [
                    Purchase(
                        planning_object="p",
                        tier="existing_contract",
                        provider="X",
                        price_per_activity=1,
                    )
                ]
            },
            "BalancingData.purchases row 0, field 'planning_object': planning object 'p'",
        ),
        (
            {"waiting_lists": [WaitingList(unit="Z", planning_object="o", waiting=3)]},
            "BalancingData.waiting_lists row 0, field 'unit': unit 'Z' is not defined",
        ),
        (
            {"budgets": [Budget(unit="Q", base_cost=1, budget=1)]},
            "BalancingData.budgets row 0, field 'unit': unit 'Q' is not defined",
        ),
        (
            # a budget 100 SEK below today's cost and no reduction to save it
            {"budgets": [Budget(unit="A", base_cost=200, budget=100)]},
            "BalancingData.budgets row 0, field 'budget': base_cost 200 exceeds budget 100 by 100",
        ),
    ],
)
def test_bad_references_built_in_code_are_refused(tables: dict, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        build_data(_fig(), **tables)


def test_mappings_must_be_filed_under_their_own_key() -> None:
    data = build_data(_fig())
    with pytest.raises(InputError, match="the budget of unit 'A' is filed under 'B'"):
        dataclasses.replace(data, budgets={"B": Budget(unit="A", base_cost=0, budget=0)})
    rule = PriorityRule(priority=2, unmet_weight=1)
    with pytest.raises(InputError, match="the rule of priority 2 is filed under 1"):
        dataclasses.replace(data, priorities={1: rule})


def test_replace_with_a_broken_reference_is_refused() -> None:
    # dataclasses.replace builds a new BalancingData: the same checks run on the copy
    data = build_data(_fig(), moves=[_move()])
    with pytest.raises(InputError, match="BalancingData.moves row 0, field 'donor': unit 'X'"):
        dataclasses.replace(data, moves=(_move(donor="X"),))
    # new figures without unit B: the move B -> A kept from before no longer refers to a unit
    fig = dataclasses.replace(data.figures, units=("A",))
    with pytest.raises(InputError, match="unit 'B' is not defined"):
        dataclasses.replace(data, figures=fig)
    assert dataclasses.replace(data, moves=(_move(max_per_period=2),)).moves[0].max_per_period == 2


def test_files_still_name_file_row_and_field(tmp_path: Path) -> None:
    moves = "donor,receiver,resource,max_per_period\nB,A,rn,3\nA,B,no_such_resource,3\n"
    folder = write_instance(tmp_path / "i", **{"moves.csv": moves})
    with pytest.raises(InputError) as err:
        read_balancing(read_raw(folder))
    assert str(err.value) == (
        f"{folder / 'moves.csv'} row 3, field 'resource': resource 'no_such_resource'"
        " is not defined"
    )
