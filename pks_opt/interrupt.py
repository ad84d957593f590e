"""Ctrl-C (SIGINT) and SIGTERM during a run: stop the search, keep the best solution so far.

The first SIGINT or SIGTERM:

* while a solver runs (inside :func:`solving`): every running solver is told to stop through
  its own mechanism — CP-SAT's ``StopSearch`` (:func:`run_cp`), HiGHS's interrupt callbacks
  and CBC's own Ctrl-C handling (SIGINT to the CBC subprocess; :mod:`pks_opt.milp`) — and
  every later solver call returns at once, so the level ends with its best solution so far.
  The command then writes it (only with ``--out``) with status ``INTERRUPTED`` and exits 130;
* before the solve (reading, model building outside :func:`solving`) or while the result is
  written: :class:`Interrupted` is raised in the main thread; nothing is written (a write in
  progress is removed), exit 130.

A second SIGINT or SIGTERM ends the process at once (exit 130): running solver processes are
killed, the output lock and temporary folders are removed, nothing is written.

Why a watcher thread: Python runs signal handlers in the main thread only between bytecodes,
so a handler cannot run while the main thread waits inside a solver call (CP-SAT, HiGHS) —
the "swallowed" Ctrl-C. The C-level handler also writes the signal number to a wake-up
socket (:func:`signal.set_wakeup_fd`), which a daemon thread reads at once and acts on.
CP-SAT's own SIGINT handling (``catch_sigint_signal``) is switched off: it replaced the
handler and left SIGINT at its default afterwards (the "killed at once, exit −2" run).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
RESTOP_EVERY_S = 0.1  # a solver registered just before its search starts is stopped again

_lock = threading.RLock()
_event = threading.Event()
_state: dict[str, Any] = {
    "count": 0,
    "signal": None,
    "at": None,
    "started": time.monotonic(),
    "hard": False,  # a second signal's exit is under way (:func:`_hard_exit`)
}
_stoppers: dict[int, Callable[[], None]] = {}
_cleanups: dict[int, Callable[[], None]] = {}
_active = {"on": False, "shield": 0}
_saved: dict[str, Any] = {}
_wake: list[socket.socket] = []


class Interrupted(Exception):
    """Raised in the main thread when a signal arrives with nothing to keep."""

    def __init__(self, signame: str) -> None:
        """Name the signal (``SIGINT``/``SIGTERM``) that stopped the run."""
        self.signame = signame
        super().__init__(f"interrupted by {signame}")


def install() -> bool:
    """Route SIGINT and SIGTERM through this module (main thread only; else a no-op)."""
    if threading.current_thread() is not threading.main_thread() or _active["on"]:
        return False
    with _lock:
        _event.clear()
        _state.update(count=0, signal=None, at=None, started=time.monotonic(), hard=False)
        _stoppers.clear()
        _cleanups.clear()
        _active["shield"] = 0
    if not _wake:
        r, w = socket.socketpair()
        r.setblocking(True)
        w.setblocking(False)
        _wake.extend([r, w])
        threading.Thread(target=_watch, args=(r,), name="pks-signals", daemon=True).start()
    _saved["int"] = signal.signal(signal.SIGINT, _main_handler)
    _saved["term"] = signal.signal(signal.SIGTERM, _main_handler)
    _saved["fd"] = signal.set_wakeup_fd(_wake[1].fileno(), warn_on_full_buffer=False)
    _active["on"] = True
    return True


def uninstall() -> None:
    """Restore the handlers :func:`install` replaced (for in-process use, e.g. tests)."""
    if not _active["on"]:
        return
    _active["on"] = False
    with _lock:  # a later solve outside a run (e.g. the library in a test) is not stopped
        _event.clear()
        _state.update(count=0, signal=None, at=None)
    signal.set_wakeup_fd(_saved["fd"])
    signal.signal(signal.SIGINT, _saved["int"])
    signal.signal(signal.SIGTERM, _saved["term"])


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """Signal handlers installed for the ``with`` block (left alone when already installed)."""
    mine = install()
    try:
        yield
    finally:
        if mine:
            uninstall()


def requested() -> str | None:
    """Name the signal that asked the run to stop (``SIGINT``/``SIGTERM``), or None."""
    return _state["signal"] if _event.is_set() else None


def seconds_since_start() -> float:
    """Seconds from the start of the run to the signal (or to now when none came)."""
    return float((_state["at"] or time.monotonic()) - _state["started"])


@contextlib.contextmanager
def solving() -> Iterator[None]:
    """Open a stretch where a signal stops the solvers and the level keeps its best solution."""
    with _lock:
        _active["shield"] += 1
    try:
        yield
    finally:
        with _lock:
            _active["shield"] -= 1


shielded = solving  # also used around the final rename of a result folder


@contextlib.contextmanager
def stoppable(stop: Callable[[], None]) -> Iterator[None]:
    """Register ``stop`` (thread-safe, idempotent) to be called when a signal arrives."""
    key = id(stop)
    with _lock:
        _stoppers[key] = stop
    if _event.is_set():
        _call(stop)
    try:
        yield
    finally:
        with _lock:
            _stoppers.pop(key, None)


def on_hard_exit(cleanup: Callable[[], None]) -> Callable[[], None]:
    """Run ``cleanup`` if a second signal ends the process; returns the function to forget it."""
    key = id(cleanup)
    with _lock:
        _cleanups[key] = cleanup

    def forget() -> None:
        with _lock:
            _cleanups.pop(key, None)

    return forget


def run_cp(solver: Any, model: Any, callback: Any = None) -> Any:
    """``solver.Solve(model[, callback])``, stoppable by a signal (``StopSearch``).

    CP-SAT's own SIGINT handling is off (see the module docstring). A call made after the
    stop was asked for gets no time: it returns at once with what it has.
    """
    solver.parameters.catch_sigint_signal = False
    if _event.is_set():
        solver.parameters.max_time_in_seconds = 0.0
    with stoppable(solver.StopSearch):
        return solver.Solve(model, callback) if callback is not None else solver.Solve(model)


def kill_children(sig: int) -> None:
    """Send ``sig`` to this process's child processes (a CBC run by PuLP), Linux /proc."""
    me = os.getpid()
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    stat = f.read()
                ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == me:
                with contextlib.suppress(OSError):
                    os.kill(int(entry), sig)


