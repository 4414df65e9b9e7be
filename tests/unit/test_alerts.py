import pytest
from pydantic import ValidationError

from evalharness.alerts import AlertRule, at_or_above, default_rules, evaluate
from evalharness.reports.schema import LoadFigures, ModelRef, Sample, Variant


def sample(vid, latency, ok=True, tps=20.0, rss=100.0, scores=None, gpu=None):
    return Sample(variant_id=vid, case_id="c", repeat=0, prompt="p", output="o" if ok else None,
                  output_tokens=3 if ok else None, success=ok, error=None if ok else "boom",
                  latency_s=latency if ok else None, ttft_s=None, prefill_tokens_per_s=None,
                  decode_tokens_per_s=tps if ok else None, peak_rss_mb=rss if ok else None,
                  gpu_peak_mb=gpu, scores=scores or {})


def variant(vid, status, **load):
    return Variant(id=vid, model=ModelRef(source="tiny-random", id="m", label="m"), quantization=vid.split("/")[1],
                   device="cpu", status=status, load=LoadFigures(**load))


VARIANTS = [
    variant("m/fp32/cpu", "ok", seconds=3.0, footprint_mb=1000.0),
    variant("m/bf16/cpu", "ok", seconds=2.0, footprint_mb=500.0),
    variant("m/fp16/cpu", "skipped"),
]


def test_default_rules_fire_on_the_source_design_thresholds():
    samples = [sample("m/fp32/cpu", 12.0, tps=4.0, rss=9000.0), sample("m/fp32/cpu", 11.0, tps=4.5),
               sample("m/bf16/cpu", 1.0)] + [sample("m/bf16/cpu", 1.0) for _ in range(18)] + [
               sample("m/bf16/cpu", None, ok=False)]
    alerts = evaluate(default_rules(), VARIANTS, samples)
    fired = {(a.rule, a.variant_id) for a in alerts}
    assert fired == {("high-latency", "m/fp32/cpu"), ("high-memory", "m/fp32/cpu"),
                     ("low-throughput", "m/fp32/cpu")}
    lat = next(a for a in alerts if a.rule == "high-latency")
    assert lat.value == pytest.approx(11.5) and lat.threshold == 10.0 and lat.severity == "warning"
    # 19/20 = 0.95 is not < 0.95; one more failure makes it fire as critical
    samples.append(sample("m/bf16/cpu", None, ok=False))
    alerts = evaluate(default_rules(), VARIANTS, samples)
    crit = [a for a in alerts if a.rule == "low-success-rate"]
    assert len(crit) == 1 and crit[0].severity == "critical"
    assert crit[0].value == pytest.approx(19 / 21)


def test_variant_filter_load_metrics_and_scores():
    rules = [
        AlertRule(name="big", metric="load.footprint_mb", op=">=", threshold=1000, severity="info"),
        AlertRule(name="dumb", metric="scores.factual", aggregation="min", op="<", threshold=0.5,
                  severity="critical", variants=("*/bf16/*",)),
    ]
    samples = [sample("m/fp32/cpu", 1.0, scores={"factual": 0.1}),
               sample("m/bf16/cpu", 1.0, scores={"factual": 0.4}),
               sample("m/bf16/cpu", 1.0, scores={"factual": 0.9})]
    alerts = evaluate(rules, VARIANTS, samples)
    assert [(a.rule, a.variant_id, a.value) for a in alerts] == [
        ("big", "m/fp32/cpu", 1000.0), ("dumb", "m/bf16/cpu", 0.4)]
    assert [a.rule for a in at_or_above(alerts, "warning")] == ["dumb"]
    assert len(at_or_above(alerts, "info")) == 2


def test_unmeasured_figures_never_fire():
    rule = AlertRule(name="gpu", metric="gpu_peak_mb", aggregation="max", op=">", threshold=0)
    samples = [sample("m/fp32/cpu", 1.0, gpu=None)]
    assert evaluate([rule], VARIANTS, samples) == []


def test_rule_validation():
    with pytest.raises(ValidationError, match="rate"):
        AlertRule(name="x", metric="latency_s", aggregation="rate", op=">", threshold=1)
    with pytest.raises(ValidationError, match="unknown scorer 'factul'"):
        AlertRule(name="x", metric="scores.factul", op=">", threshold=1)
    with pytest.raises(ValidationError):
        AlertRule(name="x", metric="latency_s", op="!=", threshold=1)
