"""The history instance (``kind: history``) read into frozen, validated series.

Tables:

- ``weekly_history``: ``unit, planning_object, week ('YYYY-Www'), inflow (≥ 0), waiting``
  (waiting list at the end of the week, optional) — one row per unit × object × week, the
  weeks of a series consecutive, every object of a unit over the same weeks;
- ``daily_history`` (optional): ``unit, planning_object, date (YYYY-MM-DD), inflow (≥ 0)`` for
  the weekday profile.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import Field, field_validator

from pks_opt.constants import WEEKS_PER_YEAR
from pks_opt.errors import InputError
from pks_opt.forecasting.weeks import parse_week, week_label
from pks_opt.io import Frozen, RawInstance, Row, check_unique, parse_rows, read_raw

#: The shortest history that can carry a week-of-year seasonal profile: two full years.
MIN_FIT_WEEKS = 2 * WEEKS_PER_YEAR
#: weeks held out for the back-test: half a year when the history allows, else a quarter
LONG_HOLDOUT, SHORT_HOLDOUT = 26, 13


class WeeklyRow(Row):
    """A row of weekly history: a unit's inflow of an object in an ISO week (``2025-W07``)."""

    unit: str = Field(min_length=1)
    planning_object: str = Field(min_length=1)
    week: str
    inflow: float = Field(ge=0)
    waiting: float | None = Field(default=None, ge=0)

    @field_validator("week")
    @classmethod
    def _iso_week(cls, v: str) -> str:
        return week_label(parse_week(str(v)))


class DailyRow(Row):
    """A row of daily history: a unit's inflow of a planning object on a date."""

    unit: str = Field(min_length=1)
    planning_object: str = Field(min_length=1)
    date: dt.date
    inflow: float = Field(ge=0)


class Series(Frozen):
    """One unit × planning object: consecutive ISO weeks (their Mondays) and the inflow."""

    unit: str
    planning_object: str
    weeks: tuple[dt.date, ...]
    inflow: tuple[float, ...]
    waiting: tuple[float | None, ...]

    @property
    def key(self) -> tuple[str, str]:
        """The series' (unit, planning object)."""
        return (self.unit, self.planning_object)

    @property
    def waiting_at_end(self) -> float | None:
        """Patients waiting in the last week of the history (None: not given)."""
        return self.waiting[-1]


class WeekdayShare(Frozen):
    """Share of a week's inflow arriving on one weekday, over ``days`` such days of history."""

    unit: str
    planning_object: str
    weekday: int  # 1 = Monday … 7 = Sunday
    share: float
    days: int


class HistoryData(Frozen):
    """A validated inflow history: one series per unit × planning object, all on the same weeks."""

    name: str
    series: tuple[Series, ...]
    weekday: tuple[WeekdayShare, ...] = ()
    #: weeks at the end held out for the back-test (13 or 26)
    holdout_weeks: int = SHORT_HOLDOUT

    @property
    def last_week(self) -> dt.date:
        """Monday of the last week of history."""
        return self.series[0].weeks[-1]

    @property
    def units(self) -> tuple[str, ...]:
        """Units of the series, in first-seen order."""
        return tuple(dict.fromkeys(s.unit for s in self.series))


def read_history(path: str | Path, *, holdout_weeks: int | None = None) -> HistoryData:
    """Read and validate a history instance (folder or .xlsx); raises :class:`InputError`."""
    return history_from_raw(read_raw(path, expect_kind="history"), holdout_weeks=holdout_weeks)


