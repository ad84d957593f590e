"""Traceability across the levels (``trace.csv`` in every level's output, ``pks trace``).

Every level writes ``trace.csv`` with the columns :data:`TRACE_COLUMNS`: a stable ``id`` per
row (``need:U:O:P`` and ``goal:U:O:P`` at the balance, ``plan:U:O:wN`` at the plan,
``matrix:…`` at the matrix, ``roster:…`` at the roster), what it is (level, unit, object,
period, quantity and its measure) and ``parent_ids``: the ``;``-separated ids of the rows in
the level above's ``trace.csv`` it was made from.
"""

from __future__ import annotations

TRACE_FILE = "trace.csv"
TRACE_COLUMNS = (
    "id",
    "level",
    "unit",
    "object",
    "period",
    "quantity",
    "measure",
    "parent_ids",
    "note",
)
