"""Tiny roster instances written to a tmp folder (CSV text in, folder out)."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

CURTOIS = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "curtois"

BASE_PARAMS = {
    "start_date": "2026-03-30",  # a Monday
    "days": 3,
    "weekly_rest_hours": 0,
    "max_consecutive_days": 30,
    "fairness_weight": 0,
    "target_weight_per_hour": 0,
    "isolated_work_day_weight": 0,  # R13 off unless a test is about it
    "target_outside_weight": 0,  # R12's charge per person outside tolerance, likewise
    "max_avg_weekly_hours": None,
    # the worked examples count ordinary weekdays: 2026-04-03 (day 4) is Good Friday and
    # 2026-04-06 (day 7) Easter Monday, which would take Sunday's demand (test_holidays.py)
    "holidays": "none",
}
SHIFTS = """\
id,start,end,paid_minutes,category
D,07:00,15:00,480,day
E,15:00,23:00,480,evening
N,21:00,07:00,600,night
"""


def write_instance(
    folder: Path,
    *,
    staff: str,
    demand: str,
    shifts: str = SHIFTS,
    params: dict[str, object] | None = None,
    **tables: str,
) -> Path:
    """Write instance.yaml + CSVs; ``tables`` maps table name -> CSV text."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    p = {**BASE_PARAMS, **(params or {})}
    if "weeks" in p:
        p.pop("days")
    manifest = {"kind": "roster", "name": folder.name, "parameters": p}
    (folder / "instance.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    (folder / "shifts.csv").write_text(dedent(shifts), encoding="utf-8")
    (folder / "staff.csv").write_text(dedent(staff), encoding="utf-8")
    (folder / "demand.csv").write_text(dedent(demand), encoding="utf-8")
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(dedent(text), encoding="utf-8")
    return folder


@pytest.fixture
def curtois_dir() -> Path:
    if not (CURTOIS / "Instance1.txt").exists():
        pytest.skip("../shared/benchmarks/curtois is not available")
    return CURTOIS
