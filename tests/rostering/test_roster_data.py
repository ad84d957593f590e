"""RosterData checks its own cross-references (issue 17): data built in code is checked like
data read from files."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from pks_opt.rostering.data import (
    Absence,
    Demand,
    NamedDemand,
    Pin,
    RosterData,
    ShiftType,
    StaffMember,
    Succession,
    Wish,
)

D = ShiftType(id="D", start_minute=420, duration_minutes=480, paid_minutes=480)
A = StaffMember(id="A", competences=("RN",))


def data(**kw: Any) -> RosterData:
    base: dict[str, Any] = {
        "name": "t",
        "start_date": date(2026, 3, 30),
        "num_days": 3,
        "shifts": (D,),
        "staff": (A,),
        "demand": (Demand(day=0, shift="D", competence="RN", required=1),),
    }
    return RosterData(**{**base, **kw})


def test_consistent_data_is_accepted() -> None:
    ok = data(
        absences=(Absence(day=1, staff="A"),),
        wishes=(Wish(staff="A", day=2, shift="D", work=True, weight=1),),
        pins=(Pin(staff="A", day=0, shift="D"),),
    )
    assert ok.num_days == 3


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"demand": (Demand(day=0, shift="X", competence="RN", required=1),)}, "unknown shift 'X'"),
        ({"demand": (Demand(day=0, shift="D", competence="USK", required=1),)}, "'USK'"),
        ({"demand": (Demand(day=3, shift="D", competence="RN", required=1),)}, "outside 0..2"),
        ({"absences": (Absence(day=0, staff="B"),)}, "unknown staff member 'B'"),
        ({"wishes": (Wish(staff="A", day=0, shift="N", work=True, weight=1),)}, "shift 'N'"),
        ({"pins": (Pin(staff="B", day=0, shift=None),)}, "unknown staff member 'B'"),
        ({"staff": (A, A)}, "staff id 'A' appears twice"),
        ({"shifts": (D, D)}, "shift id 'D' appears twice"),
        ({"forbidden": (Succession(first="D", second="E"),)}, "unknown shift 'E'"),
        (
            {"named_demand": (NamedDemand(day=0, shift="D", competence="RN", staff="B"),)},
            "'B' lacks 'RN'",
        ),
        (
            {
                "absences": (Absence(day=1, staff="A"),),
                "pins": (Pin(staff="A", day=1, shift="D"),),
            },
            "pinned to D on day 1 but is absent",
        ),
    ],
)
def test_broken_cross_references_are_refused(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        data(**kw)


def test_the_curtois_importer_builds_checked_data(curtois_dir: Any) -> None:
    from pks_opt.formats.curtois import read_curtois, to_roster_data

    inst = read_curtois(curtois_dir / "Instance1.txt")
    assert to_roster_data(inst).num_days == 14  # passes the same validator
