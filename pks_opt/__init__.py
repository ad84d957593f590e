"""pks-opt: optimisation for healthcare production and capacity management (PKS).

Public API: the result envelope and the readers; each planning level adds its entry point
(see ``pks_opt.solve``).
"""

from pks_opt.errors import InputError, InputWarning
from pks_opt.io import RawInstance, read_raw
from pks_opt.result import Result, SolveStatus, StageReport

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
