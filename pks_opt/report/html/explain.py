"""Explanation and warning lines in the reader's language.

The levels write their explanation lines in English, for the terminal. The report matches
each line against ``messages/explain_patterns.yaml`` (a regex per line shape, with named
groups) and renders the catalogue's template ``explain.<key>`` in the report's language, the
groups' values made readable: solver names (``capacity[MED,bed_days,2027Q3]``) as words,
known terms (``bed_days``) translated, numbers with thousands separators. A line no pattern
matches is shown made readable but in English, marked as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pks_opt.report.html.fmt import numbers_in_text, solver_names
from pks_opt.report.html.i18n import Messages, explain_patterns

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Line:
    text: str
    untranslated: bool


def readable(text: str, m: Messages) -> str:
    """Solver names as words, known terms in ``m``'s language, numbers as people read them."""
    text = solver_names(str(text), m.term)
    text = _WORD.sub(
        lambda w: (
            m.term(w.group(0)) if "_" in w.group(0) or m.has("values", w.group(0)) else w.group(0)
        ),
        text,
    )
    return numbers_in_text(text, m.lang)


def line(text: str, m: Messages) -> Line:
    """One explanation (or warning) line in ``m``'s language."""
    for key, pattern in explain_patterns():
        hit = pattern.fullmatch(text.strip())
        if hit is None:
            continue
        values = {
            k: stage_name(v, m) if k == "stage" else readable(v or "", m)
            for k, v in hit.groupdict().items()
        }
        return Line(m.get("explain", key).format(**values), untranslated=False)
    return Line(readable(text, m), untranslated=m.lang != "en")


def lines(texts: list[str], m: Messages) -> list[Line]:
    """The explanation lines of a run, each worded in the report's language."""
    return [line(str(t), m) for t in texts]


_STAGE_SUFFIX = re.compile(r"^(?P<base>.*?) \((?P<suffix>with|without) reduction goal\)$")
_PRIORITY = re.compile(r"^priority (?P<n>\d+)(?P<goals> goals)?$")


def stage_name(name: str, m: Messages) -> str:
    """A stage's name in the reader's language (``priority 2 goals (with reduction goal)``)."""
    suffix = ""
    hit = _STAGE_SUFFIX.match(name)
    if hit:
        name, suffix = hit["base"], " " + m.ui(f"stage_{hit['suffix']}_reduction")
    if m.has("stages", name):
        return m.get("stages", name) + suffix
    p = _PRIORITY.match(name)
    if p:
        key = "stage_priority_goals" if p["goals"] else "stage_priority"
        return m.ui(key, n=p["n"]) + suffix
    return readable(name, m) + suffix
