"""Variants that differ only in an axis (threads, batch size, attention, compile) are different
variants: each is matched with its own counterpart, none silently disappears."""

from evalharness.compare.engine import compare_reports
from evalharness.reports.schema import Report, Sample, Variant
from evalharness.runner.assemble import summarize_variant
from tests.unit.test_reports import make_report


def _variant(vid: str, axes: dict) -> Variant:
    return Variant(id=vid, model={"source": "hf", "id": "x", "label": "x"}, quantization="fp32", device="cpu",
                   axes=axes, status="ok")


def _samples(vid: str, latency: float) -> list[Sample]:
    return [Sample(variant_id=vid, case_id=f"c{i}", repeat=0, prompt="p", output="o", output_tokens=3,
                   latency_s=latency + 0.001 * i, ttft_s=0.1, prefill_tokens_per_s=None,
                   decode_tokens_per_s=10.0, peak_rss_mb=100.0, gpu_peak_mb=None, success=True, error=None)
            for i in range(6)]


def _run(run_id: str, latency_1: float, latency_2: float) -> Report:
    samples = _samples("x/fp32/cpu/threads=1", latency_1) + _samples("x/fp32/cpu/threads=2", latency_2)
    variants = [summarize_variant(_variant("x/fp32/cpu/threads=1", {"threads": 1}), samples),
                summarize_variant(_variant("x/fp32/cpu/threads=2", {"threads": 2}), samples)]
    return make_report(run_id=run_id, variants=[v.model_dump() for v in variants],
                       samples=[s.model_dump() for s in samples])


def test_variants_differing_only_in_threads_are_matched_to_their_own_counterparts():
    base, cand = _run("a", 1.0, 2.0), _run("b", 1.0, 2.0)
    cmp = compare_reports(base, cand)
    assert cmp.variants_only_in_baseline == cmp.variants_only_in_candidate == []
    rows = {(r.variant_id, r.metric): r for r in cmp.rows}
    assert rows[("x/fp32/cpu/threads=1", "latency_s.p50")].baseline < 1.01
    assert rows[("x/fp32/cpu/threads=2", "latency_s.p50")].baseline > 1.99
    assert all(r.verdict in ("no change", "inconclusive") for r in cmp.rows)  # identical runs


def test_load_time_is_a_timing_with_its_own_tolerance():
    """Identical runs' load times differ by tens of percent (one event per run, cold caches):
    load_s is judged with `load_tolerance`, not the 5% memory tolerance."""
    base = _run("a", 1.0, 2.0)
    slower = [v.model_copy(update={"load": v.load.model_copy(update={"seconds": s})})
              for v, s in zip(base.variants, (2.6, 2.6))]
    base = base.model_copy(update={"variants": [v.model_copy(update={"load": v.load.model_copy(
        update={"seconds": 2.0})}) for v in base.variants]})
    cand = base.model_copy(update={"run_id": "b", "variants": slower})
    rows = [r for r in compare_reports(base, cand).rows if r.metric == "load_s"]
    assert rows and all(r.kind == "timing" and r.verdict == "no change" for r in rows)  # +30% < 50%
    cand = base.model_copy(update={"run_id": "c", "variants": [v.model_copy(update={"load": v.load.model_copy(
        update={"seconds": 4.0})}) for v in base.variants]})
    assert all(r.verdict == "regression" for r in compare_reports(base, cand).rows if r.metric == "load_s")
