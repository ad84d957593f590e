"""Exact pricing for column generation by a resource-constrained shortest path (numba).

One employee's schedules are the paths through a layered graph: one layer per day, a node per
(day, state), state = (day off or the shift worked, length of the current run). The run length
enforces the consecutive rules (FORMAT.md §3 (5)–(7)); forbidden successions and fixed days
off are arcs left out. The other rules are resources carried by the labels:

* minutes worked (in units of the gcd of the shift lengths): both a minimum and a maximum
  apply, so two labels are compared only at EQUAL minutes; a label that can no longer reach
  the minimum on the days left (at most ``cmax`` days in a row, no fixed day off) is dropped;
* weekends worked (≤ dominates), only when the limit can bind;
* the count of each tracked shift type (≤ dominates).

Label setting with Pareto dominance per (state, minutes) keeps every label that can still
start a cheaper schedule, so the least-cost label at the end is the optimum: the pricing is
exact, in float64 (no rounding of the duals).

The per-type limits are handled by decremental state-space relaxation: the DP first tracks
none of them; when its optimum breaks the limit of some types, those are tracked and the DP
runs again. Every relaxed optimum is a lower bound; the first optimum that keeps every limit
is the exact optimum (at most one run more than there are limiting types).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from pks_opt.formats.curtois import DAYS_PER_WEEK, CurtoisInstance
from pks_opt.rostering.colgen import Column, PriceResult, own_cost

_SAT, _SUN = 5, 6
#: the fields of the ``rules`` vector handed to the compiled code
_OCAP, _CMAX, _CMIN, _OMIN, _MIN_U, _MAX_U, _MAX_W, _COUNT_W, _MAXLEN_U = range(9)


@njit(cache=True)
def _extend(
    d: int,
    lab: Any,
    cst: Any,
    cnt: Any,
    cost: Any,
    day: Any,
    rules: Any,
    follow_ok: Any,
    len_u: Any,
    track: Any,
    cap: Any,
    maxgo: Any,
) -> Any:
    """All one-day extensions to day ``d`` of the labels of day ``d - 1``.

    ``lab[i]`` = (state, minutes, weekends); a state is ``r - 1`` for a day off ending a run
    of ``r`` days off (capped at ocap) and ``ocap + t * cmax + r - 1`` for shift ``t`` ending
    a run of ``r`` worked days. ``day[d]`` = (fixed day off, Saturday, Sunday) of a counted
    weekend. Returns the new labels, their costs, counts and parents (indexes into ``lab``).
    """
    ocap, cmax, cmin, omin = rules[_OCAP], rules[_CMAX], rules[_CMIN], rules[_OMIN]
    min_u, max_u, max_w, maxlen_u = rules[_MIN_U], rules[_MAX_U], rules[_MAX_W], rules[_MAXLEN_U]
    n, nt, nl = lab.shape[0], cost.shape[1], cnt.shape[1]
    m = n * (nt + 1)
    o_lab = np.empty((m, 3), np.int64)
    o_cst = np.empty(m, np.float64)
    o_cnt = np.empty((m, nl), np.int16)
    o_par = np.empty(m, np.int64)
    k = 0
    for i in range(n):
        s, mi, wi = lab[i, 0], lab[i, 1], lab[i, 2]
        worked = s >= ocap
        r = (s - ocap) % cmax + 1 if worked else s + 1
        # a day off on day d (a worked run ends: it must be long enough unless it began on
        # day 0, r == d)
        if (not worked or r >= cmin or r == d) and mi + maxgo[d, 0] * maxlen_u >= min_u:
            o_lab[k, 0] = 0 if worked else min(r + 1, ocap) - 1
            o_lab[k, 1] = mi
            o_lab[k, 2] = wi
            o_cst[k] = cst[i]
            o_cnt[k] = cnt[i]
            o_par[k] = i
            k += 1
        if day[d, 0] or (worked and r >= cmax) or (not worked and r < omin):
            continue
        nr = r + 1 if worked else 1
        w = wi
        if rules[_COUNT_W] and (day[d, 1] or (day[d, 2] and not worked)):
            w += 1
            if w > max_w:
                continue
        last = (s - ocap) // cmax
        for t in range(nt):
            if worked and not follow_ok[last, t]:
                continue
            mu = mi + len_u[t]
            if mu > max_u or mu + maxgo[d, nr] * maxlen_u < min_u:
                continue
            j = track[t]
            if j >= 0 and cnt[i, j] >= cap[j]:
                continue
            o_lab[k, 0] = ocap + t * cmax + nr - 1
            o_lab[k, 1] = mu
            o_lab[k, 2] = w
            o_cst[k] = cst[i] + cost[d, t]
            o_cnt[k] = cnt[i]
            if j >= 0:
                o_cnt[k, j] += 1
            o_par[k] = i
            k += 1
    return o_lab[:k], o_cst[:k], o_cnt[:k], o_par[:k]


@njit(cache=True)
def _pareto(lab: Any, cst: Any, cnt: Any, max_u: int) -> Any:
    """Indexes of the labels no other label dominates (same state and minutes; cost,
    weekends and every tracked count ≤; ties keep the first)."""
    n, nl = lab.shape[0], cnt.shape[1]
    order = np.argsort(cst, kind="mergesort")
    keys = lab[:, 0] * (max_u + 1) + lab[:, 1]
    nk = 0 if n == 0 else keys.max() + 1
    start = np.zeros(nk + 1, np.int64)
    for i in range(n):
        start[keys[i] + 1] += 1
    for b in range(nk):
        start[b + 1] += start[b]
    pos = start.copy()
    by_key = np.empty(n, np.int64)
    for i in order:  # stable: cheapest first inside each key
        by_key[pos[keys[i]]] = i
        pos[keys[i]] += 1
    keep = np.empty(n, np.int64)
    nkeep = 0
    for b in range(nk):
        first = nkeep
        for q in range(start[b], start[b + 1]):
            i = by_key[q]
            dominated = False
            for p in range(first, nkeep):
                j = keep[p]
                if lab[j, 2] <= lab[i, 2]:
                    dominated = True
                    for c in range(nl):
                        if cnt[j, c] > cnt[i, c]:
                            dominated = False
                            break
                    if dominated:
                        break
            if not dominated:
                keep[nkeep] = i
                nkeep += 1
    return keep[:nkeep]


@njit(cache=True)
def _solve(
    cost: Any,
    day: Any,
    rules: Any,
    follow_ok: Any,
    len_u: Any,
    track: Any,
    cap: Any,
    maxgo: Any,
) -> Any:
    """Least-cost path over all days: (cost, shift index by day (-1: off), labels made)."""
    h, nl = cost.shape[0], cap.shape[0]
    ocap = rules[_OCAP]
    lab = np.zeros((1, 3), np.int64)
    lab[0, 0] = ocap - 1  # the root: a long run of days off before day 0 (no rule applies)
    cst = np.zeros(1, np.float64)
    cnt = np.zeros((1, nl), np.int16)
    gid = np.full(1, -1, np.int64)
    g_par = np.empty(1 << 16, np.int64)
    g_st = np.empty(1 << 16, np.int64)
    g = 0
    shifts = np.full(h, -1, np.int64)
    for d in range(h):
        lab, cst, cnt, par = _extend(
            d, lab, cst, cnt, cost, day, rules, follow_ok, len_u, track, cap, maxgo
        )
        keep = _pareto(lab, cst, cnt, rules[_MAX_U])
        if keep.shape[0] == 0:
            return np.inf, shifts, g
        lab, cst, cnt, par = lab[keep], cst[keep], cnt[keep], par[keep]
        n = keep.shape[0]
        if g + n > g_par.shape[0]:
            size = max(2 * g_par.shape[0], g + n)
            g_par2 = np.empty(size, np.int64)
            g_st2 = np.empty(size, np.int64)
            g_par2[:g] = g_par[:g]
            g_st2[:g] = g_st[:g]
            g_par, g_st = g_par2, g_st2
        g_par[g : g + n] = gid[par]
        g_st[g : g + n] = lab[:, 0]
        gid = np.arange(g, g + n)
        g += n
    best = np.argmin(cst)
    node = gid[best]
    for d in range(h - 1, -1, -1):
        s = g_st[node]
        if s >= ocap:
            shifts[d] = (s - ocap) // rules[_CMAX]
        node = g_par[node]
    return cst[best], shifts, g


@dataclass
class _Rules:
    """One employee's rules as the arrays of the compiled DP."""

    types: list[str]
    day: Any
    rules: Any
    follow_ok: Any
    len_u: Any
    maxgo: Any
    caps: list[int]


