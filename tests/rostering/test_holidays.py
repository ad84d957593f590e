"""Swedish public holidays in the roster calendar: a holiday takes Sunday's weekday demand
(and the activity matrix's Sunday sessions), and is named in coverage.csv and the heatmap."""

from __future__ import annotations

import shutil
from pathlib import Path

from pks_opt.calendar import holidays_between
from pks_opt.instances import instance_path
from pks_opt.rostering import read_roster


def _demand(data, day: int) -> set[tuple[str, str, int, int]]:  # noqa: ANN001
    return {(d.shift, d.competence, d.required, d.tier) for d in data.demand if d.day == day}


def test_calendar_has_the_swedish_holidays_and_eves() -> None:
    import datetime as dt

    cal = holidays_between(dt.date(2026, 3, 30), dt.date(2026, 12, 31))
    assert cal[dt.date(2026, 4, 3)] == "Långfredagen" and cal[dt.date(2026, 5, 1)] == "Första maj"
    assert cal[dt.date(2026, 6, 19)] == "Midsommarafton"  # a de facto holiday eve
    assert cal[dt.date(2026, 12, 24)] == "Julafton"
    assert dt.date(2026, 4, 12) not in cal  # an ordinary Sunday is not a holiday


def test_ward_roster_holidays_take_sunday_demand(tmp_path: Path) -> None:
    # ward-roster starts Monday 2026-03-30 (day 0): Good Friday 04-03 is day 4, Easter Sunday
    # day 6, Easter Monday day 7, 1 May day 32 (week 2, from 04-06, is a "low" week).
    data = read_roster(instance_path("ward-roster"))
    assert dict(data.holidays) == {
        4: "Långfredagen",
        6: "Påskdagen",
        7: "Annandag påsk",
        32: "Första maj",
    }
    sunday = _demand(data, 13)  # 2026-04-12, an ordinary Sunday of a normal week
    assert _demand(data, 4) == sunday and _demand(data, 32) == sunday
    assert _demand(data, 18) != sunday  # an ordinary Friday (04-17) keeps its weekday demand
    # holidays: none keeps Good Friday a Friday
    folder = tmp_path / "w"
    shutil.copytree(instance_path("ward-roster"), folder)
    manifest = folder / "instance.yaml"
    manifest.write_text(
        manifest.read_text().replace("parameters:\n", "parameters:\n  holidays: none\n", 1)
    )
    plain = read_roster(folder)
    assert plain.holidays == () and _demand(plain, 4) == _demand(plain, 18)
