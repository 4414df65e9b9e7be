"""The CI gate through the CLI on the tiny real model: a baseline set of several runs gates a
slow candidate; a one-run baseline only warns on the same timings."""

import json
from pathlib import Path

from tests.integration.conftest import cli


def _slowed(report: Path, factor: float, target: Path, run_id: str | None = None) -> Path:
    """The report with every sample's latency and TTFT x factor and tokens/s / factor."""
    data = json.loads(report.read_text())
    if run_id is not None:
        data["run_id"] = run_id
    for s in data["samples"]:
        for name in ("latency_s", "ttft_s", "inter_token_latency_s"):
            s[name] = None if s[name] is None else s[name] * factor
        for name in ("decode_tokens_per_s", "prefill_tokens_per_s"):
            s[name] = None if s[name] is None else s[name] / factor
    target.write_text(json.dumps(data))
    return target


def test_baseline_set_gates_a_slow_run_and_a_single_run_baseline_only_warns(tiny_suite, tmp_path):
    suite = str(tiny_suite(tokens=8, repeats=3))
    out, results = tmp_path / "out", tmp_path / "results"
    done = cli("run", suite, "--output-dir", str(out), "--quiet", "--variant", "*/fp32/*")
    assert done.returncode == 0, done.stdout + done.stderr
    measured = Path(done.stdout.split("report: ")[1].split()[0])
    # Three baseline runs with a known run-to-run spread (+-10%) around one measured run: real runs
    # on a loaded CI machine can spread x3 between runs, and then the gate rightly says inconclusive.
    runs = [_slowed(measured, f, tmp_path / f"run{i}.json", f"base-{i}") for i, f in enumerate((0.9, 1.0, 1.1))]
    pinned = cli("baseline", "set", *map(str, runs), "--results-dir", str(results))
    assert pinned.returncode == 0, pinned.stderr
    baseline = results / "baselines" / "tiny.json"
    slow = _slowed(measured, 3.0, tmp_path / "slow.json", "slow")

    gated = cli("compare", str(baseline), str(slow), "--json", str(tmp_path / "set.json"))
    assert gated.returncode == 1, gated.stdout
    rows = {r["metric"]: r for r in json.loads((tmp_path / "set.json").read_text())["rows"]}
    assert rows["latency_s.p50"]["verdict"] == "regression" and rows["latency_s.p50"]["severity"] == "critical"
    assert "baseline of 3 runs" in " ".join(rows["latency_s.p50"]["notes"])
    assert 1.5 < rows["latency_s.p50"]["change"] < 2.5  # x3 slower: +200%, whatever the run-to-run noise

    single = cli("compare", str(runs[0]), str(slow), "--json", str(tmp_path / "one.json"))
    assert single.returncode == 0, single.stdout
    assert "only warn" in single.stdout
    rows = {r["metric"]: r for r in json.loads((tmp_path / "one.json").read_text())["rows"]}
    assert rows["latency_s.p50"]["verdict"] == "regression" and rows["latency_s.p50"]["severity"] == "warning"
