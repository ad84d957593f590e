"""Exact pricing for column generation by a resource-constrained shortest path (numba).

One employee's schedules are the paths through a layered graph: one layer per day, a node per
(day, state), state = (day off or the shift worked, length of the current run). The run length
enforces the consecutive rules (FORMAT.md §3 (5)–(7)); forbidden successions and fixed days
off are moves left out. The other rules are resources:

* minutes worked (in units of the gcd of the shift lengths): both a minimum and a maximum
  apply, so labels are compared only at EQUAL minutes;
* weekends worked (≤ dominates), only when the limit can bind;
* the count of each tracked *limiting* shift type (≤ dominates).

1. A backward DP over (day, state, minutes) gives the least completion cost of every label
   under all rules but the weekend and per-type limits; those two are priced in by Lagrangian
   multipliers (a few subgradient steps, warm-started from the last call). Its value is a
   proven lower bound; its least path (ties broken towards room under the limits) is often
   feasible and then optimal: no labels at all. When no step's least path keeps the limits,
   the best relaxation is walked forwards never past a limit (:func:`_capped`, with
   :func:`_most_work` keeping enough weekdays for the minimum minutes): a schedule that keeps
   every rule and bounds the label setting (on 364 days most employees need it). Only then:
   used at every step, its schedules tie with the label setting's optima but dive worse
   (Instance14: dived roster 1 390 instead of 1 278, Instance8 1 410 instead of 1 307).
2. Otherwise label setting (Pareto dominance per (state, minutes)) runs forward, each label
   pruned when its cost plus that completion bound exceeds a threshold: first the bound + 4,
   then 8 times wider, up to the best schedule known (the last call's, re-costed). The types
   with a positive multiplier are tracked from the start, others when the optimum breaks
   their limit (decremental state-space relaxation).

Costs stay float64 (no rounding of the duals). The result is exact, except when label setting
needs more than ``max_labels`` labels: then the best schedule known is returned with the
Lagrangian bound as its proven ``rc_bound`` (``how == "gave up"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from pks_opt.constants import DAYS_PER_WEEK
from pks_opt.formats.curtois import SAT, CurtoisInstance, weekend_pairs
from pks_opt.rostering.colgen import Column, PriceResult, own_cost

#: the fields of the ``rules`` vector handed to the compiled code
_OCAP, _CMAX, _CMIN, _OMIN, _MIN_U, _MAX_U, _MAX_W, _COUNT_W = range(8)
#: a label is kept while its cost plus the least completion cost is at most the best known
#: schedule's cost plus this (float rounding of the two sums)
_TIE = 1e-6
#: subgradient steps of the Lagrangian bound at most
_LAGRANGE_STEPS = 12
#: label setting first looks for a schedule within this of the Lagrangian bound, then within
#: this many times more, … up to the best schedule known
_FIRST_GAP = 4.0
_GAP_GROWTH = 8.0


@njit(cache=True, nogil=True)
def _moves(d: int, s: int, rules: Any, day: Any, follow_ok: Any, out: Any) -> int:
    """List the moves into day ``d`` from state ``s`` on day ``d - 1``.

    Under the run, succession and fixed-day-off rules: ``out[k]`` = (next state, shift or -1
    for a day off).

    A state is ``r - 1`` for a day off ending a run of ``r`` days off (capped at ocap) and
    ``ocap + t * cmax + r - 1`` for shift ``t`` ending a run of ``r`` worked days.
    """
    ocap, cmax, cmin, omin = rules[_OCAP], rules[_CMAX], rules[_CMIN], rules[_OMIN]
    worked = s >= ocap
    r = (s - ocap) % cmax + 1 if worked else s + 1
    k = 0
    if not worked or r >= cmin or r == d:  # r == d: a worked run from day 0 (exempt)
        out[0, 0] = 0 if worked else min(r + 1, ocap) - 1
        out[0, 1] = -1
        k = 1
    if day[d, 0] or (worked and r >= cmax) or (not worked and r < omin):
        return k
    nr = r + 1 if worked else 1
    last = (s - ocap) // cmax
    for t in range(follow_ok.shape[0]):
        if not worked or follow_ok[last, t]:
            out[k, 0] = ocap + t * cmax + nr - 1
            out[k, 1] = t
            k += 1
    return k


@njit(cache=True, nogil=True)
def _completion(cost: Any, day: Any, rules: Any, follow_ok: Any, len_u: Any, lam_w: float) -> Any:
    """Compute the completion costs ``f[d, s, m]`` backwards over the days.

    ``f[d, s, m]`` is the least cost of days ``d + 1`` … ``h - 1`` after state ``s`` on day
    ``d`` with ``m`` minute units worked so far, under every rule but the weekend and per-type
    limits (inf: the minutes cannot end in [min, max]); each weekend worked costs ``lam_w``
    more.
    """
    h, nt = cost.shape
    ocap, cmax, min_u, max_u = rules[_OCAP], rules[_CMAX], rules[_MIN_U], rules[_MAX_U]
    ns = ocap + nt * cmax
    f = np.full((h, ns, max_u + 1), np.inf)
    f[h - 1, :, min_u:] = 0.0
    mv = np.empty((nt + 1, 2), np.int64)
    top = len_u.max() if nt > 0 else 0
    for d in range(h - 2, -1, -1):
        # only minutes that day d can have and that can still reach min_u (others stay inf)
        lo = max(0, min_u - (h - 1 - d) * top)
        hi = min(max_u, (d + 1) * top)
        for s in range(ns):
            k = _moves(d + 1, s, rules, day, follow_ok, mv)
            opens = day[d + 1, 1] or (day[d + 1, 2] and s < ocap)
            pen = lam_w if rules[_COUNT_W] and opens else 0.0
            for m in range(lo, hi + 1):
                best = np.inf
                for q in range(k):
                    t = mv[q, 1]
                    if t < 0:
                        v = f[d + 1, mv[q, 0], m]
                    elif m + len_u[t] <= max_u:
                        v = pen + cost[d + 1, t] + f[d + 1, mv[q, 0], m + len_u[t]]
                    else:
                        continue
                    best = min(best, v)
                f[d, s, m] = best
    return f


@njit(cache=True, nogil=True)
def _take(
    move: Any, d: int, opens: bool, len_u: Any, shifts: Any, used: Any, m: int, w: int
) -> Any:
    """Take ``move`` = (next state, shift or -1) on day ``d`` of a walk.

    Records the shift in ``shifts`` and its count in ``used``; returns (state, minute units,
    weekends) after it (``opens``: a worked day there opens a weekend).
    """
    t = move[1]
    shifts[d] = t
    if t >= 0:
        m += len_u[t]
        used[t] += 1
        w += 1 if opens else 0
    return move[0], m, w


@njit(cache=True, nogil=True)
def _greedy(
    cost: Any, day: Any, rules: Any, follow_ok: Any, len_u: Any, f: Any, lam_w: float, caps: Any
) -> Any:
    """Follow a least-cost path of the relaxation ``f``.

    ``f`` is made by :func:`_completion` with ``cost`` and ``lam_w``; returns (the path's cost
    with the weekend charges, shift index by day, -1: off).

    Among moves that stay on a least-cost path it prefers the one that keeps the most room
    under the weekend and per-type limits (``caps``: -1 when none), so that with ties the
    path found also keeps the rules the relaxation leaves out.
    """
    h, nt = cost.shape
    mv = np.empty((nt + 1, 2), np.int64)
    shifts = np.full(h, -1, np.int64)
    used = np.zeros(nt, np.int64)
    s, m, root, weekends = rules[_OCAP] - 1, 0, np.inf, 0
    for d in range(h):
        k = _moves(d, s, rules, day, follow_ok, mv)
        opens = rules[_COUNT_W] and (day[d, 1] or (day[d, 2] and s < rules[_OCAP]))
        val = np.full(k, np.inf)
        for q in range(k):
            t = mv[q, 1]
            m2 = m if t < 0 else m + len_u[t]
            if m2 <= rules[_MAX_U]:
                val[q] = f[d, mv[q, 0], m2]
                if t >= 0:
                    val[q] += cost[d, t] + (lam_w if opens else 0.0)
        best = val.min() if k > 0 else np.inf
        if best == np.inf:
            return np.inf, shifts
        pick, room = -1, -(1 << 40)
        for q in range(k):
            if val[q] <= best + 1e-9 * (1.0 + abs(best)):
                t = mv[q, 1]
                r = 1 << 30
                if t >= 0:
                    r = min(r, rules[_MAX_W] - weekends - 1 if opens else r)
                    r = min(r, caps[t] - used[t] - 1 if caps[t] >= 0 else r)
                if r > room:
                    pick, room = q, r
        if d == 0:
            root = best
        s, m, weekends = _take(mv[pick], d, opens, len_u, shifts, used, m, weekends)
    return root, shifts


@njit(cache=True, nogil=True)
def _most_work(day: Any, rules: Any, follow_ok: Any, len_u: Any, h: int) -> Any:
    """Compute ``g[d, s, w]``: the most minute units days ``d + 1`` … ``h - 1`` can add.

    After state ``s`` on day ``d``, with ``w`` weekends still allowed (one slot when the
    weekend limit cannot bind), under the run, succession and fixed-day-off rules; -1 when
    no way on keeps them. Independent of the costs: :func:`_capped` uses it to keep enough
    weekdays for the minimum minutes.
    """
    nt = len_u.shape[0]
    ocap, cmax = rules[_OCAP], rules[_CMAX]
    ns = ocap + nt * cmax
    nw = rules[_MAX_W] + 1 if rules[_COUNT_W] else 1
    g = np.full((h, ns, nw), -1, np.int64)
    g[h - 1] = 0
    mv = np.empty((nt + 1, 2), np.int64)
    for d in range(h - 2, -1, -1):
        for s in range(ns):
            k = _moves(d + 1, s, rules, day, follow_ok, mv)
            opens = rules[_COUNT_W] and (day[d + 1, 1] or (day[d + 1, 2] and s < ocap))
            for w in range(nw):
                best = -1
                for q in range(k):
                    t = mv[q, 1]
                    if t < 0:
                        v = g[d + 1, mv[q, 0], w]
                    elif opens and w == 0:
                        continue
                    else:
                        v = g[d + 1, mv[q, 0], w - 1 if opens else w]
                        v = v + len_u[t] if v >= 0 else -1
                    best = max(best, v)
                g[d, s, w] = best
    return g


@njit(cache=True, nogil=True)
def _capped(
    cost: Any,
    day: Any,
    rules: Any,
    follow_ok: Any,
    len_u: Any,
    f: Any,
    lam_w: float,
    caps: Any,
    most: Any,
) -> Any:
    """Follow the relaxation ``f`` forwards, never past the weekend and per-type limits.

    Like :func:`_greedy`, but a move that would break a limit (``caps``: -1 when none) is left
    out, and the least-valued move left is taken even when it leaves the least-cost path: a
    schedule that keeps every rule, found in one pass, often near the optimum (the
    Lagrangian costs in ``cost`` and ``lam_w`` steer it away from the scarce types). Returns
    the shift index by day (-1: off) and whether it got through (False: every move left
    broke a limit or had no completion).
    """
    h, nt = cost.shape
    mv = np.empty((nt + 1, 2), np.int64)
    shifts = np.full(h, -1, np.int64)
    used = np.zeros(nt, np.int64)
    s, m, weekends = rules[_OCAP] - 1, 0, 0
    for d in range(h):
        k = _moves(d, s, rules, day, follow_ok, mv)
        opens = rules[_COUNT_W] and (day[d, 1] or (day[d, 2] and s < rules[_OCAP]))
        pick, best = -1, np.inf
        for q in range(k):
            t = mv[q, 1]
            m2 = m if t < 0 else m + len_u[t]
            if m2 > rules[_MAX_U]:
                continue
            if t >= 0 and caps[t] >= 0 and used[t] >= caps[t]:
                continue
            left = (
                rules[_MAX_W] - weekends - (1 if t >= 0 and opens else 0) if rules[_COUNT_W] else 0
            )
            if (
                left < 0
                or most[d, mv[q, 0], left] < 0
                or m2 + most[d, mv[q, 0], left] < rules[_MIN_U]
            ):
                continue
            v = f[d, mv[q, 0], m2]
            if t >= 0:
                v += cost[d, t] + (lam_w if opens else 0.0)
            if v < best:
                pick, best = q, v
        if pick < 0:
            return shifts, False
        s, m, weekends = _take(mv[pick], d, opens, len_u, shifts, used, m, weekends)
    return shifts, True


@njit(cache=True, nogil=True)
def _extend(
    d: int,
    lab: Any,
    cst: Any,
    cnt: Any,
    cost: Any,
    rules: Any,
    data: Any,
    f: Any,
    ub: float,
    lam: Any,
) -> Any:
    """Extend the labels of day ``d - 1`` by one day, keeping those within ``ub``.

    A label's lower bound is cost + ``f`` − what the Lagrangian charges in ``f`` can take back
    (``lam`` = (weekend multiplier, multiplier of each count slot)).

    ``lab[i]`` = (state, minute units, weekends); ``data`` = (day, follow_ok, len_u, track,
    cap): ``day[d]`` = (fixed day off, Saturday, Sunday) of a counted weekend, ``track[t]``
    the count slot of shift ``t`` (-1: not tracked), ``cap`` the limits of the slots. Returns
    the new labels, their costs, counts and parents (indexes into ``lab``).
    """
    day, follow_ok, len_u, track, cap = data
    ocap, max_u, max_w = rules[_OCAP], rules[_MAX_U], rules[_MAX_W]
    back = lam[0] * max_w
    for j in range(cap.shape[0]):
        back += lam[j + 1] * cap[j]
    n, nt, nl = lab.shape[0], cost.shape[1], cnt.shape[1]
    m = n * (nt + 1)
    o_lab = np.empty((m, 3), np.int64)
    o_cst = np.empty(m, np.float64)
    o_cnt = np.empty((m, nl), np.int16)
    o_par = np.empty(m, np.int64)
    mv = np.empty((nt + 1, 2), np.int64)
    k = 0
    for i in range(n):
        s, mi = lab[i, 0], lab[i, 1]
        w = lab[i, 2]
        used = -back
        for j in range(nl):
            used += lam[j + 1] * cnt[i, j]
        if rules[_COUNT_W] and (day[d, 1] or (day[d, 2] and s < ocap)):
            w += 1  # a worked day that opens a weekend
        for q in range(_moves(d, s, rules, day, follow_ok, mv)):
            t = mv[q, 1]
            mu = mi if t < 0 else mi + len_u[t]
            if mu > max_u:
                continue
            c = cst[i] if t < 0 else cst[i] + cost[d, t]
            j = -1 if t < 0 else track[t]
            lb = c + f[d, mv[q, 0], mu] + used + lam[0] * (lab[i, 2] if t < 0 else w)
            if j >= 0:
                lb += lam[j + 1]
            if lb > ub or lb == np.inf:
                continue
            if (t >= 0 and w > max_w) or (j >= 0 and cnt[i, j] >= cap[j]):
                continue
            o_lab[k, 0] = mv[q, 0]
            o_lab[k, 1] = mu
            o_lab[k, 2] = lab[i, 2] if t < 0 else w
            o_cst[k] = c
            o_cnt[k] = cnt[i]
            if j >= 0:
                o_cnt[k, j] += 1
            o_par[k] = i
            k += 1
    return o_lab[:k], o_cst[:k], o_cnt[:k], o_par[:k]


@njit(cache=True, nogil=True)
def _pareto(lab: Any, cst: Any, cnt: Any, max_u: int) -> Any:
    """Find the labels no other label dominates; return their indexes.

    Dominance: same state and minutes; cost, weekends and every tracked count ≤ (ties keep
    the first).
    """
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


@njit(cache=True, nogil=True)
def _solve(cost: Any, rules: Any, data: Any, f: Any, ub: float, lam: Any, max_labels: int) -> Any:
    """Find the least-cost path over all days among those of cost at most ``ub``.

    Returns (cost, shift index by day (-1: off), labels kept); cost inf when there is none,
    -inf when more than ``max_labels`` labels would be needed (given up).
    """
    h, nl = cost.shape[0], data[4].shape[0]
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
        lab, cst, cnt, par = _extend(d, lab, cst, cnt, cost, rules, data, f, ub, lam)
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
        if g > max_labels:
            return -np.inf, shifts, g
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
    #: the limit of each shift type, -1 when it can never bind
    caps: list[int]
    weekends: int


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
    open_weekends = 0
    for sat, sun in weekend_pairs(h):
        day[sat, 1] = day[sun, 2] = True
        open_weekends += not (day[sat, 0] and day[sun, 0])
    max_u = emp.max_minutes // unit
    rules = np.array(
        [
            max(emp.min_days_off, 1),
            max(cmax, 1),
            emp.min_consecutive,
            emp.min_days_off,
            -(-emp.min_minutes // unit),
            max_u,
            emp.max_weekends,
            int(emp.max_weekends < open_weekends),
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
    return _Rules(types, day, rules, follow_ok, len_u, caps, emp.max_weekends)


@dataclass
class _Lagrange:
    """Hold the best Lagrangian bound found and the best schedule met.

    With the bound: its multipliers and completion costs; the schedule keeps every rule (cost
    ``ub``; None and inf: none met).
    """

    lb: float
    lam_w: float
    lam: Any
    f: Any
    ub: float = math.inf
    path: list[int] | None = None


class DPPricing:
    """Price one employee exactly by dynamic programming.

    Same interface as :class:`pks_opt.rostering.colgen.Pricing` (``limit`` is not needed and
    ignored).
    """

    def __init__(
        self, inst: CurtoisInstance, index: int, workers: int = 1, max_labels: int = 300_000
    ) -> None:
        self.inst, self.index, self.max_labels = inst, index, max_labels
        self.emp = inst.staff[index]
        self.r = _compile_rules(inst, index)
        self.on = {(d, s): w for e, d, s, w in inst.on_requests if e == self.emp.id}
        self.off = {(d, s): w for e, d, s, w in inst.off_requests if e == self.emp.id}
        #: ``[d, t]``: the request penalty of working type ``t`` on day ``d`` beyond the
        #: constant Σ on-request weights (off-request weight − on-request weight)
        self.requests = np.zeros((inst.horizon, len(self.r.types)), np.float64)
        col = {s: j for j, s in enumerate(self.r.types)}
        for (d, s), w in self.off.items():
            if s in col:
                self.requests[d, col[s]] += w
        for (d, s), w in self.on.items():
            if s in col:
                self.requests[d, col[s]] -= w
        #: how the last call ended ("relaxation", "labels" or "bound"), the limiting types
        #: it had to track, and the labels it kept
        self.how = ""
        self.tracked: list[int] = []
        self.labels = 0
        self.lower = -math.inf
        self.last: list[int] | None = None  # the last schedule found: an upper bound next time
        self.lam, self.lam_w = np.zeros(len(self.r.types)), 0.0  # the last multipliers
        self.caps = np.array(self.r.caps, np.int64)
        self.most = _most_work(
            self.r.day, self.r.rules, self.r.follow_ok, self.r.len_u, inst.horizon
        )
        self.hint: dict[tuple[int, str], int] = {}  # colgen.generate sets it; unused here

    def reduced_costs(self, duals: dict[tuple[int, str], float]) -> Any:
        """Compute ``out[d, t]``, the reduced cost of working type ``t`` on day ``d``.

        Beyond the constant Σ on-request weights.
        """
        out = self.requests.copy()
        for j, s in enumerate(self.r.types):
            for d in range(self.inst.horizon):
                out[d, j] -= duals.get((d, s), 0.0)
        return out

    def counts(self, shifts: Any) -> tuple[Any, int]:
        """Shifts of each type and weekends worked in ``shifts`` (shift index by day)."""
        counts = np.bincount(shifts[shifts >= 0], minlength=len(self.r.types))
        weeks = len(shifts) // DAYS_PER_WEEK
        on = shifts[: weeks * DAYS_PER_WEEK] >= 0
        return counts, int(on.reshape(weeks, DAYS_PER_WEEK)[:, SAT:].any(axis=1).sum())

    def lagrange(self, cost: Any) -> _Lagrange | None:
        """Bound the weekend and per-type limits by Lagrangian subgradient steps.

        Returns the bound and the best schedule met that keeps the limits (None: no schedule
        keeps the other rules).
        """
        r = self.r
        limiting = np.array([c >= 0 for c in r.caps], np.bool_)
        caps = np.array([max(c, 0) for c in r.caps], np.float64)
        max_w, count_w = float(r.weekends), bool(r.rules[_COUNT_W])
        lam, lam_w = self.lam.copy(), self.lam_w  # last call's multipliers: duals move slowly
        ub, path = math.inf, None
        if self.last is not None:
            ub, path = float(sum(cost[d, t] for d, t in enumerate(self.last) if t >= 0)), self.last
        best: _Lagrange | None = None
        theta, stall = 1.0, 0
        spare: tuple[float, list[int] | None] = (math.inf, None)
        for _ in range(_LAGRANGE_STEPS):
            f = _completion(cost + lam, r.day, r.rules, r.follow_ok, r.len_u, lam_w)
            val, shifts = _greedy(
                cost + lam, r.day, r.rules, r.follow_ok, r.len_u, f, lam_w, self.caps
            )
            if val == math.inf:
                return None
            lb = float(val) - lam_w * max_w - float(lam @ caps)
            if best is None or lb > best.lb + 1e-9:
                best, stall = _Lagrange(lb, lam_w, lam.copy(), f), 0
            else:
                stall += 1
                theta, stall = (theta / 2, 0) if stall >= 2 else (theta, stall)
            if path is None:  # a fallback walk, kept apart: the steps run as without it
                spare = min(spare, self._walk_capped(cost, lam, lam_w, f), key=lambda p: p[0])
            counts, weekends = self.counts(shifts)
            g = np.where(limiting, counts - caps, 0.0)
            g_w = weekends - max_w if count_w else 0.0
            if (g <= 0).all() and g_w <= 0:
                real = float(sum(cost[d, t] for d, t in enumerate(shifts) if t >= 0))
                if real < ub:
                    ub, path = real, [int(x) for x in shifts]
            if ub - best.lb <= _TIE:
                break
            g = np.where((lam > 0) | (g > 0), g, 0.0)
            g_w = g_w if lam_w > 0 or g_w > 0 else 0.0
            norm = float(g @ g) + g_w * g_w
            if norm == 0:
                break
            target = ub if ub < math.inf else best.lb + max(1.0, 0.05 * abs(best.lb))
            step = theta * (target - lb) / norm
            lam, lam_w = np.maximum(0.0, lam + step * g), max(0.0, lam_w + step * g_w)
        assert best is not None
        if path is None:  # no least path kept the limits: the best capped walk instead
            ub, path = spare
        best.ub, best.path = ub, path
        self.lam, self.lam_w = best.lam, best.lam_w
        return best

    def _walk_capped(
        self, cost: Any, lam: Any, lam_w: float, f: Any
    ) -> tuple[float, list[int] | None]:
        """Walk the relaxation ``f`` capped (:func:`_capped`): (cost, schedule) or (inf, None)."""
        r = self.r
        shifts, ok = _capped(
            cost + lam, r.day, r.rules, r.follow_ok, r.len_u, f, lam_w, self.caps, self.most
        )
        if not ok:
            return math.inf, None
        path = [int(x) for x in shifts]
        return float(sum(cost[d, t] for d, t in enumerate(path) if t >= 0)), path

    def solve(self, cost: Any) -> tuple[float, list[int]]:
        """Least path cost under every rule and its shift index by day (-1: off).

        The Lagrangian bound often closes the gap to a schedule it meets. Otherwise label
        setting runs, pruned by that bound and the best schedule known, with the weekends and
        the types whose multiplier is positive tracked, and more types as they are broken.
        ``self.lower`` is set to a proven lower bound: the optimum itself, unless label
        setting gave up after ``max_labels`` labels (then the Lagrangian bound, and the best
        schedule known is returned; ``self.how == "gave up"``).
        """
        r = self.r
        self.how, self.tracked, self.labels = "lagrange", [], 0
        lag = self.lagrange(cost)
        if lag is None:
            self.lower = math.inf
            return math.inf, []
        self.lower = lag.lb
        if lag.ub - lag.lb <= _TIE and lag.path is not None:
            return lag.ub, list(lag.path)
        self.tracked = [t for t in range(len(r.types)) if lag.lam[t] > 0]
        gap = _FIRST_GAP
        while True:
            # an optimum within lb + gap keeps every label on its way: exact when found
            ub = min(lag.ub, lag.lb + gap)
            best, shifts = self.labels_within(cost, lag, ub)
            if best == -math.inf:
                self.how = "gave up"
                return lag.ub, [] if lag.path is None else list(lag.path)
            if best < math.inf:
                self.how, self.lower = "labels", best
                return best, shifts
            if ub == lag.ub:  # nothing beats the best schedule known: it is optimal
                self.how, self.lower = "bound", lag.ub
                return lag.ub, [] if lag.path is None else list(lag.path)
            gap *= _GAP_GROWTH

    def labels_within(self, cost: Any, lag: _Lagrange, ub: float) -> tuple[float, list[int]]:
        """Set labels for the least schedule of cost at most ``ub`` (inf: none).

        Tracks the per-type limits in ``self.tracked`` and the ones its optimum breaks.
        """
        r = self.r
        tracked = self.tracked
        while True:
            track = np.full(len(r.types), -1, np.int64)
            for j, t in enumerate(tracked):
                track[t] = j
            cap = np.array([r.caps[t] for t in tracked], np.int64)
            data = (r.day, r.follow_ok, r.len_u, track, cap)
            lam = np.array([lag.lam_w] + [lag.lam[t] for t in tracked], np.float64)
            budget = self.max_labels - self.labels
            best, shifts, labels = _solve(cost, r.rules, data, lag.f, ub + _TIE, lam, budget)
            self.labels += int(labels)
            self.tracked = tracked
            if best == math.inf or best == -math.inf:
                return float(best), []
            counts, _w = self.counts(shifts)
            broken = [t for t, c in enumerate(r.caps) if 0 <= c < counts[t]]
            if not broken and best <= ub + _TIE:
                return float(best), [int(x) for x in shifts]
            if not broken:  # labels under the bound can end above it: no schedule within ub
                if best < lag.ub:
                    lag.ub, lag.path = float(best), [int(x) for x in shifts]
                return math.inf, []
            if best > ub + _TIE:  # not even the relaxation has a schedule within ub
                return math.inf, []
            tracked = tracked + broken

    def price(self, duals: dict[tuple[int, str], float], mu: float, limit: float) -> PriceResult:
        """Find the schedule of least reduced cost (own cost − Σ duals of its shifts − mu).

        Exact, unless label setting gives up: then the best schedule known and a proven bound.
        """
        best, path = self.solve(self.reduced_costs(duals))
        if best == math.inf or not path:
            return PriceResult(None, -math.inf, 0.0)
        self.last = path
        shifts = {d: self.r.types[t] for d, t in enumerate(path) if t >= 0}
        col = Column(
            self.index, tuple(sorted(shifts.items())), own_cost(self.inst, self.emp.id, shifts)
        )
        rc = col.cost - sum(duals.get(k, 0.0) for k in col.shifts) - mu
        if self.how == "gave up":
            lower = sum(self.on.values()) + self.lower - mu
            return PriceResult(col, min(lower, rc, 0.0), rc)
        return PriceResult(col, min(rc, 0.0), rc)


def warm_up() -> None:
    """Compile (or load from numba's cache) every jitted function on a one-week instance.

    The first real pricing call then does not pay for it.
    """
    from pks_opt.formats.curtois import CStaff

    emp = CStaff("A", {"D": 7}, 1440, 960, 3, 2, 2, 1)
    inst = CurtoisInstance("warm-up", 7, {"D": 480}, {"D": ()}, (emp,), {"A": (2,)}, (), (), ())
    p = DPPricing(inst, 0)
    cost = p.reduced_costs({(d, "D"): 1.0 for d in range(7)})
    lag = p.lagrange(cost)
    assert lag is not None
    p.labels_within(cost, lag, math.inf)
