"""The two instruments of the seeds as data: the self-assessment and the checklist.

The self-assessment is seed 000's eight areas of statements, the checklist seed 003 section
D's 23 questions.

Both are package data (``pks_opt/assessment/data/*.yaml``), in Swedish as quoted from the seeds
and in English. Each item has an id, its area, the two texts, the pks-opt capabilities that
support it (``capabilities.yaml``) and the seed section it is quoted from; each area names the
seed texts to read further (``see``).

The answer scale of an instrument is ordered best first; each option has a score (``None``:
"vet ej", counted but not scored) and a *band*, the seeds' reading of an answer:

* ``develop`` — "develop first": score 0 or no score ("inte alls", "vet ej"; "nej", "vet ej");
* ``analyse`` — "analyse further": a score between ("delvis"; "majoritet", "minoritet");
* ``maintain`` — the top score ("i hög grad"; "ja"): keep what works.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import yaml

Lang = Literal["sv", "en"]
LANGS: tuple[Lang, ...] = ("sv", "en")
INSTRUMENT_FILES = ("self_assessment.yaml", "checklist.yaml")

BANDS = ("develop", "analyse", "maintain")
BAND_TEXT: dict[str, dict[str, str]] = {
    "develop": {"sv": "utveckla först", "en": "develop first"},
    "analyse": {"sv": "fördjupad analys", "en": "analyse further"},
    "maintain": {"sv": "bibehåll", "en": "maintain"},
}


def normalise_answer(text: str) -> str:
    """Normalise an answer for comparing.

    Lower case, one kind of dash and apostrophe, single spaces, no spaces around ``/`` and
    ``-``, no trailing ``*`` or full stop.
    """
    t = text.strip().lower().replace("\u2019", "'").replace("\u00b4", "'")
    t = re.sub("[\u2010-\u2015]", "-", t)
    t = re.sub(r"\s+", " ", t)
    t = re.sub(r"\s*([/-])\s*", r"\1", t)
    return t.rstrip("*.").strip()


@dataclass(frozen=True)
class ScaleOption:
    """One answer on an instrument's scale."""

    key: str
    sv: str
    en: str
    score: int | None
    band: str
    aliases: tuple[str, ...]

    def text(self, lang: Lang) -> str:
        """Give the option's wording in ``lang`` (``sv`` or ``en``)."""
        return self.sv if lang == "sv" else self.en


@dataclass(frozen=True)
class Item:
    """One statement (self-assessment) or question (checklist)."""

    id: str
    instrument: str
    area: str
    sv: str
    en: str
    capabilities: tuple[str, ...]
    seed: str  # where the text is quoted from, e.g. "000 area 2, statement 3"

    def text(self, lang: Lang) -> str:
        """Give the statement or question in ``lang`` (``sv`` or ``en``)."""
        return self.sv if lang == "sv" else self.en


@dataclass(frozen=True)
class Area:
    """An area of an instrument with its items, in seed order."""

    id: str
    instrument: str
    sv: str
    en: str
    section: str | None  # the checklist's activity heading above the area's table
    see: tuple[str, ...]
    items: tuple[Item, ...]

    def text(self, lang: Lang) -> str:
        """Give the area's heading in ``lang`` (``sv`` or ``en``)."""
        return self.sv if lang == "sv" else self.en

    @property
    def capabilities(self) -> tuple[str, ...]:
        """The capabilities of the area's items, most often named first (then seed order)."""
        counts: dict[str, int] = {}
        for item in self.items:
            for c in item.capabilities:
                counts[c] = counts.get(c, 0) + 1
        order = list(counts)
        return tuple(sorted(order, key=lambda c: (-counts[c], order.index(c))))


