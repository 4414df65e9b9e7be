"""The gate never passes what it could not judge, and baselines stay under results/baselines
(issue: hostile input)."""

import json

import pytest

from evalharness.commands.main import main
from evalharness.compare.engine import compare_reports
from evalharness.reports import ReportError, load_report
from evalharness.reports.writer import atomic_write_json
from tests.unit.compare.test_identity import _run


def write(tmp_path, report, name):
    path = tmp_path / f"{name}.json"
    atomic_write_json(path, report)
    return path


def test_a_candidate_without_variants_fails_the_gate(tmp_path):
    base = _run("a", 1.0, 2.0)
    empty = base.model_copy(update={"run_id": "b", "variants": [], "samples": []})
    cmp = compare_reports(base, empty)
    assert cmp.problems and "no variant that ran" in cmp.problems[0]
    assert main(["compare", str(write(tmp_path, base, "a")), str(write(tmp_path, empty, "b"))]) == 1


def test_a_missing_or_failed_variant_fails_the_gate():
    base = _run("a", 1.0, 2.0)
    failed = [v.model_copy(update={"status": "failed"}) if v.id.endswith("threads=2") else v for v in base.variants]
    cmp = compare_reports(base, base.model_copy(update={"run_id": "b", "variants": failed}))
    assert cmp.problems == ["the candidate lacks (or failed) baseline variants: x/fp32/cpu/threads=2"]


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_figures_are_rejected_when_read(tmp_path, bad):
    path = write(tmp_path, _run("a", 1.0, 2.0), "a")
    text = path.read_text().replace('"latency_s": 1.0', f'"latency_s": {bad}', 1)
    path.write_text(text)
    with pytest.raises(ReportError, match="finite"):
        load_report(path)
    assert main(["compare", str(path), str(path)]) == 2


def test_a_zero_baseline_is_a_problem_not_a_traceback_and_json_is_strict(tmp_path):
    base = _run("a", 1.0, 2.0)
    zero = base.model_copy(update={"samples": [s.model_copy(update={"ttft_s": 0.0}) for s in base.samples]})
    cmp = compare_reports(zero, base)
    assert any("ttft_s.p50" in p and "zero baseline" in p for p in cmp.problems)
    out = tmp_path / "cmp.json"
    assert main(["compare", str(write(tmp_path, zero, "z")), str(write(tmp_path, base, "a")),
                 "--json", str(out)]) == 1
    json.loads(out.read_text(), parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))


@pytest.mark.parametrize("tol", ["nan", "inf", "-0.1"])
def test_tolerance_must_be_finite(tmp_path, tol):
    path = write(tmp_path, _run("a", 1.0, 2.0), "a")
    try:  # NaN and infinities are refused by the argument parser itself (exit 2), -0.1 by the policy
        code = main(["compare", str(path), str(path), f"--tolerance={tol}"])
    except SystemExit as exc:
        code = exc.code
    assert code == 2


@pytest.mark.parametrize("name", ["../../escaped", "/abs/path", "a/b", ".hidden", "x" * 200])
def test_baseline_set_stays_under_results_baselines(tmp_path, name, capsys):
    report = _run("a", 1.0, 2.0)
    report = report.model_copy(update={"suite": report.suite.model_copy(update={"name": name})})
    path = write(tmp_path, report, "r")
    results = tmp_path / "results"
    assert main(["baseline", "set", str(path), "--results-dir", str(results)]) == 2
    assert "cannot name a baseline file" in capsys.readouterr().err
    assert not results.exists() and not (tmp_path / "escaped.json").exists()
    assert main(["baseline", "show", name, "--results-dir", str(results)]) == 2
