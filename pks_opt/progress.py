"""Progress of a solve for whoever runs it: the command line prints it to stderr.

A level never prints. :func:`pks_opt.stages.run_stages` reports each stage as it starts and
ends to the *sink* of the current context (a :class:`contextvars.ContextVar`, so a library
caller, a thread or a batch worker sees nothing unless it asks); ``pks`` commands install a
sink that writes to stderr unless ``--json`` or ``--quiet``.

Inside :func:`live` (a command's solve) a terminal also gets one line that rich redraws
about every 2 s, in plain words: what is being done, the best found so far and how far it can
be from the best possible, and the time used of the limit (``Planning weeks… priority 1,
patients waiting beyond their target: best so far 12, at most 3 % from the best possible,
40 s of 120 s``). A search that finds better solutions while it runs (the roster) reports them
with :func:`best_so_far`; without a terminal (a log, a pipe) the line is printed as a plain line
every 2 s (and on a better solution, at most one every 2 s). Stage names become words
(:func:`stage_words`); no solver names.
"""

from __future__ import annotations

import contextlib
import math
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from pks_opt.result import SolveStatus, StageReport

Sink = Callable[[str], None]
_sink: ContextVar[Sink | None] = ContextVar("pks_progress_sink", default=None)
_started: ContextVar[float | None] = ContextVar("pks_progress_started", default=None)

#: seconds between two redraws of the live line (and between two plain progress lines)
REFRESH_S = 2.0
#: seconds into a block before its first plain progress line (a log)
FIRST_LINE_S = 1.0

#: what a stage minimises, in a planner's words (stages not named here keep their name)
STAGE_WORDS = {
    # balance
    "need": "unmet need",
    "ladder": "actions needed (move, grow, buy, postpone)",
    "cost": "cost in SEK",
    "waiting_list": "waiting-list reduction",
    "moves": "number of capacity moves",
    "levelling": "even use over the periods",
    # activity matrix
    "same-day": "same-day sessions missing",
    "planned": "planned sessions missing (weighted by priority)",
    "continuity": "activities changing room or day",
    "spread": "uneven spread over the week",
    "room-changes": "room changes",
    "room-fit": "rooms used beyond their best fit",
    # roster
    "tier-1 shortfall": "acute minimum short",
    "tier-2 shortfall": "planned patient work short",
    "tier-3 + wishes + fairness + target hours": "other work, wishes, fairness and hours",
    "weighted objective": "penalty points",
    "start": "a first roster, person by person",
}
_PRIORITY_GOALS = re.compile(r"^priority (\d+) goals$")
_PRIORITY = re.compile(r"^priority (\d+)$")


def stage_words(name: str) -> str:
    """Say what a stage minimises.

    ``priority 2`` → ``priority 2: patients waiting beyond their targets, and levelling``.
    """
    if m := _PRIORITY_GOALS.match(name):
        return f"priority {m.group(1)}: visits short of the agreed goals"
    if m := _PRIORITY.match(name):
        return f"priority {m.group(1)}: patients waiting beyond their targets, and levelling"
    return STAGE_WORDS.get(name, name)


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


# ------------------------------------------------------------------------------ live line


