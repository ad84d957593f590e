"""Balancing-side tables of a strategic instance, validated, plus the need figures they act on.

The need level (:mod:`pks_opt.capacity_need`) turns the need-side tables into
:class:`NeedFigures`; this module parses the balancing-side tables (budgets, capabilities,
moves, increases, purchases, priorities, waiting lists — all optional).
:class:`BalancingData` is what the MILP consumes; it checks every reference against the
figures itself (:func:`check_balancing`), whether built in code or read, and an error in a
table read from a file names the file, row and field.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import InitVar, dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, PlainValidator, ValidationError, model_validator

from pks_opt.capacity_need.figures import NeedFigures, Usage
from pks_opt.errors import InputError
from pks_opt.io import (
    RawInstance,
    Row,
    Table,
    bool_for_number,
    check_ref,
    check_unique,
    in_code,
    parse_rows,
    validation_to_input_error,
)

TOTAL = "TOTAL"  # reserved unit id of the region-wide row in budgets.csv
PARAMETERS_KEY = "balancing"  # manifest: parameters.balancing.{...}

UsageFn = Callable[[str, str], tuple[Usage, ...]]


class IncreaseKind(StrEnum):
    """How a unit changes its own capacity in ``increases.csv`` (R6), or a saving."""

    budget_increase = "budget_increase"
    recruitment = "recruitment"
    temporary_staff = "temporary_staff"
    #: a savings measure: capacity taken away (posts not refilled, beds closed), and
    #: ``cost_per_unit`` is the saving per unit (a budget below today's cost needs them)
    reduction = "reduction"


class DonorBacklog(StrEnum):
    """How R4 protects a donor's backlog (``parameters.balancing.donor_backlog``)."""

    #: the donor's spare is net of the backlog its own forecast carries in from the previous
    #: period (:func:`forecast_backlog`): a bound on the moves, linear (default)
    forecast = "forecast"
    #: the backlog of the plan itself, when the donor gives: big-M rows on the move
    #: indicators, added lazily; a real MILP, much slower on large instances
    plan = "plan"
    #: only the donor's forecast need of the period counts
    none = "none"


class PurchaseTier(StrEnum):
    """Västra Götaland's order of external purchase (PKS.md, "Balancing")."""

    existing_contract = "existing_contract"
    other_region_contract = "other_region_contract"
    other_region_capacity = "other_region_capacity"
    new_procurement = "new_procurement"

    @property
    def rank(self) -> int:
        """Place of the tier in the order of purchase, 1 (existing contract) to 4."""
        return list(PurchaseTier).index(self) + 1


# --------------------------------------------------------------------------- rows


class BalRow(Row):
    """A balancing-side row: ids written as numbers in a workbook are read as text."""

    model_config = ConfigDict(coerce_numbers_to_str=True)


class Budget(BalRow):
    """budgets.csv: base cost of today's capacity and the budget, per unit (or TOTAL), SEK."""

    unit: str
    base_cost: float = Field(ge=0)
    budget: float = Field(ge=0)


class Capability(BalRow):
    """capabilities.csv: ``unit`` may produce ``planning_object`` for other units."""

    unit: str
    planning_object: str
    cost_per_activity: float = Field(default=0.0, ge=0)


class Move(BalRow):
    """moves.csv: compatible capacity move donor → receiver of one resource, per period."""

    donor: str
    receiver: str
    resource: str
    max_per_period: float = Field(gt=0)
    cost_per_unit: float = Field(default=0.0, ge=0)
    fixed_cost: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _distinct(self) -> Move:
        if self.donor == self.receiver:
            raise ValueError("donor and receiver must differ")
        return self


class TimeShift(BalRow):
    """time_shifts.csv: a unit's hours of one resource moved between periods (R14).

    Vacation planning, banked hours and rotations move capacity from a low-need period to a
    high-need one (seeds 003 §G: "mellan verksamheter och över tid"). Per ordered period pair
    (from, to) at most ``max_share`` of the from-period's available capacity moves, at
    ``cost_per_unit`` SEK per unit moved (default 0: hours planned, not bought), between periods
    at most ``max_distance`` apart (default 4: a year of quarters).
    """

    unit: str
    resource: str
    max_share: float = Field(default=0.05, gt=0, le=1)
    cost_per_unit: float = Field(default=0.0, ge=0)
    max_distance: int = Field(default=4, ge=1)


