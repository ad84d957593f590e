"""Activity matrix (*aktivitetsschema*, *behovsmatris*): the weekly template of rooms and staff.

Public entry points: :func:`read_matrix` (instance → :class:`MatrixData`),
:func:`matrices_from_plan` (one :class:`MatrixData` per week type of a production plan) and
:func:`solve_matrices` (→ :class:`~pks_opt.result.Result`). Model: ``models/activity_matrix.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

from pks_opt.activity_matrix.data import MatrixData, build_matrix, read_matrix
from pks_opt.activity_matrix.from_plan import matrices_from_plan
from pks_opt.constants import DEFAULT_TIME_LIMIT_S
from pks_opt.result import Result

__all__ = ["MatrixData", "build_matrix", "matrices_from_plan", "read_matrix", "solve_matrices"]


def solve_matrices(
    datas: Sequence[MatrixData],
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    workers: int = 1,
    seed: int = 0,
    deterministic: bool = True,
) -> Result:
    """Solve one matrix per week type (the time limit is shared out evenly) into one Result.

    ``deterministic``: the time limit is CP-SAT deterministic time (see
    ``model.WALL_CLOCK_FACTOR``), so with one worker the same input and seed give the same
    matrix; else it is wall-clock seconds from this call (building the models included).
    """
    import time

    from pks_opt import interrupt
    from pks_opt.activity_matrix.model import MatrixRun, solve_matrix
    from pks_opt.activity_matrix.solution import build_result

    t0 = time.perf_counter()
    runs: list[MatrixRun] = []
    for i, data in enumerate(datas):
        if runs and interrupt.requested():  # stopped by a signal: no further week type
            break
        used = (
            sum(r.deterministic_time for r in runs) if deterministic else time.perf_counter() - t0
        )
        left = max(0.05, time_limit_s - used)
        runs.append(
            solve_matrix(
                data,
                time_limit_s=left / (len(datas) - i),
                workers=workers,
                seed=seed,
                deterministic=deterministic,
            )
        )
    name = datas[0].name if datas else ""
    return build_result(runs, instance=name, workers=workers, seed=seed)
