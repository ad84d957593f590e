"""The tactical production plan (``models/production_plan.md``).

The defaults shared by the library (:func:`~pks_opt.production_plan.milp.solve_plan`), the
Python API and ``pks plan`` live here, so they cannot drift apart; this module imports
only :mod:`pks_opt.constants` (the command reads them at start-up).
"""

from pks_opt.constants import PLAN_TIME_LIMIT_S

#: seconds for each plan (with and without the reduction goal): a safety net, shared by the
#: stages left; the node limit is what makes a plan repeatable
DEFAULT_TIME_LIMIT_S = PLAN_TIME_LIMIT_S
#: branch-and-bound nodes per stage: a work limit, so a stage that is not proven within it
#: stops at the same plan on any machine
DEFAULT_MAX_NODES = 300
