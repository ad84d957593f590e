"""Need level (``pks need``): care need → production need → capacity need, and gaps.

Also beds and staffing, acute dimensioning and available capacity.

Public API
----------
read_need(raw) -> NeedData
    Validate the need-side tables of a strategic instance.
compute_figures(data) -> NeedFigures
    The numbers the balancing level consumes (the contract in :mod:`pks_opt.capacity_need.figures`).
usage_for(data, unit, planning_object) -> tuple[Usage, ...]
    Resource use of one activity at any unit (own unit and support units).
compute_need(data) -> Result
    The ``need`` result (status COMPUTED, no objective): tables, KPIs.
"""

from pks_opt.capacity_need.calc import (
    breakdown,
    compute_figures,
    coverage_quantile,
    round_by,
    usage_for,
)
from pks_opt.capacity_need.data import NeedData, NeedParameters, read_need
from pks_opt.capacity_need.figures import NeedFigures, Usage
from pks_opt.capacity_need.solution import (
    compute_need,
    need_charts,
    need_summary,
    total_positive_gap,
)

__all__ = [
    "NeedData",
    "NeedFigures",
    "NeedParameters",
    "Usage",
    "breakdown",
    "compute_figures",
    "compute_need",
    "coverage_quantile",
    "need_charts",
    "need_summary",
    "read_need",
    "round_by",
    "total_positive_gap",
    "usage_for",
]
