"""Best responses (``pks_opt/rostering/best_response.py``): each employee in turn takes the
best schedule given the others; the benchmark objective never rises and every rule holds."""

from __future__ import annotations

import time
from pathlib import Path

from pks_opt.formats.curtois import evaluate, read_curtois
from pks_opt.rostering.best_response import BestResponse, best_response_roster

from .test_colgen import TINY


def test_tiny_reaches_the_hand_optimum(tmp_path: Path) -> None:
    # TINY (test_colgen): optimum 100. A responds first to an empty roster: every day saves
    # 100, day 6 another 5 (A's request), so A works day 6 and two more. B then saves 100 on
    # each of the four days left short, 3 less on day 0 (B's request not to work it), so B
    # takes three of them, not day 0 when it can: one day short, every request granted: 100.
    # The second sweep changes nothing (no one alone can do better): a local optimum.
    path = tmp_path / "Tiny.txt"
    path.write_text(TINY)
    inst = read_curtois(path)
    roster, sweeps = best_response_roster(inst, time.perf_counter() + 60)
    assert roster is not None and sweeps == 2
    ev = evaluate(inst, roster)
    assert ev.objective == 100 and ev.violations == []


def test_sweeps_never_worsen_and_keep_every_rule(curtois_dir: Path) -> None:
    inst = read_curtois(curtois_dir / "Instance8.txt")
    br = BestResponse(inst)
    deadline = time.perf_counter() + 120
    values = []
    while True:
        changed = br.sweep(deadline)
        assert changed is not None  # 30 people x 28 days: a sweep takes well under a second
        roster = br.roster()
        assert roster is not None
        ev = evaluate(inst, roster)
        assert ev.violations == []
        values.append(ev.objective)
        if changed == 0:
            break
    assert values == sorted(values, reverse=True)
    assert len(values) >= 2 and values[-1] < values[0]  # the later sweeps improve on the greedy
    assert values[-1] == values[-2]  # the last sweep changed nothing


def test_stops_at_the_deadline(curtois_dir: Path) -> None:
    inst = read_curtois(curtois_dir / "Instance8.txt")
    roster, sweeps = best_response_roster(inst, time.perf_counter())
    assert roster is None and sweeps == 0  # no sweep finished: no complete roster
