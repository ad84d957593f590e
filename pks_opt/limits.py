"""Documented limits on input sizes and values, checked before anything large is built.

Every level's row models take their upper bounds from here, so the format references
(``docs/*.md``, "Ranges") and the checks cannot drift apart. A value outside its range is an
:class:`~pks_opt.errors.InputError` naming the file, row and field, never a crash, a hang or
an "infeasible" result.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from pks_opt.errors import InputError

#: a roster covers at most one year (52 weeks = 364 days); the Curtois horizon the same
MAX_ROSTER_WEEKS = 52
MAX_ROSTER_DAYS = 7 * MAX_ROSTER_WEEKS
#: staff × days × shift types of a roster (its assignment variables), checked before the
#: model is built (the largest Curtois instance, 24, has 150 × 364 × 16 = 873,600)
MAX_ROSTER_CELLS = 2_000_000
#: a shift is at most 16 h unless it is an on-call shift (category ``oncall``: up to 24 h)
MAX_SHIFT_HOURS = 16
#: an evening shift may run past midnight until 02:00; day shifts end by 24:00
EVENING_LATEST_END_MINUTE = 24 * 60 + 2 * 60
#: people one demand row may ask for on one shift
MAX_STAFF_PER_SHIFT = 1000
#: objective weights of the roster (integers in CP-SAT: larger ones overflow its sums)
MAX_ROSTER_WEIGHT = 1_000_000
#: activity matrix counts (sessions a week, staff, patients per session): at most this
MAX_MATRIX_COUNT = 1000
#: a production plan covers at most three years of weeks (also its waits and target week)
MAX_PLAN_WEEKS = 156
#: a week's capacity factor (1 = a normal week; extra shifts may lift it, not tenfold)
MAX_CAPACITY_FACTOR = 10.0
#: hours of a resource one planned activity takes: at most a week's 168 hours
MAX_HOURS_PER_ACTIVITY = 168.0
#: patients, activities and hours of a production plan (queues, inflow, goals, a resource's
#: hours): at most ten million; larger values (1e16 from a damaged cell) made the MILP
#: numerically meaningless and HiGHS fail inside PuLP instead of solving
MAX_PLAN_VOLUME = 10_000_000.0
#: an objective weight of the production plan (``goal_shortfall_weight``, ``change_weight``…)
#: and a week's ``inflow_weight``: at most 10 000. The weights price terms against each other
#: inside one priority's stage (the defaults are 0.2-10); a strict order is what the stages by
#: priority give. A "big-M" weight of 1e12 made the plan's objective 1e18 with every stage
#: merely feasible, 1e300 crashed the solver's interface, and a weight a million times
#: another already sits below the solver's tolerances.
MAX_PLAN_WEIGHT = 10_000.0
#: the largest number any table cell or parameter may hold (in size, either sign), where the
#: field has no tighter range of its own: 10^12 is above any Swedish region's budget in SEK
#: (10^11) and any count; 1e111 in a cell (a damaged file) made the balance MILP fail inside
#: PuLP's HiGHS interface (IndexError) instead of solving
MAX_ANY_NUMBER = 1e12
#: a care need's demographic growth: a share per year, -1..1 (-100 % .. +100 % a year)
MAX_DEMOGRAPHIC_GROWTH = 1.0
#: ``stage_tolerance``: the share by which a later stage may worsen an earlier one (at most all)
MAX_STAGE_TOLERANCE = 1.0


def calendar_date(value: Any) -> Any:
    """Validate a real calendar date from a ``date`` or an ISO text ``YYYY-MM-DD``.

    ``2027-02-30`` is refused with the reason; other values are left to pydantic's ``date``
    validation.
    """
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            parts = text.split("-")
            if len(parts) == 3 and all(p.isdigit() for p in parts):
                raise PydanticCustomError(
                    "calendar_date", "not a calendar date ({reason})", {"reason": str(exc)}
                ) from None
    return value


def _at_most(maximum: float, reason: str) -> Any:
    """Make an after-validator refusing a value above ``maximum`` with ``reason`` in the message."""
    text = f"at most {maximum:,.0f}".replace(",", " ") + f": {reason}"

    def check(value: float) -> float:
        if value > maximum:
            raise PydanticCustomError("too_large", text)
        return value

    return AfterValidator(check)


#: an objective weight of the production plan (``ge=0`` is the field's own)
PlanWeight = Annotated[
    float,
    _at_most(
        MAX_PLAN_WEIGHT,
        "the weights price terms against each other within one priority (the defaults are"
        " 0.2-10); for a strict order give the planning objects different priorities",
    ),
]
#: a week's relative inflow (``weeks.inflow_weight``)
InflowWeight = Annotated[
    float,
    _at_most(
        MAX_PLAN_WEIGHT,
        "the inflow weight is relative to the other weeks (1 is a normal week)",
    ),
]

#: a ``date`` field that names impossible dates ("2027-02-30 is not a calendar date")
CalendarDate = Annotated[date, BeforeValidator(calendar_date)]


def check_size(
    what: str, size: int, maximum: int, *, file: str | None = None, field: str | None = None
) -> None:
    """Refuse a problem larger than ``maximum`` before anything of that size is allocated."""
    if size > maximum:
        raise InputError(
            f"{what} is {size:,}, more than the documented maximum {maximum:,}",
            file=file,
            field=field,
        )
