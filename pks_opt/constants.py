"""Constants shared by the levels, in one place so that the copies cannot drift.

Units are in the names. A level's own tunables (tolerances, limits on input sizes) stay with
the level or in :mod:`pks_opt.limits`; what two levels must agree on lives here.
"""

from __future__ import annotations

#: the week type of an ordinary week (plans, matrices and rosters share the word)
NORMAL_WEEK = "normal"
#: the night shift's name (rostering's fairness and the follow-ups count nights by it)
NIGHT = "night"
DAYS_PER_WEEK = 7
#: weeks of a plan year (an ISO year's 53rd week is folded into its neighbours)
WEEKS_PER_YEAR = 52
MINUTES_PER_HOUR = 60
HOURS_PER_DAY = 24
MINUTES_PER_DAY = HOURS_PER_DAY * MINUTES_PER_HOUR

#: seconds a solving level may take by default (matrix, roster, balance, cycle)
DEFAULT_TIME_LIMIT_S = 60.0
#: the production plan's default: seconds for one plan's solve (its priority stages)
PLAN_TIME_LIMIT_S = 120.0
#: ``pks plan``'s default: wall-clock seconds for the whole run, both plans (with and without
#: the reduction goal), reading and writing included; as much solving as two plans of
#: ``PLAN_TIME_LIMIT_S`` had before it covered the whole run
PLAN_RUN_TIME_LIMIT_S = 240.0

#: the ``kind`` of every result envelope the package writes (README: "Result envelope")
RESULT_KINDS = (
    "need",
    "balance",
    "production_plan",
    "activity_matrix",
    "roster",
    "roster-benchmark",
    "cycle",
    "dimensioning",
    "forecast",
    "follow_up",
    "roster_follow_up",
    "assessment",
)
