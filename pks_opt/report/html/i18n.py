"""Message catalogues: one YAML per language (``messages/en.yaml``, ``messages/sv.yaml``),
package data. Texts live there, not in code; ``tests/report/test_catalogue.py`` fails when a
key is in one language and not the other."""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

import yaml

LANGUAGES = ("sv", "en")


@functools.cache
def catalogue(lang: str) -> dict[str, Any]:
    """The whole catalogue of ``lang`` (nested dicts of strings)."""
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    text = resources.files("pks_opt.report.html").joinpath("messages", f"{lang}.yaml")
    data = yaml.safe_load(text.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"message catalogue {lang}.yaml is not a mapping")
    return data


@functools.cache
def explain_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """(key, regex) of the explanation lines the levels write in English, in match order."""
    text = resources.files("pks_opt.report.html").joinpath("messages", "explain_patterns.yaml")
    data = yaml.safe_load(text.read_text(encoding="utf-8")) or {}
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
    """Lookups in one language's catalogue; an unknown term falls back to the English
    catalogue, then to the key made readable, and is remembered in :attr:`missing`."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.data = catalogue(lang)
        self.missing: set[str] = set()

    def get(self, section: str, key: Any, default: str | None = None) -> str:
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
        return isinstance(self.data.get(section, {}).get(str(key)), str)

    def ui(self, key: str, **values: Any) -> str:
        text = self.get("ui", key)
        return text.format(**values) if values else text

    def term(self, value: Any) -> str:
        """A value from the data (resource, action, status, role…): its word in this language
        when the catalogue has one, else the value itself (an id from the instance)."""
        return (
            self.get("values", value, default=str(value))
            if self.has("values", value)
            else str(value)
        )
