"""Write ``actuals/shifts.csv``: the first two weeks of the published roster as they were worked.

Run from the repository root with the project's Python (deterministic: the events are picked
from ``published-roster/`` by rule, so the committed file is reproduced byte for byte)::

    .venv/bin/python instances/ward-followup/make_shifts.py

Everyone works as rostered, except (see README.md):

1. **day 3** (Wednesday of week 1): the first RN rostered on D is sick; nobody is called in;
2. **day 5** (Friday): the first RN rostered on E is sick; the first RN who is off that day
   (``-`` in the roster, not on an absence) is called in on E;
3. **day 10** (Wednesday of week 2): the first USK rostered on E works D instead (swapped with
   the morning);
4. **days 8–9** (Monday–Tuesday of week 2): the first LAK rostered on J on day 8 is away
   both days on a course (rows ``-`` with the comment ``course``); nobody stands in.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent
DAYS = 14


def main() -> None:
    with (HERE / "published-roster" / "roster.csv").open(newline="") as fh:
        grid = list(csv.DictReader(fh))
    dates = [c for c in grid[0] if c not in ("staff", "competences")][:DAYS]
    comp = {r["staff"]: r["competences"].split("|") for r in grid}
    cell = {(r["staff"], d): r[d] for r in grid for d in dates}
    with (HERE / "published-roster" / "assignments.csv").open(newline="") as fh:
        worked = {
            (r["staff"], r["date"]): [r["shift"], ""]
            for r in csv.DictReader(fh)
            if r["date"] in dates
        }

    def first(day: int, shift: str, competence: str) -> str:
        return next(
            r["staff"]
            for r in grid
            if cell[(r["staff"], dates[day])] == shift and competence in comp[r["staff"]]
        )

    # 1. day 3 (index 2): an RN on D sick, no replacement
    sick = first(2, "D", "RN")
    del worked[(sick, dates[2])]
    notes = {(sick, dates[2]): "sick"}
    # 2. day 5 (index 4): an RN on E sick, an RN who is off called in
    sick = first(4, "E", "RN")
    del worked[(sick, dates[4])]
    notes[(sick, dates[4])] = "sick"
    called = next(
        r["staff"] for r in grid if "RN" in comp[r["staff"]] and cell[(r["staff"], dates[4])] == "-"
    )
    worked[(called, dates[4])] = ["E", f"called in for {sick}"]
    # 3. day 10 (index 9): a USK swaps E for D
    swapped = first(9, "E", "USK")
    worked[(swapped, dates[9])] = ["D", "swapped with the morning"]
    # 4. days 8-9 (index 7-8): a LAK away on a course
    away = first(7, "J", "LAK")
    for day in (7, 8):
        worked.pop((away, dates[day]), None)
        notes[(away, dates[day])] = "course"
    rows = []
    for r in grid:
        for d in dates:
            key = (r["staff"], d)
            if key in worked:
                rows.append([r["staff"], d, worked[key][0], worked[key][1]])
            elif key in notes:
                rows.append([r["staff"], d, "-", notes[key]])
    rows.sort(key=lambda x: (x[1], x[0]))
    with (HERE / "actuals" / "shifts.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["staff", "date", "shift", "comment"])
        w.writerows(rows)
    print(f"wrote {len(rows)} rows for {dates[0]}…{dates[-1]} to {HERE / 'actuals'}")


if __name__ == "__main__":
    main()
