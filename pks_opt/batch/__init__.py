"""Batch solver runs (``pks batch``, ``docs/batch.md``): a manifest of runs and a grid.

The grid holds scenario overrides; runs go in processes or on a Dask cluster, resumable,
with a summary.

>>> from pks_opt.batch import load_manifest, run_batch   # doctest: +SKIP
>>> batch = load_manifest("instances/region-small/sweep.yaml")   # doctest: +SKIP
>>> records = run_batch(batch, Path("out/sweep"), workers=2)      # doctest: +SKIP
"""

from pks_opt.batch.manifest import Batch, RunSpec, load_manifest
from pks_opt.batch.runner import RunRecord, execute, run_batch

__all__ = ["Batch", "RunRecord", "RunSpec", "execute", "load_manifest", "run_batch"]
