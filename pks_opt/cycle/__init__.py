"""The three planning rounds (``pks cycle``): preliminary mission, handshake, dimensioning.

Public entry points: :func:`read_cycle` (a cycle folder → :class:`CycleSpec`) and
:func:`run_cycle` (spec → every level's result and the cycle's own).
"""

from pks_opt.cycle.run import CycleOutcome, run_cycle
from pks_opt.cycle.spec import CycleSpec, read_cycle

__all__ = ["CycleOutcome", "CycleSpec", "read_cycle", "run_cycle"]
