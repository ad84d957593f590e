"""The planners' names for the tool's internal keys, as the seeds name them (domain/PKS.md).

- Roster tiers, the seeds' order of scheduling (*generell önskvärd ordning för
  schemaläggning*): 1 the time-critical (*det verksamhets- och tidskritiska*: on-call, acute
  visits), 2 planned patient work (*högst prioriterade men inte lika tidskritiska*: operations
  and clinic visits from the production plan), 3 other work (*viktiga men inte tidskritiska*:
  research, administration, meetings, training).
- Balancing actions, the seeds' list: move capacity (*omfördela*), grow capacity (*öka
  kapacitet*), buy care (*köpa vårdkapacitet*), prioritise: postpone, or leave need unmet.

Applied where people read them (summaries, printed explanation lines and a ``*_name`` column for
the key in tables, added last); the keys themselves stay in the tables for machines. The names
in each language are the message catalogue's ``tier_names`` and ``action_names``; the HTML
report shows a table's English ``*_name`` in the reader's language.
"""

from __future__ import annotations

import re

import pandas as pd

from pks_opt.i18n import messages
from pks_opt.result import Result


def tier_name(tier: int, lang: str = "en") -> str:
    """Name the roster tier in ``lang`` (``tier N`` for an unknown tier).

    The names are the message catalogue's ``tier_names``.
    """
    m = messages(lang)
    key = str(int(tier))
    return m.get("tier_names", key) if m.has("tier_names", key) else f"tier {tier}"


def action_name(key: str, lang: str = "en") -> str:
    """Name the balancing action in ``lang`` (the key itself when unknown).

    The names are the message catalogue's ``action_names``.
    """
    m = messages(lang)
    return m.get("action_names", key) if m.has("action_names", key) else str(key)


#: a tier named by its number: ``tier 2``, ``Tier-1``; in Swedish ``nivå 2``
_TIER_WORD = {
    "en": re.compile(r"\btier[ -]([123])\b", re.IGNORECASE),
    "sv": re.compile(r"\bnivå[ -]([123])\b", re.IGNORECASE),
}


def in_words(line: str, lang: str = "en") -> str:
    """``tier 2`` / ``tier-1`` (Swedish: ``nivå 2``) in a line → the tier's name in ``lang``.

    A name that starts the line starts with a capital (``Tier 1 asked`` → ``Time-critical work
    (acute, on-call) asked``).
    """

    def name(m: re.Match[str]) -> str:
        text = tier_name(int(m.group(1)), lang)
        return text[:1].upper() + text[1:] if m.start() == 0 else text

    return _TIER_WORD.get(lang, _TIER_WORD["en"]).sub(name, line)


def name_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Add a ``tier_name`` column for ``tier`` and an ``action_name`` column for ``action``.

    Added last: the columns before keep their places for whoever reads them by position.
    """
    out = df
    for key, new, fn in (("tier", "tier_name", tier_name), ("action", "action_name", action_name)):
        if key in out.columns and new not in out.columns:
            values = [fn(v) if pd.notna(v) else "" for v in out[key]]
            out = out.copy()
            out[new] = values
    return out


def apply(result: Result) -> None:
    """Name tiers and actions in the tables of ``result`` (and of its scenario parts).

    The explanation lines keep their shapes in ``result.json`` (the HTML report matches them to
    translate them); the terminal prints them through :func:`in_words`.
    """
    for part in [result, *result.parts.values()]:
        part.tables = {name: name_columns(df) for name, df in part.tables.items()}