class _Live:
    """What the live line shows; updated from any thread (a solver's callback)."""

    def __init__(self, doing: str, limit_s: float | None, sink: Sink, tty: bool) -> None:
        self.doing, self.limit_s, self.sink, self.tty = doing, limit_s, sink, tty
        self.t0 = time.perf_counter()
        self.lock = threading.Lock()
        self.stage = ""
        self.best: float | None = None
        self.bound: float | None = None
        self.printed_at = -math.inf
        self.first_after_s = FIRST_LINE_S

    def update(self, stage: str | None, best: float | None, bound: float | None) -> None:
        with self.lock:
            if stage is not None and stage != self.stage:
                self.stage, self.best, self.bound = stage, None, None
            if best is not None and math.isfinite(best):
                self.best = best if self.best is None else min(self.best, best)
            if bound is not None and math.isfinite(bound):
                self.bound = bound
        if not self.tty and best is not None:  # a log: a plain line, at most every 2 s
            self.print_due()

    def print_due(self, since_start: bool = False) -> None:
        """Print the line (a log) unless one was printed less than ``REFRESH_S`` ago.

        ``since_start``: also not before ``first_after_s`` from the start (the heartbeat's
        rule).
        """
        now = time.perf_counter()
        with self.lock:
            if since_start and self.printed_at == -math.inf:
                if now - self.t0 < self.first_after_s:
                    return
            elif now - self.printed_at < REFRESH_S:
                return
            self.printed_at = now
        self.sink("  " + self.line())

    @contextlib.contextmanager
    def heartbeat(self) -> Iterator[None]:
        """Print the line every ``REFRESH_S`` while the block runs (a log, where nothing redraws).

        Between solutions a search can be silent for long: without this a log showed gaps of
        up to 11 s. The first line comes after ``first_after_s`` (``FIRST_LINE_S``), so a
        quick solve prints none.
        """
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(REFRESH_S / 4):
                self.print_due(since_start=True)

        thread = threading.Thread(target=beat, name="pks-progress", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def line(self) -> str:
        with self.lock:
            stage, best, bound = self.stage, self.best, self.bound
        parts = [f"{self.doing}…"]
        if stage:
            parts.append(f"{stage_words(stage)}:")
        if best is not None:
            text = f"best so far {_num(best)}"
            text += _how_far(best, bound)
            parts.append(text + ",")
        elapsed = time.perf_counter() - self.t0
        of = "" if self.limit_s is None else f" of {self.limit_s:.0f} s"
        parts.append(f"{elapsed:.0f} s{of}")
        return " ".join(parts)

    def __rich__(self) -> Any:
        from rich.text import Text

        return Text(self.line(), no_wrap=True, overflow="ellipsis")


def _how_far(best: float, bound: float | None) -> str:
    """Say how far a value is from the best possible.

    ``, at most 3 % from the best possible`` (a positive bound), ``, cannot be better than 0``
    (a bound of 0 says nothing as a share), ``, proven best`` or nothing (no bound).
    """
    if bound is None or not math.isfinite(bound):
        return ""
    if best - bound <= 1e-9 * max(1.0, abs(best)):
        return ", proven best"
    if bound > 0:
        return f", at most {100 * (best - bound) / best:.0f} % from the best possible"
    return f", cannot be better than {_num(bound)}"


_live: _Live | None = None  # module-wide: solver callbacks run in threads without our context
_live_lock = threading.Lock()


@contextlib.contextmanager
def live(
    doing: str, limit_s: float | None = None, first_after_s: float = FIRST_LINE_S
) -> Iterator[None]:
    """Show a live progress line for the block (``doing``: ``Planning weeks``).

    When progress is shown: redrawn by rich about every 2 s on a terminal; plain lines in a log,
    the first after ``first_after_s`` and then every 2 s.
    """
    global _live
    sink = _sink.get()
    if sink is None:
        yield
        return
    tty = sys.stderr.isatty()
    state = _Live(doing, limit_s, sink, tty)
    state.first_after_s = first_after_s
    with _live_lock:
        _live = state
    try:
        if not tty:
            with state.heartbeat():
                yield
            return
        from rich.console import Console
        from rich.live import Live

        console = Console(stderr=True, highlight=False)

        def above(line: str) -> None:  # stage lines print above the live line
            console.print(line, markup=False, highlight=False, soft_wrap=True)

        token = _sink.set(above)
        try:
            with Live(state, console=console, refresh_per_second=1 / REFRESH_S, transient=True):
                yield
        finally:
            _sink.reset(token)
    finally:
        with _live_lock:
            _live = None


def working_on(stage: str) -> None:
    """``stage`` is under way (any thread), nothing found in it yet: shown on the live line."""
    state = _live
    if state is not None:
        state.update(stage, None, None)


def best_so_far(stage: str, value: float, bound: float | None = None) -> None:
    """Show a better solution found during ``stage`` (any thread) on the live line."""
    state = _live
    if state is not None:
        state.update(stage, value, bound)


# ------------------------------------------------------------------------------ stage lines


def stage_started(name: str, budget_s: float | None) -> None:
    """Report a stage's start and its time budget to the progress sink, if any."""
    state = _live
    if state is not None:
        state.update(name, None, None)
    sink = _sink.get()
    if sink is not None:
        limit = (
            ""
            if budget_s is None or not math.isfinite(budget_s)
            else f", up to {budget_s:.{0 if budget_s >= 1 else 1}f} s"
        )
        words = stage_words(name)
        what = "" if words == name else f": {words}"
        sink(f"  stage {name}: started ({_elapsed():.1f} s{limit}){what}")


def stage_done(report: StageReport) -> None:
    """Report a stage's end: value, proven or not, and the bound."""
    state = _live
    if state is not None and report.status.has_solution:
        state.update(report.name, report.objective, report.bound)
    sink = _sink.get()
    if sink is None:
        return
    if report.status.has_solution:
        if report.status is SolveStatus.OPTIMAL:
            proven = "proven best"
        else:
            proven = "best found, not proven"
            if math.isfinite(report.bound):
                proven += f"; cannot be better than {_num(report.bound)}"
        sink(f"  stage {report.name}: {_num(report.objective)} ({proven}) after {_elapsed():.1f} s")
    else:
        sink(
            f"  stage {report.name}: no solution ({report.status.value.lower()})"
            f" after {_elapsed():.1f} s"
        )