class Increase(BalRow):
    """increases.csv: a capacity increase option of a unit and resource."""

    unit: str
    resource: str
    kind: IncreaseKind
    cost_per_unit: float = Field(ge=0)
    max_per_period: float = Field(gt=0)
    step: float | None = Field(default=None, gt=0)
    lead_periods: int = Field(default=0, ge=0)

    @property
    def sign(self) -> float:
        """+1: capacity added at a cost; −1 (a ``reduction``): capacity taken away, a saving."""
        return -1.0 if self.kind is IncreaseKind.reduction else 1.0


class Purchase(BalRow):
    """purchases.csv: an external purchase option for a planning object."""

    planning_object: str
    tier: PurchaseTier
    provider: str
    price_per_activity: float = Field(ge=0)
    capacity_per_period: float | None = Field(default=None, ge=0)


class PriorityRule(BalRow):
    """priorities.csv: weights and postponement rule per medical priority."""

    priority: int = Field(ge=1)
    unmet_weight: float = Field(gt=0)
    may_postpone: bool = False
    max_postpone_periods: int = Field(default=0, ge=0)
    postpone_weight_per_period: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _postpone_cheaper(self) -> PriorityRule:
        if self.may_postpone and self.max_postpone_periods < 1:
            raise ValueError("may_postpone needs max_postpone_periods >= 1")
        if self.may_postpone and self.postpone_weight_per_period >= self.unmet_weight:
            raise ValueError("postpone_weight_per_period must be below unmet_weight")
        return self


class WaitingList(BalRow):
    """waiting_lists.csv: patients already waiting, to be reduced with surplus capacity."""

    unit: str
    planning_object: str
    waiting: float = Field(ge=0)
    max_reduction_per_period: float | None = Field(default=None, ge=0)


#: action kinds an explicit ``action_order`` may list (``purchase:<tier>`` names one tier)
ACTION_KINDS = ("shift_in_time", "move", "increase", "purchase", "postpone")


def _action_order(v: object) -> str | tuple[tuple[str, ...], ...]:
    """``ladder``, ``cost`` or a list of tiers (each a kind or a list of kinds)."""
    if isinstance(v, str) and v in ("ladder", "cost"):
        return v
    if isinstance(v, list | tuple) and v:
        tiers = tuple(tuple(t) if isinstance(t, list | tuple) else (t,) for t in v)
        kinds = [k for t in tiers for k in t]
        names = {*ACTION_KINDS, *(f"purchase:{t.value}" for t in PurchaseTier)}
        bad = [k for k in kinds if not isinstance(k, str) or k not in names]
        if bad:
            raise ValueError(f"unknown action kind {bad[0]!r}: use {', '.join(sorted(names))}")
        if len(set(kinds)) != len(kinds):
            raise ValueError("an action kind is listed twice")
        return tiers
    raise ValueError(f"must be 'ladder', 'cost' or a list of tiers of action kinds (got {v!r})")


ActionOrder = Annotated[str | tuple[tuple[str, ...], ...], PlainValidator(_action_order)]


class BalancingParameters(BalRow):
    """Manifest ``parameters.balancing`` (all optional)."""

    surplus_to_waiting_list: bool = True
    #: the order of actions (policy): ``ladder`` (the strict ladder, default), ``cost`` (one
    #: stage: least total cost, ladder as a small tie-break) or an explicit list of tiers
    action_order: ActionOrder = "ladder"
    #: SEK per ladder unit added to the cost stage in ``cost`` mode (the tie-break)
    cost_tiebreak: float = Field(default=1e-3, ge=0)
    #: goals, purchases, postponements and unmet need in whole activities: ``round`` (the
    #: proven plan rounded by rule, every row kept: pks_opt.balancing.whole, the default),
    #: ``integer`` (integer variables: too slow, see docs/balancing.md) or ``none``
    whole_activities: Literal["round", "integer", "none"] = "round"
    ladder_shift_in_time: float = Field(default=0.5, gt=0)
    ladder_move: float = Field(default=1.0, gt=0)
    ladder_increase: float = Field(default=10.0, gt=0)
    ladder_purchase: float = Field(default=100.0, gt=0)
    ladder_postpone: float = Field(default=1000.0, gt=0)
    levelling_mean_weight: float = Field(default=0.01, ge=0)
    stage_tolerance: float = Field(default=1e-7, ge=0)
    mip_gap: float = Field(default=1e-4, ge=0)
    #: R4: what of a donor's backlog (need carried in from the previous period) it keeps
    donor_backlog: DonorBacklog = DonorBacklog.forecast


