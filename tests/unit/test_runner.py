"""The runner with a fake backend and fake clock: no model, exact figures."""

from pathlib import Path

import pytest

from evalharness.reports import load_report, read_samples_log
from evalharness.runner import Runner, RunOptions
from evalharness.suite import load_suite
from tests.fakes import FakeBackend

SUITE = """
name: fake
models:
  - source: hf
    id: org/model-a
    name: a
  - source: hf
    id: org/model-b
    name: b
quantizations: [fp32, int8-dynamic]
device: cpu
generation: {max_new_tokens: 6}
warmup: 1
repeats: 2
scorers: [factual, coherence]
cases:
  - id: paris
    prompt: "The capital of France is"
    reference: Paris
  - id: count
    messages: [{role: user, content: "count to three"}]
"""

ANSWERS = {"paris": "Paris is the capital .", "count": "one two three"}


class Factory:
    def __init__(self, broken=(), fail_on=None, interrupt_after=None):
        self.broken = set(broken)
        self.fail_on = fail_on or {}
        self.interrupt_after = interrupt_after
        self.backends = []
        self.generated = 0

    def __call__(self, plan):
        if plan.id in self.broken:
            raise OSError(f"cannot find {plan.model.id}")
        factory = self

        class Counting(FakeBackend):
            def generate(self, ids, params):
                factory.generated += 1
                if factory.interrupt_after is not None and factory.generated > factory.interrupt_after:
                    raise KeyboardInterrupt
                return super().generate(ids, params)

        b = Counting(answers=ANSWERS, fail_on=self.fail_on.get(plan.id, {}))
        self.backends.append(b)
        return b


def run(write_suite, tmp_path, factory, text=SUITE):
    loaded = load_suite(write_suite(text))
    return Runner(loaded, RunOptions(output_dir=tmp_path / "results", isolation="none"), factory=factory)


def test_full_run_measures_scores_and_writes_report(write_suite, tmp_path):
    factory = Factory()
    outcome = run(write_suite, tmp_path, factory).run(run_id="r1")
    assert outcome.report_path == tmp_path / "results" / "fake" / "r1.json"
    report = load_report(outcome.report_path)
    assert report.status == "complete"
    assert [v.id for v in report.variants] == [
        "a/fp32/cpu", "a/int8-dynamic/cpu", "b/fp32/cpu", "b/int8-dynamic/cpu"]
    assert len(report.samples) == 4 * 2 * 2
    assert factory.generated == 4 * (1 + 2 * 2)  # one warm-up per variant, kept out of samples
    s = next(x for x in report.samples if x.case_id == "paris")
    # 5 words then EOS: prefill 0.5 s, then 0.1 s per token; EOS not counted
    assert s.output == "Paris is the capital ." and s.output_tokens == 5
    assert s.ttft_s == pytest.approx(0.5)
    assert s.latency_s == pytest.approx(0.5 + 5 * 0.1)
    assert s.decode_tokens_per_s == pytest.approx(4 / 0.4)
    assert s.prefill_tokens_per_s == pytest.approx(5 / 0.5)
    assert s.peak_rss_mb > 0 and s.gpu_peak_mb is None
    assert s.scores["factual"] == pytest.approx(2 / 3)  # paris+capital vs reference paris
    v = report.variants[0]
    assert v.load.footprint_mb == 12.5 and v.load.seconds >= 0
    assert v.summary["ttft_s"].n == 4 and v.summary["ttft_s"].mean == pytest.approx(0.5)
    assert v.success_rate == 1.0 and set(v.scores) == {"factual", "coherence"}
    assert all(b.closed for b in factory.backends)
    assert report.alerts == []


