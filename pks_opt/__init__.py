"""pks-opt: optimisation for healthcare production and capacity management (PKS).

Public API: the result envelope and the readers; each planning level adds its entry point
(see ``pks_opt.solve``).
"""

from pks_opt._startup import exit_quietly_on_signals_while_starting

exit_quietly_on_signals_while_starting()  # only as the `pks` program; before the slow imports

from pks_opt.errors import InputError, InputWarning  # noqa: E402
from pks_opt.io import RawInstance, read_raw  # noqa: E402
from pks_opt.result import Result, SolveStatus, StageReport  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "InputWarning",
    "RawInstance",
    "Result",
    "SolveStatus",
    "StageReport",
    "__version__",
    "read_raw",
]
