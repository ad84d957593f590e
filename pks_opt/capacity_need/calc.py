"""The need-level calculations: pure functions of :class:`~pks_opt.capacity_need.data.NeedData`.

Formulas (all per period; docs/need.md gives them with the seed's numbers):

* care need          = base × (1 + demographic_growth) ^ years_from_base + mission_change,
  where base is ``base_volume`` or ``share_of_parent`` × the parent unit's care need (the
  mission cascade) and ``years_from_base`` comes from the period (default 1);
* production need    = (care need + waiting_list_reduction) × conversion + realised volume
  improvements (never below 0), for producing units (units nobody has as parent);
* capacity need      = Σ production need × amount per activity, booked at the producing unit or
  at the support unit of the activity-hours row; inpatient objects use
  ``average_length_of_stay_days / occupancy_target`` bed-days of the bed resource per admission;
* beds               = bed-days ÷ days in period ÷ occupancy target; planned beds = beds rounded
  by ``bed_rounding``; staff per role = planned beds × staff_per_bed, rounded by
  ``staff_rounding``;
* available capacity = staff fte × annual_hours × days/days_per_year × (1 − absence_share) ×
  patient_time_share; rooms × hours_per_week × days/7; staffed_beds × days — each × the
  period's low_production_factor — plus realised capacity improvements;
* acute dimensioning = the smallest arrivals count c per unit × block such that at least
  ``acute_share`` of the historical days had at most c arrivals.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pks_opt.capacity_need.data import (
    MESSAGE,
    DemandRow,
    InpatientRow,
    NeedData,
    Rounding,
    per_period,
)
from pks_opt.capacity_need.figures import NeedFigures, Usage
from pks_opt.constants import DAYS_PER_WEEK

EPS = 1e-9


def round_by(x: float, rule: Rounding) -> float:
    """Round ``x`` by ``rule``: ``nearest``, ``up``, ``down``, ``none`` or a tolerance.

    ``nearest`` rounds halves up; a tolerance t (a number) rounds up, unless ``x`` is at most t
    above a whole number (then down).

    A tolerance of 1e-9 keeps 24.000000001 from rounding up to 25.
    """
    if isinstance(rule, float | int) and not isinstance(rule, bool):
        low = math.floor(x + EPS)
        return float(low if x - low <= rule + EPS else low + 1)
    if rule == "nearest":
        return float(math.floor(x + 0.5 + EPS))
    if rule == "up":
        return float(math.ceil(x - EPS))
    if rule == "down":
        return float(math.floor(x + EPS))
    return x


def usage_for(data: NeedData, unit: str, planning_object: str) -> tuple[Usage, ...]:
    """Work out what one activity of ``planning_object`` produced at ``unit`` consumes.

    Activity-hours rows that name ``unit`` replace the object's default rows (blank unit)
    wholesale; a row's ``support_unit`` (blank = the producing unit) is where the resource is
    used. An inpatient row (the unit's own, else the default) adds
    ``average_length_of_stay_days / occupancy_target`` of its bed resource at ``unit``.
    Works for any unit, whether or not it has demand for the object.
    """
    rows = data.activity_index.get((unit, planning_object)) or data.activity_index.get(
        (None, planning_object), ()
    )
    out = [Usage(r.support_unit or unit, r.resource, r.amount_per_activity) for r in rows]
    inp = inpatient_row(data, unit, planning_object)
    if inp is not None:
        out.append(
            Usage(unit, inp.bed_resource, inp.average_length_of_stay_days / inp.occupancy_target)
        )
    return tuple(out)


def inpatient_row(data: NeedData, unit: str, planning_object: str) -> InpatientRow | None:
    """Pick the unit's own inpatient row for the object, else the default (blank-unit) row."""
    index = data.inpatient_index
    return index.get((unit, planning_object)) or index.get((None, planning_object))


@dataclass(frozen=True)
class DemandLine:
    """One (unit, planning object, period) of the care → production need chain."""

    unit: str
    planning_object: str
    period: str
    produces: bool
    base_volume: float
    share_of_parent: float | None
    parent_care_need: float | None
    demographic_growth: float
    mission_change: float
    care_need: float
    waiting_list_reduction: float
    conversion: float
    improvement_volume: float
    production_need: float


@dataclass(frozen=True)
class BedLine:
    """The bed need of one unit in one period.

    ``admissions`` and the ``bed_days`` they need in a period of ``days`` days; ``beds_exact``
    at the occupancy target, ``beds_planned`` rounded by ``bed_rounding``; ``staffed_beds``
    from ``beds`` (None: not given).
    """

    unit: str
    period: str
    admissions: float
    bed_days: float
    days: float
    beds_exact: float
    beds_planned: float
    staffed_beds: float | None


@dataclass(frozen=True)
class StaffLine:
    """Staff needed per role of a unit in a period.

    From planned beds × staffing key (``basis`` "beds"), or from the capacity need of a staff
    resource ÷ the hours one FTE of the function gives (``basis`` "hours"). ``available_fte``
    is the FTE of the unit's staff function of that name.
    """

    unit: str
    period: str
    role: str
    basis: str
    fte_exact: float
    fte: float
    available_fte: float | None
    staff_per_bed: float | None = None
    beds_planned: float | None = None
    resource: str | None = None
    need: float | None = None
    hours_per_fte: float | None = None
    #: employment rate of the role (sysselsättningsgrad) when given; headcount = ⌈fte / rate⌉
    employment_rate: float | None = None

    @property
    def headcount(self) -> float | None:
        """People employed for ``fte`` at the role's employment rate (None without a rate)."""
        if self.employment_rate is None or not math.isfinite(self.fte):
            return None
        return float(math.ceil(self.fte / self.employment_rate - EPS))


@dataclass(frozen=True)
class AcuteLine:
    """Acute capacity of one unit and block from its historical arrivals.

    ``capacity`` arrivals a day cover ``days_covered`` of ``days`` (``share_covered``), at
    least ``share_target`` (``acute_share``).
    """

    unit: str
    block: str
    days: int
    mean_arrivals: float
    max_arrivals: float
    share_target: float
    capacity: float
    days_covered: int
    share_covered: float


@dataclass(frozen=True)
class AvailableLine:
    """Capacity one source (staff, room, beds, improvement) gives a unit's resource in a period."""

    unit: str
    resource: str
    period: str
    source: str  # "staff:<function>", "room:<room>", "beds", "improvement:<id>"
    amount: float


@dataclass
class NeedBreakdown:
    """Everything :func:`breakdown` works out, line by line, for tables and figures."""

    demand: list[DemandLine] = field(default_factory=list)
    capacity_need: dict[tuple[str, str, str], float] = field(default_factory=dict)
    #: capacity need with each inpatient bed resource at the planned (rounded) beds × days
    #: instead of the exact bed need: what ``gaps`` compares with the staffed beds
    planned_need: dict[tuple[str, str, str], float] = field(default_factory=dict)
    available_lines: list[AvailableLine] = field(default_factory=list)
    beds: list[BedLine] = field(default_factory=list)
    staffing: list[StaffLine] = field(default_factory=list)
    acute: list[AcuteLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def available(self) -> dict[tuple[str, str, str], float]:
        """Available capacity per (unit, resource, period), summed over its sources."""
        out: dict[tuple[str, str, str], float] = defaultdict(float)
        for a in self.available_lines:
            out[(a.unit, a.resource, a.period)] += a.amount
        return dict(out)

    @property
    def production_need(self) -> dict[tuple[str, str, str], float]:
        """Production need per (unit, planning object, period), of the units that produce."""
        return {
            (d.unit, d.planning_object, d.period): d.production_need
            for d in self.demand
            if d.produces
        }


def breakdown(data: NeedData, *, acute_share: float | None = None) -> NeedBreakdown:
    """Work out the whole need side (pure). ``acute_share`` overrides the parameter."""
    out = NeedBreakdown()
    _demand(data, out)
    _capacity_need(data, out)
    _beds_and_staff(data, out)
    _available(data, out)
    out.warnings.extend(unsupplied_warnings(out.capacity_need, out.available))
    _staff_from_hours(data, out)
    share = data.parameters.acute_share if acute_share is None else acute_share
    out.acute = acute_dimensioning(data, share)
    return out


def unsupplied_warnings(
    capacity_need: Mapping[tuple[str, str, str], float],
    available: Mapping[tuple[str, str, str], float],
) -> list[str]:
    """Warn of a resource needed somewhere but supplied nowhere (e.g. no staff table)."""
    needed: dict[str, float] = defaultdict(float)
    supplied: dict[str, float] = defaultdict(float)
    for (_u, r, _p), v in capacity_need.items():
        needed[r] += v
    for (_u, r, _p), v in available.items():
        supplied[r] += v
    return [
        f"resource '{r}' is needed ({needed[r]:.6g} in all) but no unit has any of it: no"
        " staff, rooms or beds row supplies it, so all need of it stays unmet"
        for r in sorted(needed)
        if needed[r] > 0 and supplied.get(r, 0.0) <= 0
    ]


def _unit_order(data: NeedData) -> list[str]:
    """Units parents first (the mission cascade flows down)."""
    parent = {u.unit: u.parent for u in data.units}

    def depth(u: str) -> int:
        d = 0
        while parent.get(u) is not None:
            u = parent[u]  # type: ignore[assignment]
            d += 1
        return d

    return sorted(data.unit_ids, key=lambda u: (depth(u), data.unit_ids.index(u)))


def _demand(data: NeedData, out: NeedBreakdown) -> None:
    periods = data.period_ids
    rows = per_period(data.demand, lambda d: (d.unit, d.planning_object), periods)
    parent = {u.unit: u.parent for u in data.units}
    producing = set(data.producing_units)
    vol_imp: dict[tuple[str, str, str], float] = defaultdict(float)
    for (_, p), imp in per_period(
        (i for i in data.improvements if i.realised and i.effect == "volume"),
        lambda i: (i.improvement,),
        periods,
    ).items():
        assert imp.planning_object is not None
        vol_imp[(imp.unit, imp.planning_object, p)] += imp.amount
    care: dict[tuple[str, str, str], float] = {}
    order = {u: i for i, u in enumerate(_unit_order(data))}
    pidx = {p: i for i, p in enumerate(periods)}
    keys = sorted(rows, key=lambda k: (order[k[0][0] or ""], pidx[k[1]], k[0][1] or ""))
    lines: dict[tuple[str, str, str], DemandLine] = {}
    for unit_obj, p in keys:
        unit, obj = str(unit_obj[0]), str(unit_obj[1])
        d = rows[(unit_obj, p)]
        parent_care: float | None = None
        if d.share_of_parent is not None:
            up = parent[unit]
            assert up is not None
            parent_care = care.get((up, obj, p), 0.0)
            base = parent_care * d.share_of_parent
        else:
            base = float(d.base_volume or 0.0)
        years = data.period(p).years_from_base
        grown = base * (1 + d.demographic_growth) ** years
        c = grown + d.mission_change
        if c < -EPS:
            out.warnings.append(
                _demand_row(
                    data,
                    d,
                    f"care need of {unit}/{obj}/{p} is negative ({grown:.4g} + "
                    f"mission_change {d.mission_change:.4g} = {c:.4g}); 0 used",
                )
            )
        c = max(c, 0.0)
        care[(unit, obj, p)] = c
        imp_volume = vol_imp.get((unit, obj, p), 0.0)
        prod = (c + d.waiting_list_reduction) * d.conversion + imp_volume
        if prod < -EPS:
            out.warnings.append(
                f"production need of {unit}/{obj}/{p} is negative ({prod:.4g}) after "
                "improvements; 0 used"
            )
        lines[(unit, obj, p)] = DemandLine(
            unit=unit,
            planning_object=obj,
            period=p,
            produces=unit in producing,
            base_volume=base,
            share_of_parent=d.share_of_parent,
            parent_care_need=parent_care,
            demographic_growth=d.demographic_growth,
            mission_change=d.mission_change,
            care_need=c,
            waiting_list_reduction=d.waiting_list_reduction,
            conversion=d.conversion,
            improvement_volume=imp_volume,
            production_need=max(prod, 0.0),
        )
    # Table order: unit order as in units.csv, then planning object order, then period.
    uo = {u: i for i, u in enumerate(data.unit_ids)}
    oo = {o.planning_object: i for i, o in enumerate(data.planning_objects)}
    out.demand = sorted(
        lines.values(),
        key=lambda x: (uo[x.unit], oo[x.planning_object], pidx[x.period]),
    )


def _demand_row(data: NeedData, row: DemandRow, message: str) -> str:
    """Locate ``message`` at the demand row's ``mission_change``.

    The file, row and field, or the scenario change that set it.
    """
    for r, where in zip(data.demand, data.demand_where, strict=False):
        if r is row:
            return where.replace(MESSAGE, message)
    return message


def _capacity_need(data: NeedData, out: NeedBreakdown) -> None:
    need: dict[tuple[str, str, str], float] = defaultdict(float)
    cache: dict[tuple[str, str], tuple[Usage, ...]] = {}
    for d in out.demand:
        if not d.produces:
            continue
        key = (d.unit, d.planning_object)
        if key not in cache:
            cache[key] = usage_for(data, *key)
            if not cache[key] and d.production_need > 0:
                out.warnings.append(
                    f"{d.unit}/{d.planning_object}: no activity_hours or inpatient row, so its"
                    " production need uses no capacity"
                )
        for use in cache[key]:
            need[(use.at_unit, use.resource, d.period)] += d.production_need * use.amount
    out.capacity_need = dict(need)


def _beds_and_staff(data: NeedData, out: NeedBreakdown) -> None:
    params = data.parameters
    admissions: dict[tuple[str, str], float] = defaultdict(float)
    bed_days: dict[tuple[str, str], float] = defaultdict(float)
    beds_exact: dict[tuple[str, str], float] = defaultdict(float)
    bed_need: dict[tuple[str, str, str], float] = defaultdict(float)  # (unit, bed res, p)
    for d in out.demand:
        if not d.produces:
            continue
        inp = inpatient_row(data, d.unit, d.planning_object)
        if inp is None:
            continue
        days = data.period(d.period).days
        bd = d.production_need * inp.average_length_of_stay_days
        admissions[(d.unit, d.period)] += d.production_need
        bed_days[(d.unit, d.period)] += bd
        beds_exact[(d.unit, d.period)] += bd / days / inp.occupancy_target
        bed_need[(d.unit, inp.bed_resource, d.period)] += bd / inp.occupancy_target
    staffed = _staffed_beds(data)
    fte_by_function: dict[tuple[str, str, str], float] = defaultdict(float)
    for ((unit_, function), p_), s in per_period(
        data.staff, lambda s: (s.unit, s.function), data.period_ids
    ).items():
        fte_by_function[(str(unit_), str(function), p_)] += s.fte
    out.planned_need = dict(out.capacity_need)
    for (unit, res, p), exact_days in bed_need.items():
        exact = beds_exact[(unit, p)]
        factor = round_by(exact, params.bed_rounding) / exact if exact > 0 else 1.0
        out.planned_need[(unit, res, p)] += exact_days * (factor - 1.0)
    for (unit, p), exact in beds_exact.items():
        planned = round_by(exact, params.bed_rounding)
        out.beds.append(
            BedLine(
                unit=unit,
                period=p,
                admissions=admissions[(unit, p)],
                bed_days=bed_days[(unit, p)],
                days=data.period(p).days,
                beds_exact=exact,
                beds_planned=planned,
                staffed_beds=staffed.get((unit, p)),
            )
        )
        for key in data.staffing_keys:
            if key.unit != unit:
                continue
            fte_exact = planned * key.staff_per_bed
            out.staffing.append(
                StaffLine(
                    unit=unit,
                    period=p,
                    role=key.role,
                    basis="beds",
                    fte_exact=fte_exact,
                    fte=round_by(fte_exact, params.staff_rounding),
                    available_fte=fte_by_function.get((unit, key.role, p)),
                    staff_per_bed=key.staff_per_bed,
                    beds_planned=planned,
                    employment_rate=key.employment_rate,
                )
            )


def _staffed_beds(data: NeedData) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = defaultdict(float)
    for ((unit, _res), p), row in per_period(
        data.beds, lambda b: (b.unit, b.resource), data.period_ids
    ).items():
        out[(str(unit), p)] += row.staffed_beds
    return dict(out)


def _available(data: NeedData, out: NeedBreakdown) -> None:
    periods = data.period_ids
    per_year = data.parameters.days_per_year
    lines: list[AvailableLine] = []
    for ((unit, function), p), s in per_period(
        data.staff, lambda s: (s.unit, s.function), periods
    ).items():
        per = data.period(p)
        hours = (
            s.fte
            * s.annual_hours
            * per.days
            / per_year
            * (1 - s.absence_share)
            * s.patient_time_share
            * per.low_production_factor
        )
        lines.append(AvailableLine(str(unit), s.resource, p, f"staff:{function}", hours))
    for ((unit, room), p), r in per_period(data.rooms, lambda r: (r.unit, r.room), periods).items():
        per = data.period(p)
        hours = r.rooms * r.hours_per_week * per.days / DAYS_PER_WEEK * per.low_production_factor
        lines.append(AvailableLine(str(unit), r.resource, p, f"room:{room}", hours))
    for ((unit, res), p), b in per_period(
        data.beds, lambda b: (b.unit, b.resource), periods
    ).items():
        per = data.period(p)
        lines.append(
            AvailableLine(
                str(unit),
                str(res),
                p,
                "beds",
                b.staffed_beds * per.days * per.low_production_factor,
            )
        )
    for ((imp_id,), p), imp in per_period(
        (i for i in data.improvements if i.realised and i.effect == "capacity"),
        lambda i: (i.improvement,),
        periods,
    ).items():
        assert imp.resource is not None
        lines.append(AvailableLine(imp.unit, imp.resource, p, f"improvement:{imp_id}", imp.amount))
    uo = {u: i for i, u in enumerate(data.unit_ids)}
    ro = {r.resource: i for i, r in enumerate(data.resources)}
    out.available_lines = sorted(
        lines, key=lambda a: (uo[a.unit], ro[a.resource], periods.index(a.period), a.source)
    )


def _staff_from_hours(data: NeedData, out: NeedBreakdown) -> None:
    """FTE per staff function needed to cover the capacity need of the resource it supplies.

    The need of (unit, resource, period) is split over the unit's functions supplying that
    resource pro rata to their available hours (equally if none is available), then divided
    by the hours one FTE of the function gives in the period.
    """
    per_year = data.parameters.days_per_year
    rows = per_period(data.staff, lambda s: (s.unit, s.function), data.period_ids)
    groups: dict[tuple[str, str, str], list[tuple[str, float, float, float]]] = defaultdict(list)
    rate: dict[tuple[str, str, str], float] = {}
    for ((unit, function), p), s in rows.items():
        per = data.period(p)
        per_fte = (
            s.annual_hours
            * per.days
            / per_year
            * (1 - s.absence_share)
            * s.patient_time_share
            * per.low_production_factor
        )
        groups[(str(unit), s.resource, p)].append((str(function), s.fte, per_fte, s.fte * per_fte))
        if s.employment_rate is not None:
            rate[(str(unit), str(function), p)] = s.employment_rate
    for (unit, res, p), funcs in groups.items():
        need = out.capacity_need.get((unit, res, p), 0.0)
        total = sum(h for *_, h in funcs)
        for function, fte, per_fte, hours in funcs:
            share = hours / total if total > 0 else 1 / len(funcs)
            exact = need * share / per_fte if per_fte > 0 else math.inf
            out.staffing.append(
                StaffLine(
                    unit=unit,
                    period=p,
                    role=function,
                    basis="hours",
                    fte_exact=exact,
                    fte=round_by(exact, data.parameters.staff_rounding)
                    if math.isfinite(exact)
                    else exact,
                    available_fte=fte,
                    resource=res,
                    need=need * share,
                    hours_per_fte=per_fte,
                    employment_rate=rate.get((unit, function, p)),
                )
            )
    uo = {u: i for i, u in enumerate(data.unit_ids)}
    pidx = {p: i for i, p in enumerate(data.period_ids)}
    basis = {"beds": 0, "hours": 1}
    out.staffing.sort(key=lambda s: (uo[s.unit], pidx[s.period], basis[s.basis]))


def coverage_quantile(values: Iterable[float], share: float) -> float:
    """Find the smallest observed value c with at least ``share`` of the values ≤ c.

    Sorted x₁ ≤ … ≤ xₙ: c = x_k with k = ⌈share · n⌉ (share 0.85 of 20 days → the 17th).
    """
    xs = sorted(values)
    if not xs:
        raise ValueError("no values")
    k = max(1, math.ceil(share * len(xs) - EPS))
    return xs[k - 1]


def acute_dimensioning(data: NeedData, share: float) -> list[AcuteLine]:
    """Per unit × block: the arrivals capacity that covers ``share`` of the historical days."""
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for a in data.acute_arrivals:
        groups[(a.unit, a.block)].append(a.arrivals)
    out = []
    for (unit, block), xs in groups.items():
        cap = coverage_quantile(xs, share)
        covered = sum(1 for x in xs if x <= cap + EPS)
        out.append(
            AcuteLine(
                unit=unit,
                block=block,
                days=len(xs),
                mean_arrivals=sum(xs) / len(xs),
                max_arrivals=max(xs),
                share_target=share,
                capacity=cap,
                days_covered=covered,
                share_covered=covered / len(xs),
            )
        )
    return out


def compute_figures(data: NeedData) -> NeedFigures:
    """Compute what the balancing level needs (:class:`~pks_opt.capacity_need.figures.NeedFigures`).

    ``units`` are the producing units (organisational levels that only distribute a mission
    are left out); ``usage`` is filled for each (home unit, planning object) with demand — call
    :func:`usage_for` for other units.
    """
    b = breakdown(data)
    producing = data.producing_units
    prod = {k: v for k, v in b.production_need.items()}
    usage = {(u, o): usage_for(data, u, o) for (u, o) in dict.fromkeys(k[:2] for k in prod)}
    return NeedFigures(
        units=producing,
        resources=tuple(r.resource for r in data.resources),
        periods=data.period_ids,
        planning_objects=tuple(o.planning_object for o in data.planning_objects),
        priority={o.planning_object: o.priority for o in data.planning_objects},
        production_need=prod,
        usage=usage,
        available=b.available,
        capacity_need=dict(b.capacity_need),
        period_days={p.period: float(p.days) for p in data.periods},
        acute=frozenset(o.planning_object for o in data.planning_objects if o.acute),
        acute_share=data.parameters.acute_share,
    )
