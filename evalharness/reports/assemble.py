"""Fold variant records and scored samples into per-variant summaries (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from evalharness.alerts import SAMPLE_METRICS
from evalharness.measure.stats import summarize
from evalharness.reports.schema import MetricSummary, Sample, Variant

TIMING_METRICS = ("latency_s", "ttft_s", "prefill_tokens_per_s", "decode_tokens_per_s",
                  "inter_token_latency_s")


def summarize_variant(variant: Variant, samples: Sequence[Sample]) -> Variant:
    """The variant with `summary`, `success_rate`, `scores` and `warnings` filled from samples."""
    mine = [s for s in samples if s.variant_id == variant.id]
    ok = [s for s in mine if s.success]
    summary: dict[str, MetricSummary] = {}
    warnings: list[str] = [w for w in variant.warnings if not w.startswith("unstable")]
    unstable: list[str] = []
    for metric in SAMPLE_METRICS:
        stats = summarize(getattr(s, metric) for s in ok)
        summary[metric] = MetricSummary.model_validate(stats)
        if metric in TIMING_METRICS and stats["stable"] is False:
            cv = stats["stdev"] / abs(stats["mean"])  # type: ignore[operator]
            unstable.append(f"{metric} {cv:.0%}")
    if unstable:
        warnings.append(
            "unstable timings (stdev >= 10% of the mean; compare side by side, add repeats): "
            + ", ".join(unstable)
        )
    scores: dict[str, float | None] = {}
    by_tag: dict[str, dict[str, float | None]] = {}
    if not variant.synthetic:
        names = sorted({name for s in ok for name in s.scores})
        for name in names:
            scores[name] = summarize(s.scores.get(name) for s in ok)["mean"]  # type: ignore[assignment]
        for tag in sorted({t for s in ok for t in s.tags}):
            tagged = [s for s in ok if tag in s.tags]
            by_tag[tag] = {name: summarize(s.scores.get(name) for s in tagged)["mean"]  # type: ignore[misc]
                           for name in names}
    elif ok:
        note = "synthetic model (random weights): its scores are not a quality result"
        if note not in warnings:
            warnings.append(note)
    return variant.model_copy(update={
        "summary": summary,
        "success_rate": (len(ok) / len(mine)) if mine else None,
        "scores": scores,
        "scores_by_tag": by_tag,
        "warnings": warnings,
    })
