"""The report of a chain close to the demo's (balance → plan → matrix → roster, and the plan's
follow-up) in the system Chromium: every level's section and chart, findings that name their
run and lead to its section, trace links from the roster up to the balance, and Swedish with
no English words left (ids and names from the results' and the instances' id columns aside)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pks_opt.instances import instance_path
from pks_opt.report.html.collect import collect
from pks_opt.report.html.i18n import catalogue

from .test_browser import ALLOWED, _catalogue_words, _words, data_words, open_page

KINDS = ["balance", "production_plan", "activity_matrix", "roster", "follow_up"]


#: the instances the demo chain is made of: their ids may stand in Swedish text
INSTANCES = [
    "region-small",
    "clinic-plan",
    "clinic-plan-matrix",
    "clinic-roster",
    "clinic-followup",
]


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_chain_sections_charts_findings(
    browser: Any, demo_reports: dict[str, Path], demo_chain: Path, shots: Path, lang: str
) -> None:
    page, errors, requests = open_page(browser, demo_reports[lang])
    kinds = page.eval_on_selector_all("section.level", "els => els.map(e => e.dataset.kind)")
    assert sorted(set(kinds)) == sorted(KINDS)
    for section in page.locator("section.level").all():
        assert section.is_visible()
    runs = collect([demo_chain])
    charts = page.locator("section.level > .charts figure.chart img")
    assert charts.count() == sum(len(r.charts) for r in runs) >= len(KINDS)
    for img in charts.all():
        img.scroll_into_view_if_needed()
        assert img.evaluate("i => i.complete && i.naturalWidth > 100")
    # every finding names the run it came from and links to that run's section
    findings = page.locator("#overview .findings li")
    assert findings.count() >= 3
    folders = {r.name for r in runs}
    for li in findings.all():
        source = li.locator("a.source")
        href = source.get_attribute("href") or ""
        target = page.locator(f"section.level{href}")
        assert target.count() == 1, href
        named = source.inner_text()
        assert any(f in named for f in folders), named
        assert target.evaluate("s => s.id") == href[1:]
    if lang == "sv":  # one full page is enough to look at; sections in both languages
        page.screenshot(path=str(shots / f"chain-{lang}-full.png"), full_page=True)
    page.locator("#overview").screenshot(path=str(shots / f"chain-{lang}-overview.png"))
    for kind in KINDS:
        page.locator(f"section.level[data-kind={kind}]").first.screenshot(
            path=str(shots / f"chain-{lang}-{kind}.png")
        )
    assert errors == []
    assert requests == []


def test_chain_trace_leads_from_the_roster_up_to_the_balance(
    browser: Any, demo_reports: dict[str, Path]
) -> None:
    page, errors, _ = open_page(browser, demo_reports["en"])
    above = {"roster": "activity_matrix", "activity_matrix": "production_plan"}
    above["production_plan"] = "balance"
    for kind, parent in above.items():
        link = page.locator(f"section[data-kind={kind}] a.trace[href^='#sec-']").first
        target = link.get_attribute("href")
        assert target, kind
        link.dispatch_event("click")
        row = page.locator(target)
        assert row.is_visible(), target
        assert row.evaluate("r => r.closest('section.level').dataset.kind") == parent
    assert errors == []


def test_swedish_chain_report_has_no_english_words(
    browser: Any, demo_reports: dict[str, Path], demo_chain: Path
) -> None:
    page, _, _ = open_page(browser, demo_reports["sv"])
    page.evaluate("document.querySelectorAll('td.free').forEach(td => td.style.display = 'none')")
    text = page.locator("body").inner_text()
    ids = data_words(demo_chain, *(instance_path(i) for i in INSTANCES))
    allowed = _catalogue_words(catalogue("sv")) | ids | ALLOWED
    english = sorted(_words(text) - allowed)
    assert english == [], f"English (or unknown) words in the Swedish report: {english[:40]}"
    assert 'lang="en"' not in demo_reports["sv"].read_text(encoding="utf-8"), (
        "an explanation line was left untranslated"
    )
