"""The cycle's chart: each unit's agreed goals and what its plan can deliver.

Handshake by handshake (``goals_and_gaps.png``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pks_opt.report.figures import subplots
from pks_opt.result import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def cycle_charts(result: Result, lang: str = "en") -> dict[str, Figure]:
    """Draw one panel per unit: the goals asked, offered and agreed in each handshake.

    Texts in ``lang``.
    """
    from pks_opt.i18n import messages

    df = result.tables.get("handshake")
    if df is None or df.empty:
        return {}
    m = messages(lang)
    units = list(dict.fromkeys(df["unit"]))
    fig, axes = subplots(1, len(units), figsize=(4.2 * len(units), 3.6), squeeze=False)
    for ax, unit in zip(axes[0], units, strict=True):
        d = df[df["unit"] == unit]
        x = list(range(len(d)))
        ax.bar(
            [i - 0.2 for i in x],
            d["agreed"],
            width=0.4,
            label=m.text("plot", "cycle_agreed"),
            color="#4c72b0",
        )
        ax.bar(
            [i + 0.2 for i in x],
            d["achievable"].fillna(0),
            width=0.4,
            label=m.text("plot", "cycle_achievable"),
            color="#dd8452",
        )
        for i, (status, gap) in enumerate(zip(d["status"], d["gap"], strict=True)):
            top = max(d["agreed"].max(), d["achievable"].fillna(0).max())
            text = "✓" if status == "accepted" else f"{gap:+.0f}" if gap == gap else m.term(status)
            ax.text(i, top * 1.02, text, ha="center", fontsize=9)
        ax.set_xticks(
            x, [m.text("plot", "cycle_handshake", n=h) for h in d["handshake"]], fontsize=8
        )
        ax.set_title(f"{unit}: {m.term(list(d['status'])[-1])}", fontsize=10)
        ax.set_ylabel(m.text("plot", "cycle_ylabel"))
        ax.set_ylim(0, max(d["agreed"].max(), d["achievable"].fillna(0).max()) * 1.15)
    axes[0][0].legend(fontsize=8, loc="lower left")
    fig.suptitle(m.text("plot", "cycle_title"), fontsize=11)
    fig.tight_layout()
    return {"goals_and_gaps": fig}
