"""Generate the synthetic weekly (and daily) inflow history of MEDCLIN, 2024-W01…2026-W53.

Run from the repository root with the project's Python (it is seeded, so the committed CSVs are
reproduced byte for byte)::

    .venv/bin/python instances/clinic-followup/make_history.py

The truth the forecast should find (see README.md):

- **week-of-year profile** ``TRUE_PROFILE``: the clinic's inflow weights from
  ``instances/clinic-plan/weeks.csv`` — summer dip weeks 26–33 down to 0.6, Christmas/New Year
  weeks 51, 52, (53), 1 — except that Easter is not tied to a week number;
- **Easter**: the ISO weeks holding Good Friday and Easter Monday (Swedish calendar, the
  ``holidays`` package) × ``EASTER_FACTOR`` 0.9 (2024: W13–W14, 2025: W16–W17, 2026: W14–W15;
  2027: W12–W13, which clinic-plan's weeks.csv marks);
- **trend**: +2 % a year, so that 2027 continues at clinic-plan's annual inflow;
- **noise**: Poisson counts per week; the daily history splits each week multinomially over the
  weekdays by ``WEEKDAY_SHARE``;
- **waiting list** at the end of each week: production follows capacity (clinic-plan's
  capacity factors) with a mild pull towards clinic-plan's ``queue_start``.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

from pks_opt.forecasting.weeks import EASTER, week_label, week_type

SEED = 20270101
UNIT = "MEDCLIN"
FIRST_WEEK = dt.date.fromisocalendar(2024, 1, 1)
LAST_WEEK = dt.date.fromisocalendar(2026, 53, 1)
GROWTH_PER_YEAR = 0.02
EASTER_FACTOR = 0.9
QUEUE_PULL = 0.05  # share of the queue's distance from its target that production closes per week

# clinic-plan's planning objects: annual inflow in 2027 and the waiting list at its start.
OBJECTS = {
    "cardio": (2448, 270),
    "neuro": (1836, 250),
    "diabetes": (2856, 560),
    "gastro": (2040, 460),
    "allergy": (1632, 420),
    "other": (1224, 260),
}

# ISO week -> inflow factor (clinic-plan weeks.csv inflow_weight; its Easter weeks 12-13 of 2027
# are 1.0 here, Easter is applied by date). Week 53 is the New Year week of a 53-week year.
TRUE_PROFILE = {w: 1.0 for w in range(1, 54)}
TRUE_PROFILE.update(
    {
        1: 0.8,
        26: 0.9,
        27: 0.8,
        28: 0.6,
        29: 0.6,
        30: 0.6,
        31: 0.6,
        32: 0.8,
        33: 0.9,
        51: 0.8,
        52: 0.5,
        53: 0.6,
    }
)
# clinic-plan weeks.csv capacity_factor, by ISO week (Easter by date, as the inflow).
CAPACITY = {w: 1.0 for w in range(1, 54)}
CAPACITY.update(
    {
        1: 0.8,
        26: 0.8,
        27: 0.6,
        28: 0.4,
        29: 0.4,
        30: 0.4,
        31: 0.4,
        32: 0.6,
        33: 0.8,
        51: 0.8,
        52: 0.4,
        53: 0.6,
    }
)
EASTER_CAPACITY = 0.8
WEEKDAY_SHARE = (0.25, 0.22, 0.20, 0.17, 0.14, 0.01, 0.01)


def factor(monday: dt.date) -> float:
    f = TRUE_PROFILE[monday.isocalendar().week]
    return f * EASTER_FACTOR if week_type(monday) == EASTER else f


def capacity(monday: dt.date) -> float:
    c = CAPACITY[monday.isocalendar().week]
    return c * EASTER_CAPACITY if week_type(monday) == EASTER else c


def weeks() -> list[dt.date]:
    n = (LAST_WEEK - FIRST_WEEK).days // 7 + 1
    return [FIRST_WEEK + dt.timedelta(weeks=k) for k in range(n)]


def generate(seed: int = SEED) -> tuple[list[list[object]], list[list[object]]]:
    """Weekly rows (unit, planning_object, week, inflow, waiting) and daily rows."""
    rng = np.random.default_rng(seed)
    mondays = weeks()
    y2027 = [dt.date.fromisocalendar(2027, w, 1) for w in range(1, 53)]
    mid2027 = dt.date.fromisocalendar(2027, 26, 4)
    norm = sum(factor(m) for m in y2027)
    cap_norm = sum(capacity(m) for m in y2027)
    weekly: list[list[object]] = []
    daily: list[list[object]] = []
    for obj, (annual, queue_target) in OBJECTS.items():
        queue = float(queue_target)
        for m in mondays:
            years = ((m + dt.timedelta(days=3)) - mid2027).days / 365.25
            level = annual / 52 * (1 + GROWTH_PER_YEAR) ** years
            inflow = int(rng.poisson(level * 52 * factor(m) / norm))
            produced = rng.poisson(level * 52 * capacity(m) / cap_norm)
            produced += QUEUE_PULL * (queue - queue_target)
            queue = max(0.0, queue + inflow - max(0.0, round(produced)))
            weekly.append([UNIT, obj, week_label(m), inflow, int(queue)])
            split = rng.multinomial(inflow, WEEKDAY_SHARE)
            for d in range(7):
                day = m + dt.timedelta(days=d)
                daily.append([UNIT, obj, day.isoformat(), int(split[d])])
    return weekly, daily


def main() -> None:
    here = Path(__file__).resolve().parent / "history"
    weekly, daily = generate()
    with (here / "weekly_history.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["unit", "planning_object", "week", "inflow", "waiting"])
        w.writerows(weekly)
    with (here / "daily_history.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["unit", "planning_object", "date", "inflow"])
        w.writerows(daily)
    print(f"wrote {len(weekly)} weekly and {len(daily)} daily rows to {here}")


if __name__ == "__main__":
    main()
