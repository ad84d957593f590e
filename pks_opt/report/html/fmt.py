"""Numbers as people read them, and no solver variable names in visible text.

Thousands separated by a space, SEK as ``1 500 000 kr``, whole activities as integers, a
decimal comma in Swedish; no ``capacity[MED,bed_days,2027Q3]``.
"""

from __future__ import annotations

import math
import re
from typing import Any

NBSP = "\u00a0"  # a thousands separator that never breaks a number over two lines


def is_number(value: Any) -> bool:
    """Tell whether ``value`` is a finite number (not a bool; numpy scalars included)."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return math.isfinite(float(value))
    return hasattr(value, "item") and is_number(value.item())


def number(value: Any, lang: str, *, decimals: int | None = None) -> str:
    """Write ``value`` with a space between thousands.

    ``decimals`` fixed, else whole numbers from 100 up and at most two decimals below (trailing
    zeros dropped). Not a number: as text.
    """
    if not is_number(value):
        return (
            "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
        )
    x = float(value.item() if hasattr(value, "item") else value)
    if decimals is None:
        decimals = 0 if abs(x) >= 100 or x.is_integer() else 2
    text = f"{x:,.{decimals}f}"
    if decimals and "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "-0.0"):
        text = "0"
    text = text.replace(",", NBSP)
    return text.replace(".", ",") if lang == "sv" else text


def whole(value: Any, lang: str) -> str:
    """Write a count of whole activities (or shifts, staff) rounded to an integer."""
    return number(round(float(value)), lang, decimals=0) if is_number(value) else str(value)


def money(value: Any, lang: str) -> str:
    """SEK, whole kronor: ``1 500 000 kr`` (sv) / ``1 500 000 SEK`` (en)."""
    if not is_number(value):
        return str(value)
    return f"{number(round(float(value)), lang, decimals=0)}{NBSP}{'kr' if lang == 'sv' else 'SEK'}"


def percent(value: Any, lang: str, *, decimals: int = 0) -> str:
    """Write a share (0.85) as ``85 %``."""
    if not is_number(value):
        return str(value)
    return f"{number(float(value) * 100, lang, decimals=decimals)}{NBSP}%"


# capacity[MED,bed_days,2027Q3] -> "MED, bed_days, 2027Q3"; budget[MED] -> "MED"
_SOLVER_NAME = re.compile(r"\b([a-z_]+)\[([^\[\]]+)\]")
# numbers as a solver prints them: 1,191,000,000 or 1256149.937817 or 1.5e+08
_BIG_COMMA = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w])")
_FLOAT = re.compile(
    r"(?<![\w.,])-?\d+\.\d+(?:e[+-]?\d+)?(?![\w.])|(?<![\w.,])-?\d+e[+-]?\d+(?![\w.])"
)
_INT = re.compile(r"(?<![\w.,])\d{4,}(?![\w.,])")


def solver_names(text: str, term: Any = None) -> str:
    """Turn solver variable names in ``text`` into words.

    ``capacity[MED,bed_days,2027Q3]`` becomes ``MED bed_days 2027Q3`` (each part through
    ``term``, e.g. a catalogue lookup).
    """

    def repl(m: re.Match[str]) -> str:
        parts = [p.strip() for p in m.group(2).split(",")]
        if term is not None:
            parts = [term(p) for p in parts]
        return " ".join(parts)

    return _SOLVER_NAME.sub(repl, text)


def numbers_in_text(text: str, lang: str) -> str:
    """Write the numbers inside a sentence as people read them.

    ``1,191,000,000`` → ``1 191 000 000``, ``0.95`` → ``0,95`` in Swedish; years, weeks and ids
    (``2027Q3``) are left alone.
    """
    text = _BIG_COMMA.sub(lambda m: number(float(m.group(0).replace(",", "")), lang), text)
    text = _FLOAT.sub(lambda m: number(float(m.group(0)), lang), text)

    def big_int(m: re.Match[str]) -> str:
        v = int(m.group(0))
        return m.group(0) if 1900 <= v <= 2100 else number(v, lang)

    return _INT.sub(big_int, text)
