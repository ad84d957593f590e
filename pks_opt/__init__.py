"""pks-opt: optimisation for healthcare production and capacity management (PKS).

The Python API (:mod:`pks_opt.api`) reads like the command line::

    import pks_opt as pks
    inst = pks.read("instances/region-small")
    res = pks.balance(inst, solver="highs", time_limit=60)
    res.tables["actions"]
    res.write("out/balance")
    pks.load_result("out/balance")

``need``, ``balance``, ``plan``, ``matrix``, ``roster``, ``forecast`` and ``follow_up`` each
return a :class:`Result`; bad input raises :class:`InputError` naming file, row and field.
"""

from pks_opt._startup import exit_quietly_on_signals_while_starting

exit_quietly_on_signals_while_starting()  # only as the `pks` program; before the slow imports

from pks_opt.api import (  # noqa: E402
    Instance,
    balance,
    follow_up,
    forecast,
    load_result,
    matrix,
    need,
    plan,
    read,
    roster,
)
from pks_opt.errors import InputError, InputWarning  # noqa: E402
from pks_opt.io import RawInstance, read_raw  # noqa: E402
from pks_opt.result import Result, SolveStatus, StageReport  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "Instance",
    "balance",
    "follow_up",
    "forecast",
    "load_result",
    "matrix",
    "need",
    "plan",
    "read",
    "roster",
    "InputError",
    "InputWarning",
    "RawInstance",
    "Result",
    "SolveStatus",
    "StageReport",
    "__version__",
    "read_raw",
]
