"""Self-assessment and checklist (`pks assess`): where the organisation's PKS work stands and
what to develop first, from the seeds' two instruments (see docs/assessment.md)."""
