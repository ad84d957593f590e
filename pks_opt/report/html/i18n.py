"""The report's message catalogues: :mod:`pks_opt.i18n`.

One catalogue per language, shared with the PNG charts and the terminal summaries.
"""

from pks_opt.i18n import (
    LANGUAGES,
    Messages,
    catalogue,
    explain_patterns,
    flat_keys,
    humanize,
)

__all__ = ["LANGUAGES", "Messages", "catalogue", "explain_patterns", "flat_keys", "humanize"]