def test_failing_variant_is_recorded_and_the_run_goes_on(write_suite, tmp_path):
    factory = Factory(broken={"a/fp32/cpu"},
                      fail_on={"b/fp32/cpu": {"count": RuntimeError("shape mismatch")}})
    report = run(write_suite, tmp_path, factory).run(run_id="r2").report
    by_id = {v.id: v for v in report.variants}
    assert by_id["a/fp32/cpu"].status == "failed"
    assert by_id["a/fp32/cpu"].error == "load failed: OSError: cannot find org/model-a"
    assert by_id["b/fp32/cpu"].status == "ok" and by_id["b/fp32/cpu"].success_rate == 0.5
    bad = [s for s in report.samples if not s.success]
    assert len(bad) == 2 and bad[0].error == "generation failed: RuntimeError: shape mismatch"
    assert bad[0].latency_s is None and bad[0].scores == {}
    assert report.status == "complete"
    assert {(a.rule, a.variant_id) for a in report.alerts} == {("low-success-rate", "b/fp32/cpu")}


def test_out_of_memory_stops_the_variant(write_suite, tmp_path):
    factory = Factory(fail_on={"a/fp32/cpu": {"paris": MemoryError()}})
    report = run(write_suite, tmp_path, factory).run(run_id="r3").report
    a = report.variants[0]
    assert a.status == "failed" and a.error.startswith("out of memory")
    assert len([s for s in report.samples if s.variant_id == "a/fp32/cpu"]) == 1
    assert report.variants[1].status == "ok"


def test_interrupt_leaves_partial_report_and_resume_finishes_without_redoing(write_suite, tmp_path):
    factory = Factory(interrupt_after=7)  # warm-up + 4 samples of a/fp32, warm-up + 1 of a/int8
    runner = run(write_suite, tmp_path, factory)
    first = runner.run(run_id="r4")
    assert first.interrupted
    partial = load_report(first.report_path)
    assert partial.status == "partial"
    assert len(partial.samples) == 5
    assert [v.status for v in partial.variants] == ["ok", "ok", "skipped", "skipped"]
    kept = {s.key: s.latency_s for s in partial.samples}

    factory2 = Factory()
    second = run(write_suite, tmp_path, factory2).resume(first.samples_path)
    report = load_report(second.report_path)
    assert report.status == "complete" and report.run_id == "r4"
    assert len(report.samples) == 16
    # 11 samples were left; 3 variants load again with one warm-up each
    assert factory2.generated == 11 + 3
    for s in report.samples:
        if s.key in kept:
            assert s.latency_s == kept[s.key]
    assert len(read_samples_log(second.samples_path).samples) == 16


def test_unsupported_scheme_is_skipped_with_reason(write_suite, tmp_path):
    text = SUITE.replace("device: cpu", "device: cuda").replace("[fp32, int8-dynamic]", "[int8-dynamic]")
    report = run(write_suite, tmp_path, Factory(), text).run(run_id="r5").report
    assert [v.status for v in report.variants] == ["skipped", "skipped"]
    assert report.variants[0].error == "not supported here: int8-dynamic supports cpu, not cuda"
    assert report.samples == []


def test_variant_filter(write_suite, tmp_path):
    loaded = load_suite(write_suite(SUITE))
    runner = Runner(loaded, RunOptions(output_dir=tmp_path, variant_patterns=("b/*",), repeats=1),
                    factory=Factory())
    report = runner.run(run_id="r6").report
    assert [v.id for v in report.variants] == ["b/fp32/cpu", "b/int8-dynamic/cpu"]
    assert len(report.samples) == 4
    assert Path(tmp_path / "fake" / "r6.samples.jsonl").exists()


