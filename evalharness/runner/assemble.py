"""Pure report assembly: variant summaries, fidelity summaries, alerts and the run status,
from the variant records and samples a run (or its samples log) holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from evalharness import metrics
from evalharness.measure.roofline import roofline_fraction
from evalharness.measure.stats import mean_or_none, summarize
from evalharness.reports.schema import EnergySummary, FidelitySummary, RunStatus, Sample, Summary, Variant


def summarize_variant(variant: Variant, samples: Sequence[Sample]) -> Variant:
    """The variant with `summary`, `success_rate`, `scores` and `warnings` filled from samples."""
    mine = [s for s in samples if s.variant_id == variant.id]
    ok = [s for s in mine if s.success]
    summary: dict[str, Summary] = {f: summarize(getattr(s, f) for s in ok) for f in metrics.sample_fields()}
    warnings = [w for w in variant.warnings if not w.startswith("unstable")]
    unstable = [f"{f} {summary[f].cv:.0%}" for f in metrics.timing_fields() if summary[f].stable is False]
    if unstable:
        warnings.append("unstable timings (stdev >= 10% of the mean; compare side by side, add repeats): "
                        + ", ".join(unstable))
    scores: dict[str, float | None] = {}
    by_tag: dict[str, dict[str, float | None]] = {}
    if not variant.synthetic:
        names = sorted({name for s in ok for name in s.scores})
        scores = {name: mean_or_none(s.scores.get(name) for s in ok) for name in names}
        for tag in sorted({t for s in ok for t in s.tags}):
            tagged = [s for s in ok if tag in s.tags]
            by_tag[tag] = {name: mean_or_none(s.scores.get(name) for s in tagged) for name in names}
    elif ok:
        note = "synthetic model (random weights): its scores are not a quality result"
        if note not in warnings:
            warnings.append(note)
    return variant.model_copy(update={
        "summary": summary, "success_rate": (len(ok) / len(mine)) if mine else None,
        "scores": scores, "scores_by_tag": by_tag, "warnings": warnings, "energy": energy_summary(ok),
    })


def energy_summary(ok: Sequence[Sample]) -> EnergySummary | None:
    """Energy over the successful samples: their sum and per output token when every one of them
    was measured with the same counter; else null with the reason. None without samples."""
    if not ok:
        return None
    missing = [s for s in ok if s.energy_j is None]
    if missing:
        reasons = sorted({s.energy_missing or "not measured" for s in missing})
        reason = reasons[0] if len(missing) == len(ok) else (
            f"{len(missing)} of {len(ok)} answers have no energy figure: " + "; ".join(reasons))
        return EnergySummary(energy_missing=reason)
    methods = sorted({s.energy_method or "" for s in ok})
    if len(methods) > 1:
        return EnergySummary(energy_missing="answers were measured with different counters: " + ", ".join(methods))
    total = sum(s.energy_j or 0.0 for s in ok)
    tokens = sum(s.output_tokens or 0 for s in ok)
    return EnergySummary(energy_j=total, energy_j_per_token=total / tokens if tokens else None,
                         energy_method=methods[0],
                         energy_missing=None if tokens else "no output tokens to divide by")


def with_roofline(variant: Variant, samples: Sequence[Sample], bandwidth_gbs: float | None) -> Variant:
    """The variant with its roofline fraction: median decode tokens/s x bytes read per token
    (weights + KV cache at the mean decode context) / the machine's memory bandwidth."""
    load = variant.load
    decode = variant.summary.get("decode_tokens_per_s")
    ok = [s for s in samples if s.variant_id == variant.id and s.success]
    if load.weights_per_token_mb is None or decode is None or not ok:
        return variant
    context = sum((s.prompt_tokens or 0) + (s.output_tokens or 0) / 2 for s in ok) / len(ok)
    per_token = load.weights_per_token_mb * 1024 * 1024 + (load.kv_per_position_kb or 0) * 1024 * context
    fraction = roofline_fraction(decode.p50, per_token, bandwidth_gbs)
    return variant.model_copy(update={"load": load.model_copy(update={"roofline_fraction": fraction})})


def fidelity_summary(variant: Variant, reference: Variant, samples: Sequence[Sample]) -> FidelitySummary:
    per_case = {s.case_id: s.fidelity for s in samples
                if s.variant_id == variant.id and s.fidelity is not None and s.repeat == 0}
    fids = [f for f in per_case.values() if f is not None]
    note = None
    if not fids:
        note = "no greedy case compared (reference not measured in this process, or sampling)"
    # an answer identical to the reference diverges nowhere: it counts at its full length
    divergence = [f.first_divergence if f.first_divergence is not None else f.reference_tokens for f in fids]
    non_finite = sum(1 for f in fids if f.kl_non_finite)
    if non_finite:
        note = f"KL infinite: the variant's log-probs were not finite on {non_finite} of {len(fids)} cases"
    elif any(f.kl_mean is None for f in fids):
        note = "KL not measured for some cases (a runtime without log-probs)"
    deltas: dict[str, float | None] = {}
    for name, ref_value in reference.scores.items():
        value = variant.scores.get(name)
        deltas[name] = value - ref_value if value is not None and ref_value is not None else None
    return FidelitySummary(
        reference=reference.id, cases=len(fids),
        token_agreement=mean_or_none(f.token_agreement for f in fids),
        first_divergence_mean=mean_or_none(divergence), kl_mean=mean_or_none(f.kl_mean for f in fids),
        identical_share=(sum(1 for f in fids if f.first_divergence is None) / len(fids)) if fids else None,
        kl_non_finite_share=(non_finite / len(fids)) if fids else None,
        score_deltas=deltas, note=note,
    )


def with_fidelity(variants: list[Variant], references: Mapping[str, str], samples: Sequence[Sample]) -> list[Variant]:
    """Each ok variant with its fidelity against `references[variant id]` (the reference's id)."""
    by_id = {v.id: v for v in variants}
    out = []
    for v in variants:
        ref_id = references.get(v.id)
        if ref_id is not None and ref_id != v.id and ref_id in by_id and v.status == "ok":
            v = v.model_copy(update={"fidelity": fidelity_summary(v, by_id[ref_id], samples)})
        out.append(v)
    return out


def assembled(variants: Sequence[Variant], samples: Sequence[Sample], bandwidth_gbs: float | None,
              references: Mapping[str, str] | None) -> list[Variant]:
    """Every figure a report derives from its raw samples: summaries, roofline and (given each
    variant's reference id) fidelity. A run, a resumed run and a merge of shards all use it."""
    out = []
    for v in variants:
        v = summarize_variant(v, samples)
        out.append(with_roofline(v, samples, bandwidth_gbs) if v.device == "cpu" else v)
    return with_fidelity(out, references, samples) if references is not None else out


def run_status(interrupted: bool, variants: Sequence[Variant], samples: Sequence[Sample]) -> RunStatus:
    if interrupted:
        return "partial"
    if any(s.success for s in samples) or any(t.error is None for v in variants for t in v.tasks):
        return "complete"
    skipped_only = bool(variants) and all(v.status == "skipped" for v in variants)
    return "complete" if skipped_only else "failed"

