"""Owning an output folder for one run: no inputs inside it, no second run writing into it.

Before anything is solved, :func:`claim_out` checks that ``--out``

* is neither an input folder, nor inside one, nor holding one (the outputs would land among
  the inputs and be read back as inputs on the next run, or the inputs would be replaced);
* is new, empty or an earlier pks result folder (one with ``result.json``), which the run
  then replaces whole; any other folder with files in it is refused, never deleted;

and takes the lock ``OUT.lock`` beside it: created atomically (``O_CREAT | O_EXCL``), it holds
the pid, host, start time and command line of the run and is removed when the run ends. A
second run into the same folder is refused with a message naming the first; a lock left by
a process that no longer runs on this host is taken over.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from pks_opt import interrupt
from pks_opt.errors import OutputError
from pks_opt.report.output import check_replaceable, output_error

LOCK_SUFFIX = ".lock"


def lock_path(out: Path) -> Path:
    """``OUT.lock``, beside the output folder."""
    out = _absolute(out)
    return out.parent / f"{out.name}{LOCK_SUFFIX}"


@contextlib.contextmanager
def claim_out(out: Path, inputs: Iterable[Path] = ()) -> Iterator[Path]:
    """Check ``out`` against the ``inputs`` and hold its lock while the run lasts.

    Raises :class:`OutputError` (one line, exit code 2) when the folder is refused or
    locked by another run. Parent folders made for the lock are removed again if the run
    leaves them empty.
    """
    target = _absolute(out)
    check_clear_of_inputs(out, inputs)
    try:
        check_replaceable(target)
    except OSError as exc:  # e.g. a name too long, a parent that cannot be read
        raise output_error(out, exc) from None
    made = _make_parents(out, target.parent)
    lock = lock_path(target)
    try:
        _acquire(out, lock)
        forget = interrupt.on_hard_exit(lambda: _release(lock))
        try:
            yield lock
        finally:
            forget()
            _release(lock)
    finally:
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty: a written result keeps its parents


def check_clear_of_inputs(out: Path, inputs: Iterable[Path]) -> None:
    """Refuse ``out`` when it is one of the ``inputs``, lies inside one or holds one.

    :func:`claim_out` calls it with the command's path arguments; a command that learns of
    more inputs while reading (``pks cycle``: the instances its ``cycle.yaml`` names) calls it
    again with those before anything is solved or written. Raises :class:`OutputError`.
    """
    target = _absolute(out)
    try:
        for given in inputs:
            _check_against_input(out, target, given)
    except OSError as exc:  # e.g. a name too long, a parent that cannot be read
        raise output_error(out, exc) from None


def _absolute(p: Path) -> Path:
    return Path(os.path.abspath(p))


def _real(p: Path) -> Path:
    try:
        return p.resolve()
    except OSError:
        return _absolute(p)


def _check_against_input(out: Path, target: Path, given: Path) -> None:
    if not given.exists():
        return
    inp = _real(given)
    real_out = _real(target)
    if real_out == inp:
        raise OutputError(out, f"it is the input {given}; choose a folder outside the inputs")
    if inp.is_dir() and real_out.is_relative_to(inp):
        raise OutputError(
            out, f"it is inside the input folder {given}; choose a folder outside the inputs"
        )
    if inp.is_relative_to(real_out):
        raise OutputError(out, f"it holds the input {given}, which replacing it would delete")


def _make_parents(out: Path, parent: Path) -> list[Path]:
    missing: list[Path] = []
    p = parent
    while not os.path.lexists(p) and p != p.parent:
        missing.append(p)
        p = p.parent
    made: list[Path] = []
    try:
        for folder in reversed(missing):
            folder.mkdir()
            made.append(folder)
    except OSError as exc:
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise output_error(out, exc) from None
    return made


def _acquire(out: Path, lock: Path) -> None:
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join(["pks", *sys.argv[1:]]),
    }
    for _attempt in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            other = _read(lock)
            if _stale(other):
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
                continue
            raise OutputError(out, _describe(other, lock)) from None
        except OSError as exc:
            raise output_error(out, exc) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(record, f)
        except OSError as exc:
            with contextlib.suppress(OSError):
                lock.unlink()
            raise output_error(out, exc) from None
        return
    raise OutputError(out, f"could not take the lock {lock}")


def _read(lock: Path) -> dict[str, object]:
    try:
        data = json.loads(lock.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _stale(other: dict[str, object]) -> bool:
    """Tell whether a lock belongs to a process that no longer runs on this host."""
    pid = other.get("pid")
    if other.get("host") != socket.gethostname() or not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _describe(other: dict[str, object], lock: Path) -> str:
    if not other:
        return f"another run holds the lock {lock} (unreadable; delete it if no run is going)"
    return (
        f"another run is writing there: pid {other.get('pid')} on {other.get('host')}, "
        f"started {other.get('started')} ({other.get('command')}); lock file {lock}"
    )


def _release(lock: Path) -> None:
    if _read(lock).get("pid") == os.getpid():
        with contextlib.suppress(OSError):
            lock.unlink()
