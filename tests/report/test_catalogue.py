"""Message catalogues: the same keys and placeholders in Swedish and English; numbers as
people read them; the demo's one line per step and its report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pks_opt.report.html import explain
from pks_opt.report.html.fmt import money, number, percent, solver_names
from pks_opt.report.html.i18n import Messages, catalogue, explain_patterns, flat_keys


def test_every_key_is_in_both_languages() -> None:
    sv, en = flat_keys(catalogue("sv")), flat_keys(catalogue("en"))
    assert sv - en == set(), f"in sv.yaml only: {sorted(sv - en)}"
    assert en - sv == set(), f"in en.yaml only: {sorted(en - sv)}"


def test_every_explanation_pattern_has_a_text_in_each_language() -> None:
    for lang in ("sv", "en"):
        texts = catalogue(lang)["explain"]
        for key, pattern in explain_patterns():
            assert key in texts, f"explain.{key} missing in {lang}.yaml"
            used = set(re.findall(r"\{(\w+)\}", texts[key]))
            assert used <= set(pattern.groupindex), f"{lang} explain.{key} uses {used}"


def test_sv_placeholders_are_those_of_en() -> None:
    sv, en = catalogue("sv"), catalogue("en")
    for section in ("ui", "findings", "headline"):
        for key, text in en[section].items():
            assert set(re.findall(r"\{([^}]+)\}", sv[section][key])) == set(
                re.findall(r"\{([^}]+)\}", text)
            ), f"{section}.{key}"


def test_numbers_as_people_read_them() -> None:
    assert money(1_500_000, "sv") == "1\u00a0500\u00a0000\u00a0kr"
    assert money(150_000_000.4, "en") == "150\u00a0000\u00a0000\u00a0SEK"
    assert number(0.95, "sv") == "0,95"
    assert number(1256149.937, "en") == "1\u00a0256\u00a0150"
    assert percent(0.85, "sv") == "85\u00a0%"
    assert solver_names("capacity[MED,bed_days,2027Q3]") == "MED bed_days 2027Q3"


def test_explanation_lines_in_swedish_without_solver_names() -> None:
    m = Messages("sv")
    line = explain.line(
        "116 activities of med_admission at MED stay unmet; limiting: "
        "capacity[MED,bed_days,2027Q3], capacity[MED,nurse_h,2027Q3]",
        m,
    )
    assert not line.untranslated
    assert line.text == (
        "116 aktiviteter med_admission vid MED blir ej utförda; begränsande: "
        "MED vårddygn 2027Q3, MED sjukskötersketimmar 2027Q3"
    )
    budget = explain.line("budget[TOTAL] is fully used (1,191,000,000 SEK)", m)
    assert budget.text == "budgeten för TOTAL är helt använd (1\u00a0191\u00a0000\u00a0000 kr)"
    other = explain.line("something new", m)
    assert other.untranslated and other.text == "something new"


def test_demo_prints_one_line_per_step_and_writes_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from pks_opt.commands import demo as demo_module
    from pks_opt.commands import main

    monkeypatch.setattr(
        demo_module,
        "DEMO_STEPS",
        [
            ("Need", "need-seed", ["need", "{instances}/seed-inpatient"]),
            ("Balance", "balance-region", ["balance", "{instances}/region-small"]),
        ],
    )
    out = tmp_path / "demo"
    res = CliRunner().invoke(main, ["demo", "--out", str(out)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 4, res.output
    # the seed's round 1 is balanced at 20 beds (planned beds vs staffed: issue 20)
    assert lines[0].startswith("[ 1/2] Need ... COMPUTED · 0 limiting capacities")
    assert "action cost" in lines[1] and "SEK" in lines[1]
    assert (out / "report.html").is_file()
    assert lines[-1] == f"open {out / 'report.html'} in a browser to read the report"