DEFAULT_PRIORITY = PriorityRule(priority=1, unmet_weight=1.0)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class BalancingData:
    """Everything the balancing MILP needs; immutable.

    ``usage[(v, o)]`` lists what one activity of ``o`` produced at ``v`` consumes, for every
    unit ``v`` that may produce ``o`` (home units and capable units).
    """

    name: str
    figures: NeedFigures
    usage: Mapping[tuple[str, str], tuple[Usage, ...]]
    capabilities: tuple[Capability, ...] = ()
    moves: tuple[Move, ...] = ()
    time_shifts: tuple[TimeShift, ...] = ()
    increases: tuple[Increase, ...] = ()
    purchases: tuple[Purchase, ...] = ()
    priorities: Mapping[int, PriorityRule] = field(default_factory=dict)
    budgets: Mapping[str, Budget] = field(default_factory=dict)
    waiting_lists: tuple[WaitingList, ...] = ()
    params: BalancingParameters = field(default_factory=BalancingParameters)
    #: display only (charts): unit id → name, resource id → measure ("hours", "bed-days")
    unit_names: Mapping[str, str] = field(default_factory=dict)
    resource_measures: Mapping[str, str] = field(default_factory=dict)
    #: (R12) feedback from the tactical level: (unit, planning object, period) → the most the
    #: unit can produce of the object in the period (``pks balance --feedback``)
    production_caps: Mapping[tuple[str, str, str], float] = field(default_factory=dict)
    #: (R13) (unit, resource, period) → capacity after actions the unit keeps at least: the
    #: capacity its plan's answer was made on
    capacity_floors: Mapping[tuple[str, str, str], float] = field(default_factory=dict)
    #: (R0) periods already done (``pks balance --actuals``): their capacity rows do not bind
    #: and every decision in them is fixed (``fixed``: (family, key) → value, as in the values
    #: of a solve: x, buy, d, s, q, m, y, z)
    past_periods: frozenset[str] = frozenset()
    fixed: Mapping[tuple[str, Any], float] = field(default_factory=dict)
    #: the tables a reader read the rows from (name → table), so an error names the file, row
    #: and field; not kept, so a copy (``dataclasses.replace``) names rows as built in code
    sources: InitVar[Mapping[str, Table] | None] = None

    def __post_init__(self, sources: Mapping[str, Table] | None) -> None:
        """Check the tables against the figures, built in code or read (:func:`check_balancing`)."""
        check_balancing(self, sources or {})

    def rule(self, planning_object: str) -> PriorityRule:
        """Give the priority rule of an object.

        The default: weight 1, no postponement; an acute object is never postponed.
        """
        prio = self.figures.priority.get(planning_object, 1)
        rule = self.priorities.get(prio, DEFAULT_PRIORITY)
        if planning_object in self.figures.acute and rule.may_postpone:
            return rule.model_copy(update={"may_postpone": False, "max_postpone_periods": 0})
        return rule

    @functools.cached_property
    def acute_split(self) -> dict[tuple[str, str, str], tuple[float, float, float]]:
        """(h, o, p) of an acute object → (level per day c, reserved, peak).

        See :func:`acute_split`.
        """
        return {
            key: acute_split(n, self.figures.period_days.get(key[2], 0.0), self.acute_share)
            for key, n in self.figures.production_need.items()
            if key[1] in self.figures.acute and n > 0
        }

    @property
    def acute_share(self) -> float:
        """Share of days the acute capacity must cover (``acute_share``, seed 0.85)."""
        return self.figures.acute_share

    @functools.cached_property
    def need(self) -> dict[tuple[str, str, str], float]:
        """(h, o, p) → the need the balance plans (R1).

        The production need; for an acute object the capacity reserved to the dimensioning level
        (the rest is the peak plan); in whole activities (nearest) when ``whole_activities``.
        """
        out: dict[tuple[str, str, str], float] = {}
        for key, n in self.figures.production_need.items():
            if key in self.acute_split:
                n = self.acute_split[key][1]
            out[key] = float(round(n)) if self.params.whole_activities != "none" else n
        return out

    @functools.cached_property
    def forecast_backlog(self) -> dict[tuple[str, str, str], float]:
        """(unit, resource, period) → the unit's forecast backlog: see :func:`forecast_backlog`."""
        return forecast_backlog(self)

    def spare(self, key: tuple[str, str, str]) -> float:
        """(R4) What a donor can give: available − own capacity need (− forecast backlog)."""
        fig = self.figures
        spare = fig.available.get(key, 0.0) - fig.capacity_need.get(key, 0.0)
        if self.params.donor_backlog is DonorBacklog.forecast:
            spare -= self.forecast_backlog.get(key, 0.0)
        return max(0.0, spare)

    def producers(self) -> dict[str, tuple[str, ...]]:
        """Planning object → units capable of producing it for other units."""
        out: dict[str, list[str]] = {}
        for c in self.capabilities:
            out.setdefault(c.planning_object, []).append(c.unit)
        return {o: tuple(us) for o, us in out.items()}


