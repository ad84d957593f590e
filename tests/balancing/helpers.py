"""Tiny hand-built need figures for the balancing tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pks_opt.capacity_need.figures import NeedFigures, Usage


def figures(
    *,
    units: Iterable[str],
    resources: Iterable[str],
    periods: Iterable[str],
    need: Mapping[tuple[str, str, str], float],
    usage: Mapping[tuple[str, str], Iterable[tuple[str, str, float]]],
    available: Mapping[tuple[str, str, str], float],
    priority: Mapping[str, int] | None = None,
) -> NeedFigures:
    """NeedFigures with capacity_need computed as the home units' own need × usage."""
    units, resources, periods = tuple(units), tuple(resources), tuple(periods)
    use = {k: tuple(Usage(u, r, a) for u, r, a in v) for k, v in usage.items()}
    objects = tuple(sorted({o for (_h, o, _p) in need} | {o for (_u, o) in use}))
    cap_need: dict[tuple[str, str, str], float] = {}
    for (h, o, p), n in need.items():
        for us in use.get((h, o), ()):
            key = (us.at_unit, us.resource, p)
            cap_need[key] = cap_need.get(key, 0.0) + n * us.amount
    return NeedFigures(
        units=units,
        resources=resources,
        periods=periods,
        planning_objects=objects,
        priority=dict(priority or {o: 1 for o in objects}),
        production_need=dict(need),
        usage={k: v for k, v in use.items() if any(h == k[0] and o == k[1] for (h, o, _p) in need)},
        available=dict(available),
        capacity_need=cap_need,
    )