def history_from_raw(raw: RawInstance, *, holdout_weeks: int | None = None) -> HistoryData:
    """Validate a history instance.

    ``holdout_weeks`` None: 26 weeks held out for the back-test when every series has at least
    ``MIN_FIT_WEEKS`` + 26 weeks, else 13.
    """
    table = raw.table("weekly_history")
    rows = parse_rows(table, WeeklyRow)
    if not rows:
        raise InputError("no rows", file=table.where)
    check_unique(rows, table, "week", "unit", "planning_object", what="week/unit/planning_object")
    by_key: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(rows):
        by_key.setdefault((r.unit, r.planning_object), []).append(i)
    held = SHORT_HOLDOUT if holdout_weeks is None else holdout_weeks
    need = MIN_FIT_WEEKS + held
    series: list[Series] = []
    for (unit, obj), idx in by_key.items():
        idx.sort(key=lambda i: parse_week(rows[i].week))
        weeks = [parse_week(rows[i].week) for i in idx]
        for prev, (cur, i) in zip(weeks, zip(weeks[1:], idx[1:], strict=True), strict=False):
            if (cur - prev).days != 7:
                missing = week_label(prev + dt.timedelta(weeks=1))
                raise InputError(
                    f"week {missing} is missing for {unit}/{obj} (the history jumps from "
                    f"{week_label(prev)} to {week_label(cur)}; every week is needed, 0 for none)",
                    file=table.where,
                    row=table.row_number(i),
                    field="week",
                )
        if len(weeks) < need:
            raise InputError(
                f"{unit}/{obj} has {len(weeks)} weeks of history; the forecast needs at least "
                f"{need} (two years = {MIN_FIT_WEEKS} weeks to fit the week-of-year profile, plus "
                f"the {held} weeks held out for the back-test)",
                file=table.where,
                row=table.row_number(idx[0]),
                field="week",
            )
        series.append(
            Series(
                unit=unit,
                planning_object=obj,
                weeks=tuple(weeks),
                inflow=tuple(rows[i].inflow for i in idx),
                waiting=tuple(rows[i].waiting for i in idx),
            )
        )
    first_of: dict[str, Series] = {}
    for s in series:
        ref = first_of.setdefault(s.unit, s)
        if s.weeks != ref.weeks:
            i = by_key[s.key][-1]
            raise InputError(
                f"{s.unit}/{s.planning_object} covers {week_label(s.weeks[0])}…"
                f"{week_label(s.weeks[-1])} but {ref.unit}/{ref.planning_object} covers "
                f"{week_label(ref.weeks[0])}…{week_label(ref.weeks[-1])}: every object of a unit "
                "needs the same weeks",
                file=table.where,
                row=table.row_number(i),
                field="week",
            )
    last = series[0].weeks[-1]
    for s in series:
        if s.weeks[-1] != last:
            i = by_key[s.key][-1]
            raise InputError(
                f"the history of {s.unit} ends in {week_label(s.weeks[-1])}, that of "
                f"{series[0].unit} in {week_label(last)}: every series must end in the same week",
                file=table.where,
                row=table.row_number(i),
                field="week",
            )
    weekday = _weekday_profile(raw, set(by_key)) if raw.has("daily_history") else ()
    if holdout_weeks is None:
        shortest = min(len(s.weeks) for s in series)
        held = LONG_HOLDOUT if shortest >= MIN_FIT_WEEKS + LONG_HOLDOUT else SHORT_HOLDOUT
    return HistoryData(name=raw.name, series=tuple(series), weekday=weekday, holdout_weeks=held)


def _weekday_profile(raw: RawInstance, known: set[tuple[str, str]]) -> tuple[WeekdayShare, ...]:
    """Share of a week's inflow per weekday (Monday = 1), from ``daily_history``."""
    table = raw.table("daily_history")
    rows = parse_rows(table, DailyRow)
    check_unique(rows, table, "unit", "planning_object", "date", what="unit/planning_object/date")
    totals: dict[tuple[str, str], list[float]] = {}
    counts: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(rows):
        key = (r.unit, r.planning_object)
        if key not in known:
            raise InputError(
                f"{r.unit}/{r.planning_object} has no weekly history (weekly_history.csv)",
                file=table.where,
                row=table.row_number(i),
                field="planning_object",
            )
        totals.setdefault(key, [0.0] * 7)[r.date.weekday()] += r.inflow
        counts.setdefault(key, [0] * 7)[r.date.weekday()] += 1
    out: list[WeekdayShare] = []
    for key, tot in totals.items():
        # mean inflow per weekday, so that a weekday seen more often does not weigh more
        means = [t / c if c else 0.0 for t, c in zip(tot, counts[key], strict=True)]
        s = sum(means)
        if s <= 0:
            continue
        for d in range(7):
            out.append(
                WeekdayShare(
                    unit=key[0],
                    planning_object=key[1],
                    weekday=d + 1,
                    share=means[d] / s,
                    days=counts[key][d],
                )
            )
    return tuple(out)
