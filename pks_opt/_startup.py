"""Ctrl-C while the `pks` program starts (about 0.5 s of imports): exit 130, one line.

Before :func:`pks_opt.interrupt.install` takes over, Python's default would print a
KeyboardInterrupt traceback (and SIGTERM would end the process silently). Only when running as
the `pks` program (``pks`` or ``cli.py``): importing the library elsewhere changes nothing.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

PROGRAMS = ("pks", "cli.py")


def exit_quietly_on_signals_while_starting() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    if os.path.basename(sys.argv[0] if sys.argv else "") not in PROGRAMS:
        return
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return
    signal.signal(signal.SIGINT, _exit)
    signal.signal(signal.SIGTERM, _exit)


def _exit(signum: int, _frame: Any) -> None:
    name = signal.Signals(signum).name
    os.write(2, f"interrupted by {name} while starting: stopped, nothing written\n".encode())
    os._exit(130)
