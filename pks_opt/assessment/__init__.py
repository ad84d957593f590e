"""Self-assessment and checklist (`pks assess`): where the organisation's PKS work stands.

What to develop first, from the seeds' two instruments (see docs/assessment.md).
"""
