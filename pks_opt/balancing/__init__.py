"""Strategic balancing: close capacity gaps across units under budget (``pks balance``).

Spec: ``models/balancing.md``. Public entry points: :func:`read_balancing` (instance →
:class:`BalancingData`), :func:`balance` (data → :class:`~pks_opt.result.Result`).
"""

from pks_opt.balancing.data import BalancingData, build_data, read_balancing, read_balancing_tables
from pks_opt.balancing.solve import balance

__all__ = ["BalancingData", "balance", "build_data", "read_balancing", "read_balancing_tables"]
