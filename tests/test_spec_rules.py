"""Every numbered rule of the model specs (``models/*.md``) is named by at least one test.

Convention: a test names the rules whose behaviour it checks with a marker,

    @pytest.mark.rule("production_plan", "R9b")
    def test_...

(model = the spec's file name, then one or more rule tags as the spec writes them: ``R3``,
``R3b``, ``C1``). A rule is the bold tag that starts a list item of a spec (``- **R1 queue
dynamics**`` or ``* **R1** one shift a day``).

There is no allow-list: a new rule comes with its test.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULE = re.compile(r"^\s*[-*]\s+\*\*([A-Z]\d+[a-z]?)\b", re.M)


def spec_rules() -> set[tuple[str, str]]:
    rules: set[tuple[str, str]] = set()
    for spec in sorted((ROOT / "models").glob("*.md")):
        rules |= {(spec.stem, tag) for tag in RULE.findall(spec.read_text(encoding="utf-8"))}
    return rules


def _rule_marks(tree: ast.AST) -> list[tuple[str, ...]]:
    """The string arguments of every ``pytest.mark.rule(...)`` call in a module."""
    marks = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "rule"
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "mark"
        ):
            args = [a.value for a in node.args if isinstance(a, ast.Constant)]
            marks.append(tuple(str(a) for a in args))
    return marks


def rules_named_by_tests() -> set[tuple[str, str]]:
    named: set[tuple[str, str]] = set()
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        for model, *tags in _rule_marks(ast.parse(path.read_text(encoding="utf-8"))):
            named |= {(model, tag) for tag in tags}
    return named


def test_the_specs_have_numbered_rules() -> None:
    rules = spec_rules()
    # a parse that finds nothing would make the next tests pass vacuously
    assert {("production_plan", "R9b"), ("activity_matrix", "R6"), ("rostering", "R3b")} <= rules
    assert {m for m, _ in rules} == {p.stem for p in (ROOT / "models").glob("*.md")}


def test_every_rule_is_named_by_a_test() -> None:
    missing = sorted(spec_rules() - rules_named_by_tests())
    assert not missing, f"rules no test names (add @pytest.mark.rule(model, tag)): {missing}"


def test_every_named_rule_exists() -> None:
    unknown = sorted(rules_named_by_tests() - spec_rules())
    assert not unknown, f"tests name rules the specs do not have: {unknown}"
