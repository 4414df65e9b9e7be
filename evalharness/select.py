"""Model selection: the best variant of a run under constraints, with reasons for the rest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from evalharness.metrics import BY_NAME
from evalharness.reports.schema import Report, Variant

Objective = Literal["latency", "memory", "quality"]


@dataclass(frozen=True)
class Constraints:
    max_memory_mb: float | None = None
    max_latency_p95_s: float | None = None
    min_scores: Mapping[str, float] = field(default_factory=dict)
    min_agreement: float | None = None  # token agreement with the run's fidelity reference
    min_accuracy: Mapping[str, float] = field(default_factory=dict)  # "task" or "task.metric" (default acc)


def memory_mb(v: Variant) -> float | None:
    """The variant's memory need: peak GPU memory on a GPU, else peak process RSS (else at load)."""
    for name in ("gpu_peak_mb", "peak_rss_mb", "load_peak_rss_mb"):
        value = v.figure(BY_NAME[name])
        if value is not None:
            return value
    return None


def latency_p95(v: Variant) -> float | None:
    return v.figure(BY_NAME["latency_s.p95"])


def quality(v: Variant, score: str | None) -> float | None:
    if score is not None:
        return v.scores.get(score)
    values = [x for x in v.scores.values() if x is not None]
    return sum(values) / len(values) if values else None


def references(report: Report) -> set[str]:
    """Ids of the variants others were measured against (fidelity references)."""
    return {v.fidelity.reference for v in report.variants if v.fidelity is not None}


def agreement(v: Variant, refs: set[str]) -> float | None:
    """Token agreement with the reference; a reference agrees with itself (unless it was itself
    compared with another: an adapter's reference with its base model's)."""
    if v.fidelity is not None:
        return v.fidelity.token_agreement
    return 1.0 if v.id in refs else None


def accuracy_reasons(v: Variant, floors: Mapping[str, float]) -> list[str]:
    """Why the variant's benchmark accuracy falls short of each floor (point estimate, its 95%
    interval shown)."""
    reasons = []
    for key, floor in floors.items():
        task, _, metric = key.partition(".")
        result = next((t for t in v.tasks if t.task == task and t.error is None), None)
        m = result.metric(metric or "acc") if result is not None else None
        if m is None or m.value is None:
            reasons.append(f"{key} not scored")
        elif m.value < floor:
            shown = f" [{m.ci_low:.3f}, {m.ci_high:.3f}]" if m.ci_low is not None and m.ci_high is not None else ""
            reasons.append(f"{key} {m.value:.3f}{shown} < {floor:g}")
    return reasons


@dataclass
class Choice:
    variant: Variant
    memory_mb: float | None
    latency_p95_s: float | None
    quality: float | None
    agreement: float | None = None


@dataclass
class Selection:
    chosen: Choice | None
    runners_up: list[Choice]
    rejected: list[tuple[Variant, list[str]]]
    objective: Objective
    figures: dict[str, Choice] = field(default_factory=dict)  # every variant's, the rejected too


def select(report: Report, constraints: Constraints, objective: Objective = "latency",
           quality_score: str | None = None) -> Selection:
    ok: list[Choice] = []
    rejected: list[tuple[Variant, list[str]]] = []
    figures: dict[str, Choice] = {}
    refs = references(report)
    for v in report.variants:
        reasons: list[str] = []
        if v.status != "ok":
            reasons.append(f"status {v.status}" + (f": {v.error}" if v.error else ""))
        mem, lat, q, agree = memory_mb(v), latency_p95(v), quality(v, quality_score), agreement(v, refs)
        figures[v.id] = measured = Choice(v, mem, lat, q, agree)
        if constraints.min_agreement is not None:
            if agree is None:
                reasons.append("token agreement not measured")
            elif agree < constraints.min_agreement:
                reasons.append(f"token agreement {agree:.2f} < {constraints.min_agreement:g}")
        if constraints.max_memory_mb is not None:
            if mem is None:
                reasons.append("memory not measured")
            elif mem > constraints.max_memory_mb:
                reasons.append(f"memory {mem:.0f} MB > {constraints.max_memory_mb:g} MB")
        if constraints.max_latency_p95_s is not None:
            if lat is None:
                reasons.append("latency not measured")
            elif lat > constraints.max_latency_p95_s:
                reasons.append(f"latency p95 {lat:.3g} s > {constraints.max_latency_p95_s:g} s")
        for name, floor in constraints.min_scores.items():
            value = v.scores.get(name)
            if v.synthetic:
                reasons.append(f"{name}: synthetic model, scores are not a quality result")
            elif value is None:
                reasons.append(f"{name} not scored")
            elif value < floor:
                reasons.append(f"{name} {value:.3f} < {floor:g}")
        reasons += accuracy_reasons(v, constraints.min_accuracy)
        if objective == "quality" and q is None and not reasons:
            reasons.append("no quality score to optimise")
        if reasons:
            rejected.append((v, reasons))
        else:
            ok.append(measured)

    def key(c: Choice) -> float:
        if objective == "latency":
            return c.latency_p95_s if c.latency_p95_s is not None else float("inf")
        if objective == "memory":
            return c.memory_mb if c.memory_mb is not None else float("inf")
        return -(c.quality if c.quality is not None else float("-inf"))

    ranked = sorted(ok, key=key)
    return Selection(ranked[0] if ranked else None, ranked[1:], rejected, objective, figures)
