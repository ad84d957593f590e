"""MatrixData checks itself: data built in code meets the same cross-table rules as files."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pks_opt.activity_matrix import read_matrix
from pks_opt.activity_matrix.data import DayRule, Pin
from pks_opt.errors import InputError

from .helpers import write_instance

TABLES = {
    "sessions": "session,start,end\nam,08:00,12:00\npm,13:00,16:00\n",
    "rooms": "room,capabilities\nR1,xray\nR2,\n",
    "activity_types": "activity_type,priority,sessions_per_week,capability\nA,1,1,\nX,1,1,xray\n",
    "room_closed": "room,weekday,session\nR2,0,pm\n",
}


def _data(tmp_path: Path):  # type: ignore[no-untyped-def]
    return read_matrix(write_instance(tmp_path / "i", TABLES, days=[0, 1]))


def test_valid_replace_is_accepted(tmp_path: Path) -> None:
    data = _data(tmp_path)
    pin = Pin(room="R1", weekday=1, session="am", activity_type="X")
    assert data.replace(pins=(pin,)).pins == (pin,)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"pins": (Pin(room="R9", weekday=0, session="am", activity_type="A"),)}, "room 'R9'"),
        ({"pins": (Pin(room="R2", weekday=0, session="pm", activity_type="A"),)}, "closed"),
        ({"pins": (Pin(room="R2", weekday=0, session="am", activity_type="X"),)}, "capability"),
        ({"pins": (Pin(room="R1", weekday=4, session="am", activity_type="A"),)}, "weekday '4'"),
        ({"need": {"A": 1, "Z": 2}}, "activity type 'Z'"),
        ({"same_day": {("A", 3): 1}}, "weekday '3'"),
        (
            {"day_rules": (DayRule(activity_type="A", weekday=0, min_sessions=2, max_sessions=1),)},
            "above max_sessions",
        ),
        ({"availability": {("nobody", 0, "am"): 0}}, "staff 'nobody'"),
        ({"closed": frozenset({("R1", 0, "night")})}, "session 'night'"),
        ({"days": (0, 0)}, "distinct weekdays"),
    ],
)
def test_bad_cross_references_are_refused(tmp_path: Path, fields: dict, message: str) -> None:
    data = _data(tmp_path)
    with pytest.raises(ValidationError, match=message):
        data.replace(**fields)


def test_files_still_name_file_row_and_field(tmp_path: Path) -> None:
    tables = {**TABLES, "pinned": "room,weekday,session,activity_type\nR2,0,pm,A\n"}
    with pytest.raises(InputError) as err:
        read_matrix(write_instance(tmp_path / "i", tables, days=[0, 1]))
    text = str(err.value)
    assert "pinned.csv" in text and "row 2" in text and "room" in text and "closed" in text


def test_model_copy_with_update_is_checked_too(tmp_path: Path) -> None:
    # pydantic's model_copy(update=…) skips validation; MatrixData's re-validates
    data = _data(tmp_path)
    bad = (Pin(room="R9", weekday=0, session="am", activity_type="A"),)
    with pytest.raises(ValidationError, match="room 'R9'"):
        data.model_copy(update={"pins": bad})
    assert data.model_copy() == data


def test_plan_data_model_copy_is_checked_too() -> None:
    from pks_opt.production_plan.data import read_plan

    plan = read_plan(Path(__file__).resolve().parents[2] / "instances" / "clinic-plan")
    with pytest.raises(ValidationError, match="at least one week"):
        plan.model_copy(update={"weeks": ()})
    assert plan.model_copy(update={"unit": "X"}).unit == "X"