def forecast_backlog(data: BalancingData) -> dict[tuple[str, str, str], float]:
    """Work out the backlog each unit's own forecast carries into a period, per resource (R4).

    Per (unit, resource), period by period, the unit serves the load the need level forecasts
    on it (``capacity_need``: its own need, and for a support unit the other units' need
    that uses it) with its own available capacity: need that may not wait first, then need
    carried in from earlier periods (oldest first, then most urgent), then this period's need
    that may wait. What may wait, is not produced and is still within its priority's
    postponement window (R2) is carried into the next period: that is the next period's
    backlog, the capacity the unit keeps for it. Need whose window has run out is not carried
    (the unit may no longer produce it) and so reserves nothing. Only keys with a backlog are
    returned.
    """
    fig = data.figures
    periods = fig.periods
    pidx = {p: i for i, p in enumerate(periods)}
    # (unit, resource) -> period index -> (priority, window) -> load of need that may wait
    fresh: dict[tuple[str, str], dict[int, dict[tuple[int, int], float]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(float))
    )
    for (h, o, p), n in fig.production_need.items():
        rule = data.rule(o)
        if n <= 0 or p not in pidx or not rule.may_postpone:
            continue
        klass = (rule.priority, rule.max_postpone_periods)
        for us in data.usage.get((h, o), ()):
            if us.amount:
                fresh[(us.at_unit, us.resource)][pidx[p]][klass] += us.amount * n
    eps = 1e-9
    out: dict[tuple[str, str, str], float] = {}
    for (u, r), by_period in sorted(fresh.items()):
        queue: list[tuple[int, int, int, float]] = []  # (age, priority, window, load) carried in
        for i, p in enumerate(periods):
            new = by_period.get(i, {})
            waits = sum(new.values())
            must = max(0.0, fig.capacity_need.get((u, r, p), 0.0) - waits)
            cap = max(0.0, fig.available.get((u, r, p), 0.0) - must)
            order = sorted(queue, key=lambda q: (-q[0], q[1]))
            order += [(0, prio, window, load) for (prio, window), load in sorted(new.items())]
            left: list[tuple[int, int, int, float]] = []
            for age, prio, window, load in order:
                take = min(cap, load)
                cap -= take
                if load - take > eps:
                    left.append((age, prio, window, load - take))
            queue = [(age + 1, prio, w, load) for age, prio, w, load in left if age + 1 <= w]
            backlog = sum(q[3] for q in queue)
            if i + 1 < len(periods) and backlog > eps:
                out[(u, r, periods[i + 1])] = backlog
    return out


def acute_split(need: float, days: float, share: float) -> tuple[float, float, float]:
    """Dimension acute need by the 85 % rule: (level c per day, reserved, peak) activities.

    Arrivals per day are Poisson with mean λ = need / days (acute care comes when it comes).
    The dimensioning level c is the smallest count with P(X ≤ c) ≥ ``share``: capacity for c
    arrivals a day covers ``share`` of the days. The balance reserves capacity for what arrives
    within the level, days × E[min(X, c)]; what arrives above it, days × E[(X − c)⁺] (so
    reserved + peak = need), is the **peak plan** (the days above the level: extra beds,
    overtime, transfers), with this expected size, never "unmet". Without days: all reserved.
    """
    if days <= 0 or need <= 0:
        return 0.0, max(0.0, need), 0.0
    lam = need / days
    level, cdf, within = 0, 0.0, 0.0
    while True:  # E[min(X, c)] = Σ_{k<c} P(X > k)
        cdf += math.exp(-lam + level * math.log(lam) - math.lgamma(level + 1))
        if cdf >= share - 1e-12:
            break
        within += 1.0 - cdf
        level += 1
    reserved = min(need, days * within)
    return float(level), reserved, need - reserved


# --------------------------------------------------------------------------- reading