def _max_to_go(off: Any, cmax: int) -> Any:
    """``out[d, r]``: most days that can be worked after day ``d`` when day ``d`` ends a run
    of ``r`` worked days (0: a day off), with at most ``cmax`` in a row and no fixed day off
    (a relaxation: the other rules only lower it)."""
    h = off.shape[0]
    out = np.zeros((h, cmax + 1), np.int64)
    for d in range(h - 2, -1, -1):
        for r in range(cmax + 1):
            best = out[d + 1, 0]
            if not off[d + 1] and r < cmax:
                best = max(best, 1 + out[d + 1, r + 1])
            out[d, r] = best
    return out


def _compile_rules(inst: CurtoisInstance, index: int) -> _Rules:
    emp = inst.staff[index]
    h = inst.horizon
    cmax = emp.max_consecutive
    types = [s for s in inst.shift_minutes if emp.max_shifts.get(s, h) > 0] if cmax > 0 else []
    unit = math.gcd(*(inst.shift_minutes[s] for s in types)) if types else 1
    len_u = np.array([inst.shift_minutes[s] // unit for s in types], np.int64)
    day = np.zeros((h, 3), np.bool_)
    for d in inst.days_off.get(emp.id, ()):
        day[d, 0] = True
    weekends = h // DAYS_PER_WEEK
    open_weekends = 0
    for w in range(weekends):
        sat, sun = DAYS_PER_WEEK * w + _SAT, DAYS_PER_WEEK * w + _SUN
        day[sat, 1] = day[sun, 2] = True
        open_weekends += not (day[sat, 0] and day[sun, 0])
    cmax = max(cmax, 1)
    max_u = emp.max_minutes // unit
    rules = np.array(
        [
            max(emp.min_days_off, 1),
            cmax,
            emp.min_consecutive,
            emp.min_days_off,
            -(-emp.min_minutes // unit),
            max_u,
            emp.max_weekends,
            int(emp.max_weekends < open_weekends),
            int(len_u.max()) if types else 0,
        ],
        np.int64,
    )
    follow_ok = np.array(
        [[b not in inst.cannot_follow.get(a, ()) for b in types] for a in types], np.bool_
    ).reshape(len(types), len(types))
    free = h - int(day[:, 0].sum())
    caps = [
        emp.max_shifts.get(s, h) if emp.max_shifts.get(s, h) < min(free, max_u // u) else -1
        for s, u in zip(types, len_u.tolist(), strict=True)
    ]
    return _Rules(types, day, rules, follow_ok, len_u, _max_to_go(day[:, 0], cmax), caps)


class DPPricing:
    """Exact pricing of one employee by dynamic programming: same interface as
    :class:`pks_opt.rostering.colgen.Pricing` (``limit`` is not needed and ignored)."""

    def __init__(self, inst: CurtoisInstance, index: int, workers: int = 1) -> None:
        self.inst, self.index = inst, index
        self.emp = inst.staff[index]
        self.r = _compile_rules(inst, index)
        self.on = {(d, s): w for e, d, s, w in inst.on_requests if e == self.emp.id}
        self.off = {(d, s): w for e, d, s, w in inst.off_requests if e == self.emp.id}
        #: the limiting types the last call had to track, and the labels it made
        self.tracked: list[int] = []
        self.labels = 0
        self.hint: dict[tuple[int, str], int] = {}  # colgen.generate sets it; unused here

    def reduced_costs(self, duals: dict[tuple[int, str], float]) -> Any:
        """``out[d, t]``: the reduced cost of working type ``t`` on day ``d``, beyond the
        constant Σ on-request weights."""
        h, types = self.inst.horizon, self.r.types
        out = np.zeros((h, len(types)), np.float64)
        for j, s in enumerate(types):
            for d in range(h):
                out[d, j] = (
                    self.off.get((d, s), 0) - self.on.get((d, s), 0) - duals.get((d, s), 0.0)
                )
        return out

    def solve(self, cost: Any) -> tuple[float, list[int]]:
        """Least path cost under every rule and its shift index by day (-1: off): the
        relaxation of the per-type limits is tightened until its optimum keeps them."""
        r = self.r
        tracked: list[int] = []
        while True:
            track = np.full(len(r.types), -1, np.int64)
            for j, t in enumerate(tracked):
                track[t] = j
            cap = np.array([r.caps[t] for t in tracked], np.int64)
            best, shifts, labels = _solve(
                cost, r.day, r.rules, r.follow_ok, r.len_u, track, cap, r.maxgo
            )
            self.labels += int(labels)
            if best == math.inf:
                return math.inf, []
            counts = np.bincount(shifts[shifts >= 0], minlength=len(r.types))
            broken = [
                t for t, c in enumerate(r.caps) if c >= 0 and counts[t] > c and t not in tracked
            ]
            if not broken:
                self.tracked = tracked
                return float(best), [int(x) for x in shifts]
            tracked += broken

    def price(self, duals: dict[tuple[int, str], float], mu: float, limit: float) -> PriceResult:
        """The schedule of least reduced cost (own cost − Σ duals of its shifts − mu), exact."""
        self.labels = 0
        best, path = self.solve(self.reduced_costs(duals))
        if best == math.inf:
            return PriceResult(None, -math.inf, 0.0)
        shifts = {d: self.r.types[t] for d, t in enumerate(path) if t >= 0}
        col = Column(
            self.index, tuple(sorted(shifts.items())), own_cost(self.inst, self.emp.id, shifts)
        )
        rc = col.cost - sum(duals.get(k, 0.0) for k in col.shifts) - mu
        return PriceResult(col, min(rc, 0.0), rc)
