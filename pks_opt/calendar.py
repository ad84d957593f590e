"""The Swedish calendar shared by the levels: public holidays and de facto holiday eves.

Röda dagar and midsommarafton, julafton, nyårsafton, from the well-kept ``holidays``
package.

A level takes a holiday as a day of its own type: by default like a Sunday (a roster's weekday
demand, an activity matrix's sessions), and marks it in its outputs and charts.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from pks_opt.constants import HOURS_PER_DAY, MINUTES_PER_HOUR

COUNTRY = "SE"
#: a plan year of the strategic level: four quarters
PERIODS_PER_YEAR = 4
#: the holidays package's categories taken: official public holidays and the de facto eves
CATEGORIES = ("public", "de_facto")


@lru_cache(maxsize=32)
def _year(year: int) -> dict[dt.date, str]:
    import holidays

    cal = holidays.country_holidays(COUNTRY, years=[year], language="sv", categories=CATEGORIES)
    # Sundays are "söndag" in the Swedish calendar (include_sundays): not holidays here
    return {day: str(name) for day, name in cal.items() if str(name).lower() != "söndag"}


def holidays_between(first: dt.date, last: dt.date) -> dict[dt.date, str]:
    """List the Swedish holidays from ``first`` to ``last`` (both included) with their names.

    As ``2026-04-03: Långfredagen``; two names on one day are joined with ``; ``.
    """
    out: dict[dt.date, str] = {}
    for year in range(first.year, last.year + 1):
        for day, name in _year(year).items():
            if first <= day <= last:
                out[day] = name
    return dict(sorted(out.items()))


def of_year(period: str, year: str) -> bool:
    """``2027Q1`` is of year ``2027``; ``20271`` or ``2027`` of ``202`` is not."""
    return period == year or (period.startswith(year) and not period[len(year)].isdigit())


def plan_year_periods(
    periods: list[str], year: str | None, *, file: str | None = None, field: str = "--year"
) -> list[str]:
    """Pick the plan year's periods: those of ``year`` (``2027Q1``…), or the first four.

    Raises
    ------
    InputError
        No period of ``year`` (naming ``file`` and ``field``).
    """
    if year is None:
        return periods[:PERIODS_PER_YEAR]
    chosen = [p for p in periods if of_year(p, year)]
    if not chosen:
        from pks_opt.errors import InputError

        raise InputError(
            f"no period of year {year} (periods: {', '.join(periods)})", file=file, field=field
        )
    return chosen


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def clock_minutes(text: str, *, max_hours: int = HOURS_PER_DAY) -> int:
    """``HH:MM`` → minutes after midnight: the one clock parser of the package.

    Hours run below ``max_hours``: 24 for a time of day (``23:59``), 48 where a shift may end
    the next day (``31:00`` is 07:00 tomorrow).

    Raises
    ------
    ValueError
        ``expected a time HH:MM`` (the caller names file, row and field).
    """
    m = _CLOCK.match(text.strip())
    if not m or int(m.group(1)) >= max_hours or int(m.group(2)) >= MINUTES_PER_HOUR:
        raise ValueError("expected a time HH:MM")
    return int(m.group(1)) * MINUTES_PER_HOUR + int(m.group(2))
