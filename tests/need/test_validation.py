"""NeedData checks itself: data built in code meets the same cross-table rules as files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from pks_opt.capacity_need import read_need
from pks_opt.capacity_need.data import (
    DemandRow,
    ImprovementRow,
    NeedData,
    NeedParameters,
    PeriodRow,
    PlanningObjectRow,
    ResourceRow,
    StaffRow,
    UnitRow,
)
from pks_opt.errors import InputError
from pks_opt.io import read_raw

from .tiny import write_folder


def _fields() -> dict[str, object]:
    """One region (a parent) over one surgery unit, one period, one planning object."""
    return {
        "name": "code",
        "parameters": NeedParameters(),
        "units": (UnitRow(unit="REG"), UnitRow(unit="SURG", parent="REG")),
        "resources": (ResourceRow(resource="or_hours"),),
        "periods": (PeriodRow(period="Q1", days=91),),
        "planning_objects": (PlanningObjectRow(planning_object="op"),),
        "demand": (
            DemandRow(unit="REG", planning_object="op", base_volume=100),
            DemandRow(unit="SURG", planning_object="op", share_of_parent=0.5),
        ),
    }


def test_valid_data_built_in_code_is_accepted() -> None:
    data = NeedData(**_fields())  # type: ignore[arg-type]
    assert data.producing_units == ("SURG",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"demand": (DemandRow(unit="ORT", planning_object="op", base_volume=1),)},
            "NeedData.demand row 0, field 'unit': unit 'ORT' is not defined",
        ),
        (
            {"units": (UnitRow(unit="REG", parent="SURG"), UnitRow(unit="SURG", parent="REG"))},
            "NeedData.units row 0, field 'parent': unit 'REG' is its own ancestor",
        ),
        (
            {"periods": (PeriodRow(period="Q1", days=91), PeriodRow(period="Q1", days=92))},
            "NeedData.periods row 1, field 'period': duplicate period 'Q1' (first on row 0)",
        ),
        ({"planning_objects": ()}, "NeedData.planning_objects row 1: table 'planning_objects'"),
        (
            {
                "staff": (
                    StaffRow(unit="SURG", function="rn", resource="beds", fte=1, annual_hours=1700),
                )
            },
            "NeedData.staff row 0, field 'resource': resource 'beds' is not defined",
        ),
        (
            {
                "improvements": (
                    ImprovementRow(
                        improvement="lean", unit="SURG", effect="capacity", amount=5, realised=True
                    ),
                )
            },
            "NeedData.improvements row 0, field 'resource': an improvement with effect",
        ),
        (
            {"demand": (DemandRow(unit="SURG", planning_object="op", share_of_parent=0.5),)},
            "parent unit 'REG' has no demand for 'op'",
        ),
    ],
)
def test_bad_cross_references_built_in_code_are_refused(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        NeedData(**(_fields() | change))  # type: ignore[arg-type]


def test_model_copy_with_a_broken_reference_is_refused() -> None:
    # pydantic's own model_copy(update=…) would accept the unknown period silently
    data = NeedData(**_fields())  # type: ignore[arg-type]
    bad = (DemandRow(unit="REG", planning_object="op", period="Q9", base_volume=1),)
    with pytest.raises(ValidationError, match="period 'Q9' is not defined"):
        data.model_copy(update={"demand": bad})
    good = (DemandRow(unit="REG", planning_object="op", period="Q1", base_volume=7),)
    assert data.model_copy(update={"demand": good}).demand == good
    assert data.model_copy() == data


def test_model_copy_of_demand_drops_the_old_places(tmp_path: Path) -> None:
    # demand_where names the rows read from demand.csv; new rows in code have no file place
    data = read_need(read_raw(write_folder(tmp_path / "tiny")))
    assert len(data.demand_where) == len(data.demand) == 2
    copy = data.model_copy(update={"demand": data.demand[:1]})
    assert copy.demand_where == ()
    with pytest.raises(ValidationError, match="1 places for 2 demand rows"):
        data.model_copy(update={"demand_where": data.demand_where[:1]})


def test_files_still_name_file_row_field_and_cell(tmp_path: Path) -> None:
    staff = (
        "unit,function,resource,fte,annual_hours\n"
        "SURG,surgeon,surgeon_hours,2,1700\nSURG,rn,bed_hours,1,1700\n"
    )
    folder = write_folder(tmp_path / "tiny", {"staff": staff})
    with pytest.raises(InputError) as err:
        read_need(read_raw(folder))
    assert str(err.value) == (
        f"{folder / 'staff.csv'} row 3, field 'resource': resource 'bed_hours' is not defined"
    )