# ---------------------------------------------------------------------- internals


def _main_handler(signum: int, _frame: Any) -> None:
    """Python-level handler (main thread): raise when there is no solution to keep."""
    if _active["on"] and _active["shield"] == 0:
        raise Interrupted(signal.Signals(signum).name)


def _watch(r: socket.socket) -> None:
    while True:
        try:
            data = r.recv(64)
        except OSError:
            return
        for signum in data:
            if signum in (signal.SIGINT, signal.SIGTERM) and _active["on"]:
                _on_signal(signum)


def _on_signal(signum: int) -> None:
    with _lock:
        _state["count"] += 1
        first = _state["count"] == 1
        if first:
            _state["signal"] = signal.Signals(signum).name
            _state["at"] = time.monotonic()
    if not first:
        _hard_exit()
        return
    _event.set()
    threading.Thread(target=_restop, name="pks-restop", daemon=True).start()


def _restop() -> None:
    """Stop every registered solver now and again while the run lasts.

    A solver registered just before its search began would miss a single ``StopSearch``.
    """
    while _active["on"]:
        with _lock:
            stops = list(_stoppers.values())
        for stop in stops:
            _call(stop)
        time.sleep(RESTOP_EVERY_S)


def _call(stop: Callable[[], None]) -> None:
    with contextlib.suppress(Exception):
        stop()


def hold_if_exiting(limit_s: float = 5.0) -> None:
    """Wait here while a second signal's exit is under way (it ends the process with 130).

    The main thread must not end the process first: the exit's clean-up removes the staging
    folder under the writer, whose error would otherwise exit 2 ("cannot write") before the
    signal thread's exit 130 (a race seen once in CI). After ``limit_s`` it exits 130 itself.
    """
    if not _state["hard"]:
        return
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        time.sleep(0.05)
    os._exit(EXIT_INTERRUPTED)


def _hard_exit() -> None:
    _state["hard"] = True
    kill_children(signal.SIGKILL)
    with _lock:
        cleanups = list(_cleanups.values())
    for cleanup in cleanups:
        _call(cleanup)
    with contextlib.suppress(OSError):
        os.write(2, b"interrupted again: stopped at once, nothing written\n")
    os._exit(EXIT_INTERRUPTED)
