"""The roster heatmap marks uncovered shifts: a hatched red cell per day with people missing
(in a bottom row, with their number) and on a named person's day when they are not on the
shift they were named for; a legend entry says what the hatching means."""

from __future__ import annotations

from pathlib import Path

from pks_opt.rostering import read_roster
from pks_opt.rostering.charts import SHORT_HATCH, roster_heatmap
from pks_opt.rostering.data import NamedDemand
from rostering.conftest import write_instance


def _hatched(fig) -> set[tuple[float, float]]:  # noqa: ANN001
    ax = fig.axes[0]
    return {
        (round(p.get_x() + p.get_width() / 2), round(p.get_y() + p.get_height() / 2))
        for p in ax.patches
        if p.get_hatch() == SHORT_HATCH
    }


def test_heatmap_hatches_uncovered_shifts(tmp_path: Path) -> None:
    # 3 days, 2 RN asked on D each day; ann works D on all 3 days, bo on day 0 only: day 1 and
    # day 2 are 1 person short each. bo is also named for D on day 2 (a matrix session) and is
    # not there. Rows: ann 0, bo 1, the short row 2; columns are days.
    folder = write_instance(
        tmp_path / "w",
        staff="id,competences\nann,RN\nbo,RN\n",
        demand="".join(["weekday,shift,competence,staff\n"] + [f"{d},D,RN,2\n" for d in range(7)]),
    )
    data = read_roster(folder)
    named = (NamedDemand(day=2, shift="D", competence="RN", staff="bo"),)
    data = data.model_copy(update={"named_demand": named})
    roster = {("ann", d): ("D", "RN") for d in range(3)} | {("bo", 0): ("D", "RN")}
    fig = roster_heatmap(data, roster)
    assert _hatched(fig) == {(1, 2), (2, 2), (2, 1)}
    ax = fig.axes[0]
    counts = sorted((round(t.get_position()[0]), t.get_text()) for t in ax.texts)
    assert counts == [(1, "1"), (2, "1")]  # one person missing on day 1 and on day 2
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ann", "bo", "Short"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Short" in legend
    sv = roster_heatmap(data, roster, lang="sv").axes[0]
    assert "Saknas" in [t.get_text() for t in sv.get_legend().get_texts()]
    # all covered: nothing hatched and no legend entry for it
    full = roster | {("bo", d): ("D", "RN") for d in (1, 2)}
    covered = roster_heatmap(data, full)
    assert _hatched(covered) == set()
    assert "Short" not in [t.get_text() for t in covered.axes[0].get_legend().get_texts()]
