"""The contract between the need level and the balancing level.

:func:`pks_opt.capacity_need.compute_figures` (the need level) produces :class:`NeedFigures` from a
strategic instance; the balancing MILP (:mod:`pks_opt.balancing`) consumes it. Both read the
same instance folder; only these numbers cross the boundary.

Units of measure: production in activities (visits, operations, admissions…) per period;
resource amounts in the resource's own unit (hours for staff and rooms, bed-days for beds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

UnitObjectPeriod = tuple[str, str, str]
UnitResourcePeriod = tuple[str, str, str]


@dataclass(frozen=True)
class Usage:
    """Producing one activity consumes ``amount`` of ``resource`` at ``at_unit``.

    ``at_unit`` is the producing unit itself or a support unit (imaging hours, ICU bed-days
    per operation: the co-planning coupling).
    """

    at_unit: str
    resource: str
    amount: float


@dataclass(frozen=True)
class NeedFigures:
    """Need and capacity per unit × planning object × resource × period, ready to balance.

    Attributes
    ----------
    units, resources, periods, planning_objects
        Ordered ids (``periods`` in time order).
    priority
        Planning object → medical priority (1 = most urgent).
    production_need
        (home unit, planning object, period) → activities needed (care need after growth,
        mission changes, realised improvements and waiting-list goals, × conversion).
    usage
        (producing unit, planning object) → what one activity consumes, for every unit that
        may produce the object (the home unit and any other capable unit).
    available
        (unit, resource, period) → available capacity (after absence, patient-time share and
        low-production periods).
    capacity_need
        (unit, resource, period) → capacity the production need requires if every unit
        produces its own need (support-unit load included).
    """

    units: tuple[str, ...]
    resources: tuple[str, ...]
    periods: tuple[str, ...]
    planning_objects: tuple[str, ...]
    priority: Mapping[str, int]
    production_need: Mapping[UnitObjectPeriod, float]
    usage: Mapping[tuple[str, str], tuple[Usage, ...]]
    available: Mapping[UnitResourcePeriod, float]
    capacity_need: Mapping[UnitResourcePeriod, float]
    #: period → calendar days (acute dimensioning per day, expected waits in weeks)
    period_days: Mapping[str, float] = field(default_factory=dict)
    #: acute planning objects (``planning_objects.csv`` column ``acute``)
    acute: frozenset[str] = frozenset()
    #: share of days the acute capacity covers (the 85 % rule, ``parameters.acute_share``)
    acute_share: float = 0.85