def read_balancing(raw: RawInstance) -> BalancingData:
    """Read a strategic instance: need side via :mod:`pks_opt.capacity_need`, then our tables."""
    from pks_opt.capacity_need import compute_figures, read_need, usage_for

    need_data = read_need(raw)
    figures = compute_figures(need_data)
    data = read_balancing_tables(raw, figures, lambda unit, obj: usage_for(need_data, unit, obj))
    return dataclasses.replace(
        data,
        unit_names={u.unit: u.name for u in need_data.units if u.name},
        resource_measures={r.resource: r.measure for r in need_data.resources if r.measure},
    )


def read_balancing_tables(
    raw: RawInstance, figures: NeedFigures, usage_fn: UsageFn
) -> BalancingData:
    """Parse the balancing-side tables; :class:`BalancingData` checks them against ``figures``."""
    tables: dict[str, Table] = {}
    rows: dict[str, tuple[Any, ...]] = {}
    for name, (model, key) in TABLES.items():
        if raw.has(name):
            tables[name] = raw.table(name)
            rows[name] = parse_rows(tables[name], model)
            if key:  # a table kept as a mapping: its rows must not share the key
                check_unique(rows[name], tables[name], key)
    data = BalancingData(
        name=raw.name,
        figures=figures,
        usage=figures.usage,
        capabilities=rows.get("capabilities", ()),
        moves=rows.get("moves", ()),
        time_shifts=rows.get("time_shifts", ()),
        increases=rows.get("increases", ()),
        purchases=rows.get("purchases", ()),
        priorities={p.priority: p for p in rows.get("priorities", ())},
        budgets={b.unit: b for b in rows.get("budgets", ())},
        waiting_lists=rows.get("waiting_lists", ()),
        params=_parameters(raw),
        sources=tables,
    )
    usage = _usage(figures, data.capabilities, data.waiting_lists, usage_fn)
    return dataclasses.replace(data, usage=usage)


#: every balancing-side table (all optional) in reading order: its row model, and for the two
#: kept as a mapping (by unit, by priority) the key its rows must not repeat
TABLES: dict[str, tuple[type[BalRow], str | None]] = {
    "budgets": (Budget, "unit"),
    "capabilities": (Capability, None),
    "moves": (Move, None),
    "time_shifts": (TimeShift, None),
    "increases": (Increase, None),
    "purchases": (Purchase, None),
    "priorities": (PriorityRule, "priority"),
    "waiting_lists": (WaitingList, None),
}

#: per table kept as rows: the columns unique together, what a row is called, and its
#: references (→ u/b/r/o: unit, unit or TOTAL, resource, planning object)
TABLE_CHECKS: dict[str, tuple[tuple[str, ...], str | None, dict[str, str]]] = {
    "budgets": ((), None, {"unit": "b"}),
    "capabilities": (
        ("unit", "planning_object"),
        "capability",
        {"unit": "u", "planning_object": "o"},
    ),
    "moves": (
        ("donor", "receiver", "resource"),
        "move",
        {"donor": "u", "receiver": "u", "resource": "r"},
    ),
    "time_shifts": (("unit", "resource"), "time shift", {"unit": "u", "resource": "r"}),
    "increases": (("unit", "resource", "kind"), "increase", {"unit": "u", "resource": "r"}),
    "purchases": (
        ("planning_object", "tier", "provider"),
        "purchase option",
        {"planning_object": "o"},
    ),
    "waiting_lists": (
        ("unit", "planning_object"),
        "waiting list",
        {"unit": "u", "planning_object": "o"},
    ),
}


def check_balancing(data: BalancingData, sources: Mapping[str, Table]) -> None:
    """Check the balancing tables against the need figures, in the order a reader reports them.

    Per table: its key unique, every unit, resource and planning object it names known to
    ``data.figures`` (a budget may name ``TOTAL``); the mappings filed under their rows' own
    key; then each budget below its base cost reachable by the unit's reductions.

    Raises
    ------
    InputError
        The first problem, at ``sources[table]`` (file, row, field) when the rows were read,
        else at ``BalancingData.<table> row <index>``.
    """
    fig = data.figures
    known: dict[str, tuple[set[str], str]] = {
        "u": (set(fig.units), "unit"),
        "b": (set(fig.units) | {TOTAL}, "unit"),
        "r": (set(fig.resources), "resource"),
        "o": (set(fig.planning_objects), "planning object"),
    }
    _check_keys(data)

    def where(name: str, rows: tuple[Any, ...]) -> Table:
        return sources.get(name) or in_code("BalancingData", name, len(rows))

    for name, (unique, what, refs) in TABLE_CHECKS.items():
        rows = tuple(data.budgets.values()) if name == "budgets" else getattr(data, name)
        if not rows:
            continue
        table = where(name, rows)
        if unique:
            check_unique(rows, table, *unique, what=what)
        for field_, kind in refs.items():
            check_ref(rows, table, field_, *known[kind])
    if data.budgets:
        _check_budgets(data, where("budgets", tuple(data.budgets.values())))