def test_fidelity_against_the_fp32_reference(write_suite, tmp_path):
    import numpy as np

    def logprobs_for(shift):
        def make(target):
            probs = np.full((len(target), 4), 0.1)
            probs[:, 0] = 0.7 - shift
            probs[:, 1] = 0.1 + shift
            return np.log(probs)
        return make

    class F(Factory):
        def __call__(self, plan):
            b = super().__call__(plan)
            if "int8" in plan.id:
                b.answers = {"paris": "Paris is a city", "count": "one two three"}
                b.logprobs = logprobs_for(0.2)
            else:
                b.logprobs = logprobs_for(0.0)
            return b

    text = SUITE.replace("quantizations: [fp32, int8-dynamic]", "quantizations: [int8-dynamic, fp32]")
    report = run(write_suite, tmp_path, F(), text).run(run_id="fid").report
    # each model's reference runs first
    assert [v.id for v in report.variants] == ["a/fp32/cpu", "a/int8-dynamic/cpu", "b/fp32/cpu",
                                               "b/int8-dynamic/cpu"]
    fp32, int8 = report.variants[:2]
    assert fp32.fidelity is None
    f = int8.fidelity
    assert f.reference == "a/fp32/cpu" and f.cases == 2
    # paris: 2 of 5 reference tokens agree, diverging at 2; count: identical
    assert f.token_agreement == pytest.approx((2 / 5 + 1.0) / 2)
    # paris diverges at 2; count is identical and counts at its full length (3 tokens)
    assert f.first_divergence_mean == pytest.approx((2 + 3) / 2)
    assert f.identical_share == pytest.approx(0.5) and f.kl_non_finite_share == 0.0
    expected_kl = 0.7 * np.log(0.7 / 0.5) + 0.1 * np.log(0.1 / 0.3)
    assert f.kl_mean == pytest.approx(expected_kl)
    assert set(f.score_deltas) == {"factual", "coherence"}
    s = next(x for x in report.samples if x.variant_id == "a/int8-dynamic/cpu" and x.case_id == "paris")
    assert s.fidelity.token_agreement == pytest.approx(0.4) and s.fidelity.first_divergence == 2
    fired = {(a.rule, a.variant_id) for a in report.alerts}
    assert ("low-token-agreement", "a/int8-dynamic/cpu") not in fired  # 0.7 >= 0.5


def test_non_finite_log_probs_are_reported_and_alert(write_suite, tmp_path):
    import numpy as np

    class F(Factory):
        def __call__(self, plan):
            b = super().__call__(plan)
            b.logprobs = ((lambda target: np.full((len(target), 4), np.nan)) if "int8" in plan.id
                          else (lambda target: np.log(np.full((len(target), 4), 0.25))))
            return b

    report = run(write_suite, tmp_path, F()).run(run_id="nan").report
    f = next(v for v in report.variants if v.id == "a/int8-dynamic/cpu").fidelity
    assert f.kl_mean is None and f.kl_non_finite_share == 1.0 and "KL infinite" in f.note
    fired = {(a.rule, a.variant_id, a.severity) for a in report.alerts}
    assert ("non-finite-logprobs", "a/int8-dynamic/cpu", "critical") in fired
    assert not any(rule == "non-finite-logprobs" and vid.endswith("fp32/cpu") for rule, vid, _ in fired)


def test_footprint_is_outside_the_load_timer_and_the_cold_call_is_kept_apart(write_suite, tmp_path):
    import time

    class SlowAccounting(FakeBackend):
        def footprint_mb(self):
            time.sleep(0.3)  # e.g. walking every packed weight
            return 12.5

    loaded = load_suite(write_suite(SUITE))
    report = Runner(loaded, RunOptions(output_dir=tmp_path / "results", isolation="none"),
                    factory=lambda plan: SlowAccounting(answers=ANSWERS, prefill_s=0.7)).run(run_id="cold").report
    v = report.variants[0]
    assert v.load.footprint_mb == 12.5 and v.load.seconds < 0.3
    # the first warm-up (case paris: 5 words + EOS at max_new_tokens 6) is the cold call
    assert v.load.cold_ttft_s == pytest.approx(0.7) and v.load.cold_latency_s == pytest.approx(0.7 + 5 * 0.1)
    assert len(report.samples) == 16  # the cold call is not a sample
