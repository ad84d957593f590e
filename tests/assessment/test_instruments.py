"""The instruments are complete against the seeds: the self-assessment's areas and statements
are counted (and their texts compared) in seed 000, the checklist's questions in seed 003
section D. The seeds live beside the repository (../shared/seeds, or $PKS_SEEDS)."""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from pathlib import Path

import pytest

from pks_opt.assessment.instruments import capabilities, instrument, sources

SEEDS = Path(os.environ.get("PKS_SEEDS", Path(__file__).resolve().parents[3] / "shared" / "seeds"))
BOXES = "☐ ☐ ☐ ☐"


def seed(prefix: str) -> str:
    files = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not files:
        pytest.skip(f"seed {prefix} not found in {SEEDS}")
    return files[0].read_text("utf-8")


def join_lines(lines: list[str]) -> str:
    """Lines of one statement as one text: a word broken at a line-end hyphen is joined
    ("PKS-" + "arbete"), except "produktions- och"-style elisions."""
    text = ""
    for line in (x.strip() for x in lines if x.strip()):
        if text.endswith("-") and not re.match(r"(och|eller)\b", line):
            text += line
        else:
            text = f"{text} {line}" if text else line
    return re.sub(r"\s+", " ", text).strip()


def self_assessment_in_seed() -> list[tuple[str, list[str]]]:
    """(area heading, [statements]) from seed 000: an area is headed by the lines before
    "Egen analys/", a statement is the text before a row of four answer boxes."""
    lines = seed("000").splitlines()
    areas: list[tuple[str, list[str]]] = []
    pending: list[str] = []
    heading: list[str] = []
    in_area = False
    for i, line in enumerate(lines):
        if line.strip().startswith("Egen analys/"):
            # the heading: the lines just above, back to a blank line or to the line that
            # starts a new text block (the PDF text marks it with a leading space)
            j, heading = i - 1, []
            while j >= 0 and lines[j].strip():
                heading.insert(0, lines[j])
                if lines[j].startswith(" "):
                    break
                j -= 1
            areas.append((join_lines(heading), []))
            in_area, pending = True, []
        elif in_area and line.strip() == "reflektion":
            pending = []
        elif in_area and BOXES in line:
            pending.append(line.replace(BOXES, ""))
            areas[-1][1].append(join_lines(pending))
            pending = []
        elif in_area and line.strip().startswith("Kommentar till området"):
            in_area = False
        elif in_area:
            pending.append(line)
    return areas


def test_self_assessment_complete_against_seed_000() -> None:
    found = self_assessment_in_seed()
    sa = instrument("self-assessment")
    assert len(found) == 8 == len(sa.areas)
    assert [len(s) for _, s in found] == [len(a.items) for a in sa.areas]
    assert sum(len(s) for _, s in found) == len(sa.items) == seed("000").count(BOXES)
    for (heading, statements), area in zip(found, sa.areas, strict=True):
        assert heading == area.sv
        assert statements == [i.sv for i in area.items]


def fold(text: str) -> str:
    """OCR-tolerant comparison: letters without diacritics, only letters and digits."""
    t = unicodedata.normalize("NFKD", text.lower())
    t = "".join(c for c in t if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", t)


def checklist_in_seed() -> dict[int, str]:
    """Question number → its OCR text, from section D of seed 003 (between the section's
    heading and the next section, E)."""
    text = seed("003")
    start = text.index(" D. Checklista for att skapa ratt")
    end = text.index(" E. Centrala roller", start)
    questions: dict[int, list[str]] = {}
    current: int | None = None
    for line in text[start:end].splitlines():
        m = re.match(r"\s*(\d{1,2})\.\s*(.*)", line)
        if m and int(m.group(1)) == (current or 0) + 1:
            current = int(m.group(1))
            questions[current] = [m.group(2)]
        elif (
            current is not None
            and line.strip()
            and not line.startswith("*")
            # a question ends at its question mark (followed at most by box debris)
            and not re.search(r"\?[\sDl:‘|\[\]]*$", questions[current][-1])
        ):
            questions[current].append(line)
    return {n: " ".join(q) for n, q in questions.items()}


def test_checklist_complete_against_seed_003_d() -> None:
    found = checklist_in_seed()
    ck = instrument("checklist")
    assert sorted(found) == list(range(1, 24))
    assert [i.id for i in ck.items] == [f"C{n}" for n in range(1, 24)]
    # the texts are the seed's words with the OCR's broken letters restored: compare without
    # diacritics and without the answer boxes' OCR debris ("D D D D D", "l:‘")
    for item in ck.items:
        ocr = re.sub(r"\b(D|l|O0|Ooono)\b|[\[\]|:‘]", "", found[int(item.id[1:])])
        ratio = difflib.SequenceMatcher(None, fold(item.sv), fold(ocr)).ratio()
        assert ratio > 0.75, (item.id, item.sv, ocr, ratio)


def test_checklist_areas_are_the_seed_tables() -> None:
    # every answer table of section D starts with the header "Ja  Majo- Mino- Nej Vet"
    text = seed("003")
    start = text.index(" D. Checklista for att skapa ratt")
    section = text[start : text.index(" E. Centrala roller", start)]
    tables = [line for line in section.splitlines() if re.search(r"Ja\s+Majo-\s+Mino-", line)]
    ck = instrument("checklist")
    assert len(tables) == len(ck.areas) == 9
    for line, area in zip(tables, ck.areas, strict=True):
        heading = line[: line.index("Ja ")]
        # the heading's first line (a long one wraps below the table header)
        first = fold(heading)
        ratio = difflib.SequenceMatcher(None, fold(area.sv)[: len(first)], first).ratio()
        assert ratio > 0.8, (area.sv, heading, ratio)


def test_links_resolve() -> None:
    caps, srcs = capabilities(), sources()
    for key in ("self-assessment", "checklist"):
        ins = instrument(key)
        assert ins.seed in srcs
        for area in ins.areas:
            assert area.see and set(area.see) <= set(srcs), area.id
            for item in area.items:
                assert item.capabilities and set(item.capabilities) <= set(caps), item.id
                assert item.en and item.sv
    docs = Path(__file__).resolve().parents[2]
    for cap in caps.values():
        if cap.doc:
            assert (docs / cap.doc).exists() or cap.doc == "docs/assessment.md", cap.doc


def test_scales() -> None:
    sa, ck = instrument("self-assessment"), instrument("checklist")
    assert [o.band for o in sa.scale] == ["maintain", "analyse", "develop", "develop"]
    assert [o.band for o in ck.scale] == ["maintain", "analyse", "analyse", "develop", "develop"]
    assert sa.answer("instämmer DELVIS").key == "partly"  # type: ignore[union-attr]
    assert sa.answer("Vet ej – ej relevant").key == "dont_know"  # type: ignore[union-attr]
    assert sa.answer("don’t know").key == "dont_know"  # type: ignore[union-attr]
    assert ck.answer("Majoritet*").key == "majority"  # type: ignore[union-attr]
    assert ck.answer("yes").key == "yes"  # type: ignore[union-attr]
    assert sa.answer("kanske") is None
