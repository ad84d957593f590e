"""ISO weeks ('YYYY-Www') and the Swedish holiday weeks the forecast knows about.

Week types come from the ``holidays`` package (Swedish public holidays):

- ``easter``: the ISO weeks holding Good Friday or Easter Monday (two weeks; Easter moves
  between ISO weeks 12 and 17, so it is modelled as a week-type effect, not by week number);
- ``christmas``: the weeks holding Christmas Day, Boxing Day, New Year's Day or Epiphany;
- ``midsummer``: the week holding Midsummer Day;
- ``normal`` otherwise.

Christmas/New Year and midsummer fall on (nearly) fixed dates, so they are captured by the
week-of-year seasonal profile (aligning on ISO week); only Easter gets its own effect.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from pks_opt.constants import NORMAL_WEEK

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")

EASTER = "easter"
CHRISTMAS = "christmas"
MIDSUMMER = "midsummer"
NORMAL = NORMAL_WEEK

# Lower-case fragments of the holiday names (holidays' English names), in match order.
_HOLIDAY_TYPES = (
    ("good friday", EASTER),
    ("easter monday", EASTER),
    ("christmas", CHRISTMAS),
    ("new year", CHRISTMAS),
    ("epiphany", CHRISTMAS),
    ("midsummer day", MIDSUMMER),
)


def _kind(name: str) -> str | None:
    low = name.lower()
    for fragment, kind in _HOLIDAY_TYPES:
        if fragment in low:
            return kind
    return None


def parse_week(text: str) -> dt.date:
    """Find the Monday of ISO week ``'YYYY-Www'``; ``ValueError`` with a plain message otherwise."""
    m = WEEK_RE.match(text.strip())
    if not m:
        raise ValueError(f"expected an ISO week 'YYYY-Www' (got {text!r})")
    year, week = int(m.group(1)), int(m.group(2))
    try:
        return dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{text!r} is not a week of ISO year {year}") from None


def week_label(monday: dt.date) -> str:
    """``'YYYY-Www'`` of the ISO week holding ``monday``."""
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def iso_week(monday: dt.date) -> int:
    """ISO week number of ``monday`` (1..53)."""
    return monday.isocalendar().week


def next_weeks(monday: dt.date, count: int) -> list[dt.date]:
    """``count`` Mondays following ``monday`` (exclusive)."""
    return [monday + dt.timedelta(weeks=k + 1) for k in range(count)]


@lru_cache(maxsize=64)
def _holiday_weeks(year: int) -> dict[dt.date, str]:
    import holidays

    out: dict[dt.date, str] = {}
    cal = holidays.country_holidays("SE", years=[year], language="en_US")
    for day, name in cal.items():
        for part in str(name).split(";"):
            kind = _kind(part)
            if kind is not None:
                monday = day - dt.timedelta(days=day.weekday())
                out.setdefault(monday, kind)
    return out


def week_type(monday: dt.date) -> str:
    """Classify the ISO week starting on ``monday`` by its holidays (its week type)."""
    for year in {monday.year, (monday + dt.timedelta(days=6)).year}:
        kind = _holiday_weeks(year).get(monday)
        if kind is not None:
            return kind
    return NORMAL