@dataclass(frozen=True)
class Instrument:
    """A questionnaire: its areas and items, answer scale and sheet names."""

    key: str
    seed: str
    title: dict[str, str]
    sheet: dict[str, str]
    note: dict[str, str]
    scale: tuple[ScaleOption, ...]
    areas: tuple[Area, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        """Every item of the instrument, area by area in seed order."""
        return tuple(i for a in self.areas for i in a.items)

    @functools.cached_property
    def _by_id(self) -> dict[str, Item]:
        return {i.id.lower(): i for i in self.items}

    @functools.cached_property
    def _answers(self) -> dict[str, ScaleOption]:
        table: dict[str, ScaleOption] = {}
        for opt in self.scale:
            for word in (opt.sv, opt.en, opt.key, *opt.aliases):
                table[normalise_answer(word)] = opt
        return table

    def item(self, item_id: str) -> Item | None:
        """Find the item with id ``item_id`` (any case, blanks stripped), or None."""
        return self._by_id.get(item_id.strip().lower())

    def area(self, area_id: str) -> Area:
        """Look up the area with id ``area_id``."""
        return next(a for a in self.areas if a.id == area_id)

    def answer(self, text: str) -> ScaleOption | None:
        """Find the scale option ``text`` names (Swedish or English, any case), or None."""
        return self._answers.get(normalise_answer(text))

    def option(self, key: str) -> ScaleOption:
        """Look up the scale option with key ``key``."""
        return next(o for o in self.scale if o.key == key)

    @property
    def max_score(self) -> int:
        """Highest score an answer on the scale can give (options without a score left out)."""
        return max(o.score for o in self.scale if o.score is not None)

    def labels(self, lang: Lang) -> list[str]:
        """List the scale's options in ``lang``, in scale order (a sheet's drop-down)."""
        return [o.text(lang) for o in self.scale]


@dataclass(frozen=True)
class Capability:
    """A capability an item asks about, and the command or document of pks-opt that supports it."""

    key: str
    command: str | None
    doc: str | None
    sv: str
    en: str

    def label(self) -> str:
        """``pks follow-up`` for a command, else the document (``docs/reading-rules.md``)."""
        return self.command or self.doc or self.key


@dataclass(frozen=True)
class Source:
    """A section of the seed documents an instrument quotes, with its title in both languages."""

    key: str
    file: str
    sv: str
    en: str

    def label(self, lang: Lang) -> str:
        """``003 H. Uppföljning på strategisk nivå …`` (the section letter is in the title)."""
        return f"{self.key.split()[0]} {self.sv if lang == 'sv' else self.en}"


def _load(name: str) -> Any:
    text = resources.files("pks_opt.assessment").joinpath("data").joinpath(name).read_text("utf-8")
    return yaml.safe_load(text)


def _band(score: int | None, top: int) -> str:
    if score is None or score == 0:
        return "develop"
    return "maintain" if score == top else "analyse"


def _instrument(data: dict[str, Any]) -> Instrument:
    key = str(data["instrument"])
    scores = [o["score"] for o in data["scale"] if o["score"] is not None]
    top = max(scores)
    scale = tuple(
        ScaleOption(
            str(o["key"]),
            str(o["sv"]),
            str(o["en"]),
            o["score"],
            _band(o["score"], top),
            tuple(str(a) for a in o.get("aliases") or ()),
        )
        for o in data["scale"]
    )
    areas = []
    for n, a in enumerate(data["areas"], start=1):
        items = tuple(
            Item(
                str(i["id"]),
                key,
                str(a["id"]),
                str(i["sv"]).strip(),
                str(i["en"]).strip(),
                tuple(i.get("capabilities") or ()),
                f"000 area {n}, statement {k}"
                if key == "self-assessment"
                else f"003 D, question {str(i['id']).lstrip('C')}",
            )
            for k, i in enumerate(a["items"], start=1)
        )
        areas.append(
            Area(
                str(a["id"]),
                key,
                str(a["sv"]),
                str(a["en"]),
                a.get("section"),
                tuple(a.get("see") or ()),
                items,
            )
        )
    return Instrument(
        key,
        str(data["seed"]),
        dict(data["title"]),
        dict(data["sheet"]),
        dict(data.get("note") or {}),
        scale,
        tuple(areas),
    )


@functools.cache
def instruments() -> tuple[Instrument, ...]:
    """Both instruments: the self-assessment, then the checklist."""
    return tuple(_instrument(_load(name)) for name in INSTRUMENT_FILES)


def instrument(key: str) -> Instrument:
    """Look up the instrument named ``key``."""
    return next(i for i in instruments() if i.key == key)


@functools.cache
def capabilities() -> dict[str, Capability]:
    """Load what pks-opt offers per capability (command, documentation, texts), by key."""
    data = _load("capabilities.yaml")["capabilities"]
    return {
        k: Capability(k, v.get("command"), v.get("doc"), v["sv"], v["en"]) for k, v in data.items()
    }


@functools.cache
def sources() -> dict[str, Source]:
    """Load the sources the assessment cites, by key."""
    data = _load("capabilities.yaml")["sources"]
    return {k: Source(k, v["file"], v["sv"], v["en"]) for k, v in data.items()}
