"""Comparison of literal reports: known shifts are caught, equal runs are not flagged."""

import json

import numpy as np
import pytest
from junitparser import Failure, JUnitXml, Skipped

from evalharness.compare.engine import compare_reports
from evalharness.compare.output import junit, markdown
from evalharness.reports.schema import Report, Sample, Variant
from evalharness.runner.assemble import summarize_variant
from evalharness.select import Constraints, select
from evalharness.suite.gate import GatePolicy

CASES = [f"c{i}" for i in range(8)]
SIZES = [1.0, 2.0, 0.5, 3.0, 1.5, 2.5, 0.8, 1.2]
ENV = {"evalharness": "0.1.0", "python": "3.11", "platform": "linux", "torch": "2.13.0",
       "transformers": "5.24.0", "cpu_model": "EPYC", "cpu_count": 2, "memory_total_mb": 24000.0,
       "gpu_name": None, "gpu_memory_mb": None, "gpu_driver": None, "git_commit": None}


def report(run_id, seed, slow=1.0, footprint=500.0, score_drop=0.0, failures=0, quant="bf16",
           extra_variant=False, env=None, rss=900.0):
    rng = np.random.default_rng(seed)
    variants, samples = [], []
    specs = [("m", quant)] + ([("m", "fp16")] if extra_variant else [])
    for label, q in specs:
        vid = f"{label}/{q}/cpu"
        v = Variant(id=vid, model={"source": "hf", "id": "org/m", "label": label}, quantization=q,
                    device="cpu", status="ok",
                    load={"seconds": 3.0, "peak_rss_mb": 800.0, "footprint_mb": footprint})
        n_failed = 0
        for case, size in zip(CASES, SIZES):
            for r in range(3):
                noise = 1 + rng.normal(0, 0.03)
                fail = n_failed < failures and r == 0
                n_failed += fail
                lat = size * slow * noise
                samples.append(Sample(
                    variant_id=vid, case_id=case, repeat=r, prompt="p", output=None if fail else "o",
                    output_tokens=None if fail else 20, latency_s=None if fail else lat,
                    ttft_s=None if fail else lat * 0.1,
                    prefill_tokens_per_s=None, decode_tokens_per_s=None if fail else 20 / (lat * 0.9),
                    peak_rss_mb=None if fail else rss, gpu_peak_mb=None, success=not fail,
                    error="generation failed: x" if fail else None,
                    scores={} if fail else {"factual": max(0.0, 0.8 - score_drop + rng.normal(0, 0.02))}))
        variants.append(v)
    variants = [summarize_variant(v, samples) for v in variants]
    return Report(schema_version=1, run_id=run_id,
                  suite={"name": "s", "path": "s.yaml", "sha256": "0" * 64},
                  started_at="2026-11-28T10:00:00+00:00", finished_at="2026-11-28T10:10:00+00:00",
                  status="complete", environment={**ENV, **(env or {})},
                  config={"warmup": 1, "repeats": 3, "generation": {}, "scorers": ["factual"], "cases": 8},
                  variants=variants, samples=samples, alerts=[])


def verdicts(cmp):
    return {r.metric: r.verdict for r in cmp.rows}


def test_a_a_has_no_verdict_on_any_metric():
    for seed in range(5):
        cmp = compare_reports(report("a", seed), report("b", seed + 50))
        v = verdicts(cmp)
        assert all(x in ("no change", "inconclusive") for x in v.values()), v
        assert cmp.gating_failures("info") == []


def test_slower_heavier_worse_candidate_is_flagged():
    cmp = compare_reports(report("a", 1), report("b", 2, slow=1.4, footprint=600.0, score_drop=0.3,
                                                   failures=6))
    v = verdicts(cmp)
    assert v["latency_s.p50"] == v["latency_s.p95"] == v["ttft_s.p50"] == "regression"
    assert v["decode_tokens_per_s"] == "regression"
    assert v["footprint_mb"] == "regression"
    assert v["scores.factual"] == "regression"
    assert v["success_rate"] == "regression"
    row = next(r for r in cmp.rows if r.metric == "latency_s.p50")
    assert 0.3 < row.ci_low < row.change < row.ci_high < 0.5
    rate = next(r for r in cmp.rows if r.metric == "success_rate")
    assert rate.change == pytest.approx(-6 / 24) and rate.p_value == pytest.approx(2 / 64)
    assert v["load_s"] == "no change" and v["peak_rss_mb"] == "no change"
    assert "gpu_peak_mb" not in v  # unmeasured on both sides: not compared
    # one baseline run: the four timing regressions only warn (between-run noise unknown)
    assert len(cmp.gating_failures()) == 3 and len(cmp.gating_failures("warning")) == 7
    assert {r.severity for r in cmp.rows if r.kind == "timing" and r.metric != "load_s"} == {"warning"}
    strict = compare_reports(report("a", 1), report("b", 2, slow=1.4), GatePolicy(single_run_timing="gate"))
    assert {r.metric for r in strict.gating_failures()} == {"latency_s.p50", "latency_s.p95", "ttft_s.p50",
                                                           "decode_tokens_per_s"}


def test_faster_candidate_is_an_improvement():
    v = verdicts(compare_reports(report("a", 1), report("b", 2, slow=0.6, rss=700.0)))
    assert v["latency_s.p50"] == "improvement" and v["decode_tokens_per_s"] == "improvement"
    assert v["peak_rss_mb"] == "improvement"


