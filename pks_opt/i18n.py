"""Texts people read, in Swedish or English: one message catalogue per language.

The catalogues are ``pks_opt/report/html/messages/{sv,en}.yaml`` (package data), shared by the
HTML report, the PNG charts and the terminal summaries of every command; there is no second
set of strings. Functions that print or draw take the language as a parameter (``lang="en"``
by default): nothing here is global state but the cached, read-only catalogues.
``tests/report/test_catalogue.py`` fails when a key is in one language and not the other.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

import yaml

LANGUAGES = ("sv", "en")
#: libyaml's safe loader when built in (the catalogues load in milliseconds: a command's summary,
#: also the one printed on an interrupt, reads one)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: the language when none is asked for (tests and docs quote the English texts)
DEFAULT_LANG = "en"


def _messages_file(name: str) -> Any:
    # read through the top package: charts and summaries need no import of the HTML report
    return resources.files("pks_opt").joinpath("report", "html", "messages", name)


@functools.cache
def catalogue(lang: str) -> dict[str, Any]:
    """Load the whole catalogue of ``lang`` (nested dicts of strings)."""
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    data = yaml.load(_messages_file(f"{lang}.yaml").read_text(encoding="utf-8"), Loader=_LOADER)
    if not isinstance(data, dict):
        raise ValueError(f"message catalogue {lang}.yaml is not a mapping")
    return data


@functools.cache
def explain_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """(key, regex) of the explanation lines the levels write in English, in match order."""
    text = _messages_file("explain_patterns.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_LOADER) or {}
    return [(str(k), re.compile(str(v))) for k, v in data.items()]


def flat_keys(data: dict[str, Any], prefix: str = "") -> set[str]:
    """Every dotted key of a nested catalogue."""
    out: set[str] = set()
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out |= flat_keys(v, key + ".")
        else:
            out.add(key)
    return out


def humanize(key: str) -> str:
    """``waiting_list_reduction`` → ``waiting list reduction`` (a key no catalogue knows)."""
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else text


class Messages:
    """Lookups in one language's catalogue.

    An unknown term falls back to the English catalogue, then to the key made readable, and is
    remembered in :attr:`missing`.
    """

    def __init__(self, lang: str = DEFAULT_LANG) -> None:
        """Load the catalogue of ``lang``; no term is missing yet."""
        self.lang = lang
        self.data = catalogue(lang)
        self.missing: set[str] = set()

    def get(self, section: str, key: Any, default: str | None = None) -> str:
        """Look up ``section.key`` in this language, then English, then ``default`` or the key.

        A term not found in this language is remembered in :attr:`missing`.
        """
        key = str(key)
        for data in (self.data, catalogue("en")):
            value = data.get(section, {}).get(key)
            if isinstance(value, str):
                if data is not self.data:
                    self.missing.add(f"{section}.{key}")
                return value
        self.missing.add(f"{section}.{key}")
        return default if default is not None else humanize(key)

    def has(self, section: str, key: Any) -> bool:
        """Tell whether this language's catalogue itself has ``section.key``."""
        return isinstance(self.data.get(section, {}).get(str(key)), str)

    def ui(self, key: str, **values: Any) -> str:
        """Fill the ``ui`` template ``key`` with ``values`` (``str.format``)."""
        text = self.get("ui", key)
        return text.format(**values) if values else text

    def text(self, section: str, key: str, **values: Any) -> str:
        """Fill the template ``section.key`` with ``values`` (``str.format``)."""
        text = self.get(section, key)
        return text.format(**values) if values else text

    def term(self, value: Any) -> str:
        """Translate a value from the data (resource, action, status, role…).

        Its word in this language when the catalogue has one, else the value itself (an id from
        the instance).
        """
        return (
            self.get("values", value, default=str(value))
            if self.has("values", value)
            else str(value)
        )


@functools.cache
def messages(lang: str = DEFAULT_LANG) -> Messages:
    """Share one :class:`Messages` of ``lang`` for charts and summaries (read-only use)."""
    return Messages(lang)


def text(lang: str, section: str, key: str, **values: Any) -> str:
    """``messages(lang).text(section, key, **values)``: one filled template."""
    return messages(lang).text(section, key, **values)


def num(value: Any, spec: str, lang: str = DEFAULT_LANG) -> str:
    """Format ``value`` by ``spec`` (``".1f"``, ``",.0f"``) as people read numbers.

    Thousands separated by a space and, in Swedish, a decimal comma: ``num(1234.5, ",.1f",
    "sv")`` → ``1 234,5``.
    """
    text = format(value, spec).replace(",", " ")
    return text.replace(".", ",") if lang == "sv" else text
