"""A small chain made once per session: need + balance run here, the shipped published plan
and roster beside them; its report in English and Swedish."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pks_opt.commands import main
from pks_opt.instances import instance_path

CHROMIUM = Path("/usr/bin/chromium")
#: the system browser, headless, with nothing that would reach the network on its own
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pks(*args: str) -> str:
    res = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert res.exit_code in (0, 1), res.output
    return res.output


#: the balance's scenario: its part's lines include the acute dimensioning gap
DEMAND_UP = instance_path("region-small") / "scenarios" / "demand_up.yaml"


@pytest.fixture(scope="session")
def cycle_instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny two-handshake cycle of tests/cycle (unit A asks, then accepts): seconds."""
    from cycle.test_cycle import cycle_folder

    return cycle_folder(tmp_path_factory.mktemp("cycle-instance"))


@pytest.fixture(scope="session")
def chain(tmp_path_factory: pytest.TempPathFactory, cycle_instance: Path) -> Path:
    """need, a balance with a scenario, a cycle, and the shipped published plan and roster."""
    root = tmp_path_factory.mktemp("chain")
    pks("need", str(instance_path("seed-inpatient")), "--out", str(root / "need-seed"))
    pks(
        "balance",
        str(instance_path("region-small")),
        "--scenario",
        str(DEMAND_UP),
        "--out",
        str(root / "balance-region"),
    )
    pks("cycle", str(cycle_instance), "--out", str(root / "cycle-tiny"))
    shutil.copytree(instance_path("clinic-followup") / "published-plan", root / "plan-clinic")
    shutil.copytree(instance_path("ward-followup") / "published-roster", root / "roster-ward")
    return root


@pytest.fixture(scope="session")
def reports(chain: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reports")
    paths = {}
    for lang in ("en", "sv"):
        paths[lang] = out / f"report-{lang}.html"
        pks("report", str(chain), "--out", str(paths[lang]), "--lang", lang)
    return paths


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Playwright on the system Chromium (never a downloaded browser)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("no /usr/bin/chromium: .ci/run installs it (apt-get install chromium)")
        pytest.skip("no /usr/bin/chromium (apt-get install chromium chromium-driver)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go (PKS_REPORT_SHOTS to keep them somewhere else)."""
    keep = os.environ.get("PKS_REPORT_SHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        return Path(keep)
    return tmp_path_factory.mktemp("shots")


#: the demo's chain on its instances, with the smallest limits that still give every level a
#: solution: balance → plan (MEDCLIN's balanced goals) → matrix → roster, and the follow-up of
#: that plan against the shipped actuals; charts in Swedish (--lang sv)
CHAIN_STEPS = [
    (
        "plan-clinic",
        ["plan", "{i}/clinic-plan", "--from-balance", "{o}/balance-region", "--unit", "MEDCLIN"]
        + ["--max-nodes", "1", "--time-limit", "5"],
    ),
    (
        "matrix-from-plan",
        ["matrix", "{i}/clinic-plan-matrix", "--from-plan", "{o}/plan-clinic"]
        + ["--time-limit", "20", "--workers", "1"],  # 4 week types × 4 stages; 5 s fails under load
    ),
    (
        "roster-clinic",
        ["roster", "{i}/clinic-roster", "--from-matrix", "{o}/matrix-from-plan"]
        + ["--time-limit", "5", "--workers", "1", "--quiet"],
    ),
    ("followup-clinic", ["follow-up", "{o}/plan-clinic", "{i}/clinic-followup/actuals"]),
]


@pytest.fixture(scope="session")
def demo_chain(chain: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """balance → plan → matrix → roster → follow-up, as `pks demo` runs them (the balance is
    the small chain's)."""
    root = tmp_path_factory.mktemp("demo-chain")
    shutil.copytree(chain / "balance-region", root / "balance-region")
    for sub, argv in CHAIN_STEPS:
        args = [a.format(i=instance_path(""), o=root) for a in argv]
        pks(*args, "--lang", "sv", "--out", str(root / sub))
    return root


@pytest.fixture(scope="session")
def demo_reports(demo_chain: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("demo-reports")
    paths = {}
    for lang in ("en", "sv"):
        paths[lang] = out / f"chain-{lang}.html"
        pks("report", str(demo_chain), "--out", str(paths[lang]), "--lang", lang)
    return paths
