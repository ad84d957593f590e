"""Explanation and warning lines in the reader's language.

The levels write their explanation lines in English, for the terminal. The report matches
each line against ``messages/explain_patterns.yaml`` (a regex per line shape, with named
groups) and renders the catalogue's template ``explain.<key>`` in the report's language, the
groups' values made readable: solver names (``capacity[MED,bed_days,2027Q3]``) as words,
known terms (``bed_days``) translated, numbers with thousands separators. A line no pattern
matches is shown made readable but in English, marked as such.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from pks_opt.report.html.fmt import numbers_in_text, solver_names
from pks_opt.report.html.i18n import Messages, catalogue, explain_patterns

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Line:
    """A line of explanation, and whether some of it had no translation in the report's language."""

    text: str
    untranslated: bool


@functools.cache
def _multi_word_terms(lang: str) -> re.Pattern[str] | None:
    """Match the catalogue's terms of more than one word (``research/admin day``), longest first."""
    keys = [k for k in catalogue(lang).get("values", {}) if re.search(r"[ /]", k) and k[0] != "("]
    if not keys:
        return None
    keys.sort(key=len, reverse=True)
    return re.compile(r"(?<![\w/])(" + "|".join(re.escape(k) for k in keys) + r")(?![\w/])")


def readable(text: str, m: Messages) -> str:
    """Solver names as words, known terms in ``m``'s language, numbers as people read them."""
    text = solver_names(str(text), m.term)
    multi = _multi_word_terms(m.lang)
    if multi is not None:
        text = multi.sub(lambda t: m.term(t.group(0)), text)
    text = _WORD.sub(
        lambda w: (
            m.term(w.group(0)) if "_" in w.group(0) or m.has("values", w.group(0)) else w.group(0)
        ),
        text,
    )
    return numbers_in_text(text, m.lang)


def line(text: str, m: Messages) -> Line:
    """One explanation (or warning) line in ``m``'s language."""
    done = _translate(text.strip(), m)
    if done is not None:
        return Line(done, untranslated=False)
    return Line(readable(text, m), untranslated=m.lang != "en")


def _translate(text: str, m: Messages) -> str | None:
    """``text`` through the first pattern that matches it whole (None: none does).

    The named groups fill the template: ``stage`` a stage's name, ``comment`` the planner's
    own comment (kept as written, in the catalogue's ``explain.comment`` frame), ``x_…``
    verbatim (item texts, commands), ``c_…`` a part that is itself translated clause by
    clause (:func:`_fragment`), any other group made readable (:func:`readable`).
    """
    for key, pattern in explain_patterns():
        hit = pattern.fullmatch(text)
        if hit is None:
            continue
        values = {k: _value(k, v, m) for k, v in hit.groupdict().items()}
        if any(v is None for v in values.values()):
            continue  # a clause no pattern knows: try the next pattern, else untranslated
        return m.get("explain", key).format(**values)
    return None


def _value(name: str, value: str | None, m: Messages) -> str | None:
    if name == "stage":
        return stage_name(value or "", m)
    if name == "comment":
        return m.get("explain", "comment").format(comment=value) if value else ""
    if name.startswith("x_"):
        return value or ""
    if name.startswith("c_"):
        return _fragment(value or "", m)
    return readable(value or "", m)


def _fragment(text: str, m: Messages) -> str | None:
    """Translate a part of a line: matched whole, else piece by piece.

    Split at ``; `` (then `` + ``, then ``, ``) and each piece matched; None when a piece
    matches no pattern.
    """
    whole = _translate(text, m)
    if whole is not None:
        return whole
    for sep in ("; ", " + ", ", "):
        if sep in text:
            parts = [_fragment(p, m) for p in text.split(sep)]
            return None if any(p is None for p in parts) else sep.join(str(p) for p in parts)
    return None


def phrase(text: str, m: Messages) -> str:
    """Translate a part of a line (a cell's reasons, a cause) clause by clause.

    Where the patterns know every clause; else made readable.
    """
    done = _fragment(str(text).strip(), m)
    return done if done is not None else readable(text, m)


def lines(texts: list[str], m: Messages) -> list[Line]:
    """Word the explanation lines of a run in the report's language."""
    return [line(str(t), m) for t in texts]


_STAGE_SUFFIX = re.compile(r"^(?P<base>.*?) \((?P<suffix>with|without) reduction goal\)$")
_PRIORITY = re.compile(r"^priority (?P<n>\d+)(?P<goals> goals)?$")


def stage_name(name: str, m: Messages) -> str:
    """Name a stage in the reader's language (``priority 2 goals (with reduction goal)``)."""
    prefix = ""
    week_type, sep, rest = name.partition(": ")
    if sep and m.has("stages", rest):  # the matrix's "<week type>: <stage>"
        prefix, name = f"{m.term(week_type)}: ", rest
    suffix = ""
    hit = _STAGE_SUFFIX.match(name)
    if hit:
        name, suffix = hit["base"], " " + m.ui(f"stage_{hit['suffix']}_reduction")
    if m.has("stages", name):
        return prefix + m.get("stages", name) + suffix
    p = _PRIORITY.match(name)
    if p:
        key = "stage_priority_goals" if p["goals"] else "stage_priority"
        return m.ui(key, n=p["n"]) + suffix
    return readable(name, m) + suffix