def _check_keys(data: BalancingData) -> None:
    """Budgets and priorities built in code are filed under their own unit and priority."""
    for unit, b in data.budgets.items():
        if b.unit != unit:
            raise InputError(f"the budget of unit '{b.unit}' is filed under '{unit}'")
    for prio, rule in data.priorities.items():
        if rule.priority != prio:
            raise InputError(f"the rule of priority {rule.priority} is filed under {prio}")


def _parameters(raw: RawInstance) -> BalancingParameters:
    block = raw.parameters.get(PARAMETERS_KEY) or {}
    if not isinstance(block, Mapping):
        raise InputError(
            "must be a mapping", file=raw.manifest_where, field=f"parameters.{PARAMETERS_KEY}"
        )
    bad = bool_for_number(BalancingParameters, block)
    if bad is not None:
        raise InputError(
            f"must be a number, not a true/false value (got {block[bad]!r})",
            file=raw.manifest_where,
            field=f"parameters.{PARAMETERS_KEY}.{bad}",
        )
    try:
        return BalancingParameters.model_validate(dict(block))
    except ValidationError as exc:
        err = validation_to_input_error(exc, raw.manifest_where, None)
        raise InputError(
            err.message, file=err.file, field=f"parameters.{PARAMETERS_KEY}.{err.field}"
        ) from None


def _usage(
    figures: NeedFigures,
    capabilities: Iterable[Capability],
    waiting: Iterable[WaitingList],
    usage_fn: UsageFn,
) -> dict[tuple[str, str], tuple[Usage, ...]]:
    usage: dict[tuple[str, str], tuple[Usage, ...]] = dict(figures.usage)
    wanted = [(c.unit, c.planning_object) for c in capabilities]
    wanted += [(w.unit, w.planning_object) for w in waiting]
    wanted += [(h, o) for (h, o, _p) in figures.production_need]
    for key in wanted:
        if key not in usage:
            usage[key] = tuple(usage_fn(*key))
    return usage


def _check_budgets(data: BalancingData, table: Table) -> None:
    """Refuse a budget below its base cost that the unit's reductions cannot save.

    A base cost above its budget is a savings requirement: the unit's ``reduction`` rows must
    be able to save the gap (TOTAL: all units' reductions); else say so at once.
    """
    periods = data.figures.periods
    saving: dict[str, float] = defaultdict(float)
    for inc in data.increases:
        if inc.kind is IncreaseKind.reduction:
            open_periods = max(0, len(periods) - inc.lead_periods)
            saving[inc.unit] += inc.cost_per_unit * inc.max_per_period * open_periods
    for i, b in enumerate(data.budgets.values()):
        gap = b.base_cost - b.budget
        can = sum(saving.values()) if b.unit == TOTAL else saving.get(b.unit, 0.0)
        if gap > can + 1e-6:
            how = (
                f"its reductions save at most {can:,.0f} SEK".replace(",", " ")
                if can
                else "add savings options: rows of kind 'reduction' in increases.csv "
                "(cost_per_unit = the saving per unit taken away)"
            )
            raise InputError(
                f"base_cost {b.base_cost:g} exceeds budget {b.budget:g} by {gap:,.0f} SEK".replace(
                    ",", " "
                )
                + f"; {how}",
                file=table.where,
                row=table.row_number(i),
                field="budget",
            )


def build_data(
    figures: NeedFigures,
    *,
    name: str = "instance",
    usage: Mapping[tuple[str, str], tuple[Usage, ...]] | None = None,
    **tables: Any,
) -> BalancingData:
    """Assemble :class:`BalancingData` in code (tests, benchmarks); rows given as models.

    ``priorities`` and ``budgets`` may be given as sequences of rows.
    """
    prios = tables.pop("priorities", ())
    budgets = tables.pop("budgets", ())
    params = tables.pop("params", BalancingParameters())
    full_usage = dict(figures.usage)
    full_usage.update(usage or {})
    rows: dict[str, Any] = {k: tuple(v) for k, v in tables.items()}
    return BalancingData(
        name=name,
        figures=figures,
        usage=full_usage,
        priorities={p.priority: p for p in prios},
        budgets={b.unit: b for b in budgets},
        params=params,
        **rows,
    )
