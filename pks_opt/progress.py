"""Progress of a solve for whoever runs it: the command line prints it to stderr.

A level never prints. :func:`pks_opt.stages.run_stages` reports each stage as it starts and
ends to the *sink* of the current context (a :class:`contextvars.ContextVar`, so a library
caller, a thread or a batch worker sees nothing unless it asks); ``pks`` commands install a
sink that writes to stderr unless ``--json`` or ``--quiet``.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from pks_opt.result import SolveStatus, StageReport

Sink = Callable[[str], None]
_sink: ContextVar[Sink | None] = ContextVar("pks_progress_sink", default=None)
_started: ContextVar[float | None] = ContextVar("pks_progress_started", default=None)


@contextlib.contextmanager
def to(sink: Sink | None) -> Iterator[None]:
    """Send progress lines to ``sink`` (None: nowhere) inside the block."""
    token = _sink.set(sink)
    start = _started.set(time.perf_counter())
    try:
        yield
    finally:
        _sink.reset(token)
        _started.reset(start)


def _elapsed() -> float:
    t0 = _started.get()
    return 0.0 if t0 is None else time.perf_counter() - t0


def _num(v: float) -> str:
    return f"{v:,.0f}".replace(",", " ") if abs(v) >= 1000 else f"{v:.4g}"


def stage_started(name: str, budget_s: float | None) -> None:
    """Report a stage's start and its time budget to the progress sink, if any."""
    sink = _sink.get()
    if sink is not None:
        limit = (
            "" if budget_s is None or not math.isfinite(budget_s) else f", up to {budget_s:.0f} s"
        )
        sink(f"  stage {name}: started ({_elapsed():.1f} s{limit})")


def stage_done(report: StageReport) -> None:
    """Report a stage's end: value, proven or not, and the bound."""
    sink = _sink.get()
    if sink is None:
        return
    if report.status.has_solution:
        proven = (
            "proven best"
            if report.status is SolveStatus.OPTIMAL
            else (
                "best found, not proven"
                + (
                    f"; cannot be better than {_num(report.bound)}"
                    if math.isfinite(report.bound)
                    else ""
                )
            )
        )
        sink(f"  stage {report.name}: {_num(report.objective)} ({proven}) after {_elapsed():.1f} s")
    else:
        sink(
            f"  stage {report.name}: no solution ({report.status.value.lower()}) after "
            f"{_elapsed():.1f} s"
        )
