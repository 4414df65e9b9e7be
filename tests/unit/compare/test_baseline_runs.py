"""A baseline of several runs: timing verdicts include the noise between runs."""

import numpy as np
import pytest

from evalharness.commands.main import main
from evalharness.compare.engine import compare_reports
from evalharness.compare.stats import between_runs_bootstrap_relative
from evalharness.reports import load_baseline
from evalharness.reports.writer import atomic_write_json
from tests.unit.compare.test_engine import report


def _runs(shifts, seed=0):
    """Runs of 6 cases x 3 repeats whose whole-run speed moves by `shifts` (a busy machine)."""
    rng = np.random.default_rng(seed)
    return [[[(1 + 0.3 * i) * shift * (1 + 0.01 * rng.standard_normal()) for _ in range(3)] for i in range(6)]
            for shift in shifts]


def test_run_to_run_shift_is_not_a_verdict_but_a_real_slowdown_is():
    base = _runs((1.0, 1.12, 0.93, 1.05, 0.97))
    # the candidate sits 12% off the baseline mean, within what identical runs did: no verdict
    aa = between_runs_bootstrap_relative(base, _runs((1.13,), seed=9)[0])
    assert aa.low < 0.10 and aa.high > 0  # (a one-run interval would be ~[0.12, 0.14]: a "regression")
    slow = between_runs_bootstrap_relative(base, _runs((1.6,), seed=9)[0])
    assert 0.10 < slow.low < slow.estimate < slow.high
    with pytest.raises(ValueError, match="two baseline runs"):
        between_runs_bootstrap_relative(base[:1], base[0])


def test_compare_with_a_set_of_runs():
    runs = [report(f"b{i}", i, slow=s) for i, s in enumerate((1.0, 1.15, 0.9, 1.08))]
    quiet = compare_reports(runs, report("c", 9, slow=1.12))
    rows = {r.metric: r for r in quiet.rows}
    assert rows["latency_s.p50"].verdict in ("inconclusive", "no change")
    assert "baseline of 4 runs" in " ".join(rows["latency_s.p50"].notes)
    assert quiet.baseline_run == "b0, b1, b2, b3"
    slow = compare_reports(runs, report("c", 9, slow=1.8))
    rows = {r.metric: r for r in slow.rows}
    assert rows["latency_s.p50"].verdict == "regression" and rows["latency_s.p50"].severity == "critical"
    assert {"latency_s.p50", "decode_tokens_per_s"} <= {r.metric for r in slow.gating_failures()}


def test_baseline_set_pins_several_runs_and_gates(tmp_path, capsys):
    results = tmp_path / "results"
    paths = []
    for i, s in enumerate((1.0, 1.15, 0.9)):
        paths.append(tmp_path / f"b{i}.json")
        atomic_write_json(paths[-1], report(f"b{i}", i, slow=s))
    assert main(["baseline", "set", *map(str, paths), "--results-dir", str(results)]) == 0
    pinned = results / "baselines" / "s.json"
    assert [r.run_id for r in load_baseline(pinned)] == ["b0", "b1", "b2"]
    assert main(["baseline", "show", "s", "--results-dir", str(results)]) == 0
    assert "3 run(s)" in capsys.readouterr().out
    slow, same = tmp_path / "slow.json", tmp_path / "same.json"
    atomic_write_json(slow, report("slow", 7, slow=1.8))
    atomic_write_json(same, report("same", 8, slow=1.05))
    assert main(["compare", str(pinned), str(slow)]) == 1
    assert main(["compare", str(pinned), str(same)]) == 0
    assert main(["baseline", "set", str(paths[0]), str(paths[0]), "--results-dir", str(results)]) == 2
    other = tmp_path / "other.json"
    atomic_write_json(other, report("o", 3).model_copy(update={"suite": {"name": "t", "path": "t.yaml",
                                                                          "sha256": "0" * 64}}))
    assert main(["baseline", "set", str(paths[0]), str(other), "--results-dir", str(results)]) == 2
    assert "runs of one suite" in capsys.readouterr().err