def test_one_sided_variants_cases_and_environment_are_listed():
    base = report("a", 1, extra_variant=True)
    cand = report("b", 2, env={"cpu_model": "Xeon"})
    cand.samples[:] = [s for s in cand.samples if s.case_id != "c7"]
    cmp = compare_reports(base, cand)
    assert cmp.variants_only_in_baseline == ["m/fp16/cpu"]
    assert cmp.cases_only_in_baseline == {"m/bf16/cpu": ["c7"]}
    assert cmp.environment_differences == ["cpu_model: 'EPYC' -> 'Xeon'"]
    lat = next(r for r in cmp.rows if r.metric == "latency_s.p50")
    assert any("environment differs" in n for n in lat.notes)
    md = markdown(cmp)
    assert "variants only in the baseline: m/fp16/cpu" in md
    assert "| `m/bf16/cpu` | latency_s.p50 |" in md


def test_policy_chooses_gating_metrics_and_tolerance():
    policy = GatePolicy(metrics={"scores.*": "critical", "latency_s.p50": "warning"},
                        timing_tolerance=0.5)
    cmp = compare_reports(report("a", 1), report("b", 2, slow=1.4, score_drop=0.3), policy)
    v = verdicts(cmp)
    assert v["latency_s.p50"] in ("no change", "inconclusive")  # 40% is inside a 50% tolerance
    assert [r.metric for r in cmp.gating_failures()] == ["scores.factual"]
    assert next(r for r in cmp.rows if r.metric == "footprint_mb").severity is None


def test_junit_parses_with_a_real_junit_reader(tmp_path):
    cmp = compare_reports(report("a", 1), report("b", 2, slow=1.4))
    path = tmp_path / "gate.xml"
    path.write_text(junit(cmp))
    xml = JUnitXml.fromfile(str(path))
    suite = next(iter(xml))
    cases = list(suite)
    assert len(cases) == len(cmp.rows) and suite.tests == len(cases)
    failed = {(c.classname, c.name) for c in cases if any(isinstance(r, Failure) for r in c.result)}
    assert ("m/bf16/cpu", "latency_s.p50") in failed
    assert suite.failures == len(failed) == len(cmp.gating_failures("info"))
    msg = next(r for c in cases if c.name == "latency_s.p50" for r in c.result).message
    assert "regressed: +" in msg
    skipped = [c for c in cases if any(isinstance(r, Skipped) for r in c.result)]
    assert suite.skipped == len(skipped)
    json.dumps(cmp.to_dict())


def test_select_respects_constraints_and_explains_rejections():
    r = report("a", 1, extra_variant=True)
    fp16 = r.variants[1].model_copy(update={"load": r.variants[1].load.model_copy(update={"footprint_mb": 1})})
    r.variants[1] = fp16
    sel = select(r, Constraints(max_memory_mb=1000, min_scores={"factual": 0.5}), "latency")
    assert sel.chosen is not None and not sel.rejected
    assert {sel.chosen.variant.id, sel.runners_up[0].variant.id} == {"m/bf16/cpu", "m/fp16/cpu"}
    sel = select(r, Constraints(max_memory_mb=500, min_scores={"factual": 0.9}), "quality")
    assert sel.chosen is None
    reasons = dict((v.id, rs) for v, rs in sel.rejected)
    assert reasons["m/bf16/cpu"][0] == "memory 900 MB > 500 MB"
    assert reasons["m/bf16/cpu"][1].startswith("factual 0.") and "< 0.9" in reasons["m/bf16/cpu"][1]


def test_compare_cli_exit_codes_and_files(tmp_path, capsys):
    from evalharness.commands.main import main
    from evalharness.reports.writer import atomic_write_json

    a, b, slow = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "slow.json"
    atomic_write_json(a, report("a", 1))
    atomic_write_json(b, report("b", 2))
    atomic_write_json(slow, report("slow", 3, slow=1.5))
    assert main(["compare", str(a), str(b)]) == 0
    md, xml, js = tmp_path / "o.md", tmp_path / "o.xml", tmp_path / "o.json"
    assert main(["compare", str(a), str(slow)]) == 0  # timings against one run only warn
    assert "one baseline run" in capsys.readouterr().out
    assert main(["compare", str(a), str(slow), "--markdown", str(md), "--junit", str(xml),
                 "--json", str(js), "--gate-on", "warning"]) == 1
    assert "❌ **regression**" in md.read_text()
    assert JUnitXml.fromfile(str(xml))
    assert json.loads(js.read_text())["candidate_run"] == "slow"
    assert main(["compare", str(a), str(tmp_path / "nope.json")]) == 2
    out = capsys.readouterr()
    assert "nope.json: cannot read" in out.err
    # pin a baseline, then show it
    results = tmp_path / "results"
    assert main(["baseline", "set", str(a), "--results-dir", str(results)]) == 0
    assert (results / "baselines" / "s.json").is_file()
    assert main(["baseline", "show", "s", "--results-dir", str(results)]) == 0
    assert main(["baseline", "show", "zz", "--results-dir", str(results)]) == 2
    assert main(["select", str(a), "--max-memory-mb", "10"]) == 1
    assert main(["select", str(a), "--min-score", "factual"]) == 2
    assert main(["select", str(a), "--optimize", "memory"]) == 0
