"""A small mixed-integer program built row by row and solved by HiGHS.

The weekend models (:mod:`pks_opt.rostering.weekend_bound`, :mod:`pks_opt.rostering.weekend_plan`)
are tens of thousands of binaries with short rows; built as plain lists and passed to HiGHS as
one row-wise matrix they cost well under a second to set up.
"""

from __future__ import annotations

from typing import Any


class MipRows:
    """Columns (lower bound 0) and rows ``lo ≤ Σ vals·cols ≤ hi``, for one HiGHS solve."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.upper: list[float] = []
        self.integer: list[bool] = []
        self.rows: list[tuple[float, float, list[int], list[float]]] = []

    def col(self, cost: float, upper: float, integer: bool) -> int:
        """Add a column; its index."""
        self.cost.append(cost)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.cost) - 1

    def row(self, lo: float, hi: float, cols: list[int], vals: list[float] | None = None) -> None:
        """Add ``lo ≤ Σ vals·cols ≤ hi`` (all ones when ``vals`` is None), unless empty."""
        if cols:
            self.rows.append((lo, hi, cols, [1.0] * len(cols) if vals is None else vals))

    def solve(self, time_limit: float, rel_gap: float | None = None) -> Any:
        """Run HiGHS (one thread, seed 0) for at most ``time_limit`` s; the ``highspy.Highs``."""
        import highspy

        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(self.cost), len(self.rows)
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = self.cost, [0.0] * len(self.cost), self.upper
        lp.row_lower_ = [lo for lo, _hi, _c, _v in self.rows]
        lp.row_upper_ = [hi for _lo, hi, _c, _v in self.rows]
        kind = highspy.HighsVarType
        lp.integrality_ = [kind.kInteger if b else kind.kContinuous for b in self.integer]
        a = lp.a_matrix_
        a.format_ = highspy.MatrixFormat.kRowwise
        a.num_col_, a.num_row_ = lp.num_col_, lp.num_row_
        start, index, value = [0], [], []
        for _lo, _hi, cols, vals in self.rows:
            index.extend(cols)
            value.extend(vals)
            start.append(len(index))
        a.start_, a.index_, a.value_ = start, index, value
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("time_limit", max(0.1, time_limit))
        if rel_gap is not None:
            h.setOptionValue("mip_rel_gap", rel_gap)
        h.passModel(lp)
        h.run()
        return h
