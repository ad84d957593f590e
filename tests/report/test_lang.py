"""--lang for the terminal summaries and the PNG charts: one catalogue (the report's), the
English output as before by default, Swedish when asked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pks_opt import api
from pks_opt.capacity_need import need_charts
from pks_opt.commands import main
from pks_opt.commands.common import summary_lines
from pks_opt.i18n import catalogue, num
from pks_opt.instances import instance_path

ROOT = Path(__file__).resolve().parents[2]
#: m.text("plot", "key") / m.text("summary", "key") / text(lang, "plot", "key") in the code,
#: the call possibly spread over lines
USE = re.compile(r"""\.?text\(\s*(?:\w+,\s*)?"(plot|summary)",\s*(f?)"([^"]+)\"""", re.S)


def _uses() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in (ROOT / "pks_opt").rglob("*.py"):
        for section, is_f, key in USE.findall(path.read_text(encoding="utf-8")):
            if is_f:  # f"rfu_tier{t}", f"roster_{k}": every key of the catalogue it can be
                prefix = key.split("{")[0]
                keys = [k for k in catalogue("en")[section] if k.startswith(prefix)]
                assert keys, f"{path}: {key}"
                found |= {(section, k) for k in keys}
            else:
                found.add((section, key))
    return found


def test_every_chart_and_summary_text_the_code_asks_for_is_in_both_catalogues() -> None:
    uses = _uses()
    assert len(uses) > 100  # the scan found the calls (charts of 8 levels, 9 summaries)
    for lang in ("en", "sv"):
        data = catalogue(lang)
        missing = sorted(f"{s}.{k}" for s, k in uses if k not in data.get(s, {}))
        assert missing == [], f"{lang}.yaml lacks {missing}"


def test_swedish_decimals() -> None:
    assert num(1234.5, ",.1f", "sv") == "1 234,5"
    assert num(1234.5, ",.1f", "en") == "1 234.5"


def _need(*extra: str) -> str:
    res = CliRunner().invoke(main, ["need", str(instance_path("seed-inpatient")), *extra])
    assert res.exit_code == 0, res.output
    return res.output


def test_need_summary_in_english_by_default_and_in_swedish_when_asked() -> None:
    en, sv = _need(), _need("--lang", "sv")
    # the seeds' ward: 2 000 admissions x 3.5 days = 7 000 bed days -> 20.19 beds at 95 %
    assert "status: COMPUTED" in en
    assert "2 000 admissions → 7 000 bed-days → 20.19 beds" in en
    assert "status: Beräknat" in sv and "nyckeltal:" in sv
    assert "2 000 vårdtillfällen → 7 000 vårddygn → 20,19 vårdplatser" in sv
    # the planned 20 beds x 365 days against 20 staffed beds: balanced, as the seed says
    assert "WARD 2026: vårdplatser 7 300 / 7 300 vårddygn = 1,00" in sv
    assert not re.search(r"\b(admissions|beds|staff|target|covers)\b", sv)


def test_generic_summary_names_in_swedish() -> None:
    result = api.need(instance_path("seed-inpatient"))
    sv = summary_lines(result, None, "sv")
    assert sv[1].startswith("status: Beräknat (en beräkning)  tid: ")
    assert "  Planerade vårdplatser: 20" in sv
    assert summary_lines(result, None) == summary_lines(result, None, "en")
    assert summary_lines(result, None)[1].startswith("status: COMPUTED  time: ")


def _texts(fig: object) -> str:
    from matplotlib.text import Text

    return " ".join(t.get_text() for t in fig.findobj(Text))  # type: ignore[attr-defined]


def test_need_chart_in_swedish() -> None:
    result = api.need(instance_path("seed-inpatient"))
    sv = _texts(need_charts(result, lang="sv")["need_vs_available"])
    en = _texts(need_charts(result)["need_vs_available"])
    assert "Kapacitetsbehov mot tillgänglig kapacitet" in sv and "vårdplatser" in sv
    assert "Need vs available capacity" in en
    assert "available" not in sv and "Need" not in sv


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_follow_up_charts_and_summary_follow_lang(tmp_path: Path, lang: str) -> None:
    out = tmp_path / "fu"
    fu = instance_path("clinic-followup")
    res = CliRunner().invoke(
        main,
        ["follow-up", str(fu / "published-plan"), str(fu / "actuals"), "--lang", lang],
    )
    assert res.exit_code == 0, res.output
    assert ("förklaring:" in res.output) == (lang == "sv")
    result = api.follow_up(fu / "published-plan", fu / "actuals")
    figs = result.charts(lang)
    text = _texts(figs["production_followup"]) + _texts(figs["queue_followup"])
    if lang == "sv":
        assert "utfall mot plan" in text and "väntelista" in text
        assert not re.search(r"\b(actual|forecast|week|patients)\b", text)
    else:
        assert "actual against plan" in text
    del out


def test_every_demo_step_has_its_title_in_both_languages() -> None:
    from pks_opt.commands.demo import DEMO_STEPS

    en, sv = catalogue("en")["demo_steps"], catalogue("sv")["demo_steps"]
    for title, sub, _argv in DEMO_STEPS:
        key = sub or "trace"
        assert en[key] == title, key  # the English title is the one the step names in code
        assert sv[key] and sv[key] != title, key


def test_demo_in_swedish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pks_opt.commands import demo as demo_module

    first = demo_module.DEMO_STEPS[0]  # the seeds' inpatient need: closed form, fast
    monkeypatch.setattr(demo_module, "DEMO_STEPS", [first])
    out = tmp_path / "demo"
    res = CliRunner().invoke(main, ["demo", "--out", str(out), "--lang", "sv"])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert lines[0].startswith(f"[ 1/1] {catalogue('sv')['demo_steps']['need-seed']} ... Beräknat")
    assert "begränsande kapaciteter" in lines[0]
    assert lines[-1] == f"öppna {out / 'report.html'} i en webbläsare för att läsa rapporten"
    env = (out / "need-seed" / "result.json").read_text(encoding="utf-8")
    assert "need_vs_available.png" in env  # its chart drawn (in Swedish: the step had --lang)
