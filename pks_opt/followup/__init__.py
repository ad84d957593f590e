"""Follow-up (uppföljning): actuals against the plan, flags, escalation, rolling re-planning.

Public entry points: :func:`read_actuals`, :func:`read_plan_folder` and :func:`follow_up`
(a plan result + actuals → :class:`~pks_opt.result.Result`).
"""

from pks_opt.followup.actuals import Actuals, read_actuals
from pks_opt.followup.compare import follow_up, read_plan_folder

__all__ = ["Actuals", "follow_up", "read_actuals", "read_plan_folder"]
