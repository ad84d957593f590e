"""Every result ``kind`` the code writes is listed in RESULT_KINDS and in the README's
envelope table (the README once listed ``plan``/``matrix`` while the code wrote
``production_plan``/``activity_matrix`` and an undocumented ``roster-benchmark``)."""

from __future__ import annotations

import re
from pathlib import Path

from pks_opt.constants import RESULT_KINDS

ROOT = Path(__file__).resolve().parents[1]
#: Result("kind", …), Result(kind="kind", …) and module constants FOO_KIND = "kind"
PATTERNS = (
    re.compile(r"\bResult\(\s*\"([\w-]+)\""),
    re.compile(r"\bResult\([^)]*?\bkind=\"([\w-]+)\"", re.S),
    re.compile(r"^(?!INSTANCE_KIND)(?:[A-Z]+_)?KIND = \"([\w-]+)\"", re.M),
)


def _emitted() -> set[str]:
    kinds: set[str] = set()
    for path in (ROOT / "pks_opt").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in PATTERNS:
            kinds.update(pattern.findall(text))
    return kinds


def test_every_emitted_kind_is_known() -> None:
    emitted = _emitted()
    assert {"production_plan", "activity_matrix", "roster-benchmark"} <= emitted
    assert emitted <= set(RESULT_KINDS)


def test_the_readme_lists_every_kind() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `kind` |"))
    listed = set(re.findall(r"`([\w-]+)`", row)) - {"kind"}
    assert listed == set(RESULT_KINDS)
