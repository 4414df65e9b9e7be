"""Two variants of one run compared with the same paired statistics (`--baseline-variant`)."""

import json

from evalharness.commands.main import main
from evalharness.compare.engine import compare_within
from evalharness.reports import load_report
from tests.unit.compare.test_identity import _run


def test_two_variants_of_one_run_slower_one_is_a_regression(tmp_path):
    report = _run("r", 1.0, 2.0)
    cmp = compare_within(report, [("x/fp32/cpu/threads=1", "x/fp32/cpu/threads=2")])
    assert cmp.problems == []
    rows = {r.metric: r for r in cmp.rows}
    assert rows["latency_s.p50"].verdict == "regression" and 0.9 < rows["latency_s.p50"].change < 1.1
    assert rows["decode_tokens_per_s"].verdict == "no change"
    assert cmp.baseline_run == "r:x/fp32/cpu/threads=1"
    same = compare_within(report, [("x/fp32/cpu/threads=1", "x/fp32/cpu/threads=1")])
    assert {r.verdict for r in same.rows} <= {"no change", "inconclusive"}


def test_a_missing_or_failed_variant_is_a_problem_not_a_pass():
    report = _run("r", 1.0, 1.0)
    cmp = compare_within(report, [("x/fp32/cpu/threads=1", "nope")])
    assert cmp.problems == ["no variant 'nope' in run r (2 variants)"] and cmp.rows == []
    broken = report.model_copy(update={"variants": [report.variants[0], report.variants[1].model_copy(
        update={"status": "failed", "error": "worker killed by SIGKILL"})]})
    cmp = compare_within(broken, [("x/fp32/cpu/threads=1", "x/fp32/cpu/threads=2")])
    assert cmp.problems == ["variant x/fp32/cpu/threads=2 failed: worker killed by SIGKILL"]


def test_cli_compares_within_one_report(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(_run("r", 1.0, 2.0).model_dump_json())
    out = tmp_path / "cmp.json"
    code = main(["compare", str(path), "--baseline-variant", "x/fp32/cpu/threads=1",
                 "--candidate-variant", "x/fp32/cpu/threads=2", "--json", str(out)])
    assert code == 1  # the slower variant regresses
    assert json.loads(out.read_text())["candidate_run"] == "r:x/fp32/cpu/threads=2"
    assert main(["compare", str(path), "--baseline-variant", "x/fp32/cpu/threads=1",
                 "--candidate-variant", "x/fp32/cpu/threads=1"]) == 0
    assert main(["compare", str(path), "--baseline-variant", "x/fp32/cpu/threads=1"]) == 2
    assert main(["compare", str(path), str(path), "--baseline-variant", "a", "--candidate-variant", "b"]) == 2
    assert main(["compare", str(path)]) == 2
    assert load_report(path).run_id == "r"


def test_a_run_gated_against_a_baseline_and_within_keeps_both_outputs(tmp_path):
    import argparse

    from evalharness.commands.compare import gate
    from evalharness.suite.gate import GatePolicy

    report = _run("r", 1.0, 2.0)
    out = tmp_path / "gate.json"
    args = argparse.Namespace(markdown=None, junit=None, json=out, gate_on="critical")
    gate([report], report, GatePolicy(), args)  # as `run --baseline B --gate-variants X=Y --json F` does
    gate(report, report, GatePolicy(), args, [("x/fp32/cpu/threads=1", "x/fp32/cpu/threads=2")], "variants")
    first, second = json.loads(out.read_text()), json.loads((tmp_path / "gate.variants.json").read_text())
    assert first["candidate_run"] == "r" and second["candidate_run"] == "r:x/fp32/cpu/threads=2"
