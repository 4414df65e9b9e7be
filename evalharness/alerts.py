"""Typed threshold rules evaluated over a run's variants and samples -> Alert records."""

from __future__ import annotations

import fnmatch
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from evalharness.measure.stats import summarize

Severity = Literal["info", "warning", "critical"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}

# Per-sample numbers a rule can aggregate (successful samples only), and per-variant load figures.
SAMPLE_METRICS = (
    "latency_s",
    "ttft_s",
    "prefill_tokens_per_s",
    "decode_tokens_per_s",
    "inter_token_latency_s",
    "output_tokens",
    "peak_rss_mb",
    "gpu_peak_mb",
)
LOAD_METRICS = ("load.seconds", "load.peak_rss_mb", "load.footprint_mb")
FIDELITY_METRICS = ("fidelity.token_agreement", "fidelity.first_divergence_mean", "fidelity.kl_mean")
OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


class AlertRule(BaseModel):
    """Fires when `aggregation(metric) op threshold` holds for a variant."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="rule name, shown in alerts")
    metric: str = Field(
        description="a sample metric (latency_s, ...), `success`, load.*, or scores.<scorer>"
    )
    aggregation: Literal["mean", "p50", "p95", "p99", "max", "min", "rate"] = Field(
        default="mean", description="how samples are reduced; `rate` is for `success`"
    )
    op: Literal[">", ">=", "<", "<="] = Field(description="comparison against the threshold")
    threshold: float = Field(description="the limit")
    severity: Severity = Field(default="warning", description="info, warning or critical")
    variants: tuple[str, ...] | None = Field(
        default=None, description="glob patterns on variant ids; default: every variant"
    )

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, v: str) -> str:
        if v in SAMPLE_METRICS or v in LOAD_METRICS or v in FIDELITY_METRICS or v == "success":
            return v
        if v.startswith("scores.") and len(v) > len("scores."):
            from evalharness.scorers import SCORERS

            name = v.removeprefix("scores.")
            if name not in SCORERS:
                raise ValueError(SCORERS.unknown_message(name))
            return v
        known = ", ".join((*SAMPLE_METRICS, "success", *LOAD_METRICS, *FIDELITY_METRICS,
                           "scores.<scorer>"))
        raise ValueError(f"unknown metric {v!r}. Available: {known}")

    @model_validator(mode="after")
    def _rate_only_for_success(self) -> AlertRule:
        if (self.aggregation == "rate") != (self.metric == "success"):
            raise ValueError("use aggregation `rate` with metric `success`, and only there")
        return self

    def applies_to(self, variant_id: str) -> bool:
        return self.variants is None or any(fnmatch.fnmatch(variant_id, p) for p in self.variants)


def fidelity_rule() -> AlertRule:
    """Added when a suite measures fidelity: a variant that mostly leaves its reference's text."""
    return AlertRule(name="low-token-agreement", metric="fidelity.token_agreement",
                     aggregation="mean", op="<", threshold=0.5, severity="critical")


def default_rules() -> tuple[AlertRule, ...]:
    """The source design's four thresholds."""
    return (
        AlertRule(name="high-latency", metric="latency_s", aggregation="mean", op=">",
                  threshold=10.0, severity="warning"),
        AlertRule(name="high-memory", metric="peak_rss_mb", aggregation="max", op=">",
                  threshold=8192.0, severity="warning"),
        AlertRule(name="low-throughput", metric="decode_tokens_per_s", aggregation="mean",
                  op="<", threshold=5.0, severity="warning"),
        AlertRule(name="low-success-rate", metric="success", aggregation="rate", op="<",
                  threshold=0.95, severity="critical"),
    )


class Alert(BaseModel):
    """A rule that fired for one variant."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    metric: str
    aggregation: str
    op: str
    variant_id: str
    value: float
    threshold: float
    severity: Severity
    message: str


def rule_value(rule: AlertRule, variant: Mapping[str, Any], samples: Sequence[Mapping[str, Any]]) -> float | None:
    """The aggregated figure a rule compares, or None when it cannot be measured."""
    if rule.metric in LOAD_METRICS or rule.metric in FIDELITY_METRICS:
        group, _, name = rule.metric.partition(".")
        value = (variant.get(group) or {}).get(name)
        return None if value is None else float(value)
    if rule.metric == "success":
        if not samples:
            return None
        return sum(1 for s in samples if s.get("success")) / len(samples)
    ok = [s for s in samples if s.get("success")]
    if rule.metric.startswith("scores."):
        name = rule.metric.removeprefix("scores.")
        values = [(s.get("scores") or {}).get(name) for s in ok]
    else:
        values = [s.get(rule.metric) for s in ok]
    stats = summarize(values)
    return stats[rule.aggregation]  # type: ignore[return-value]


def evaluate(
    rules: Sequence[AlertRule],
    variants: Sequence[Mapping[str, Any]],
    samples: Sequence[Mapping[str, Any]],
) -> list[Alert]:
    """Every (rule, variant) pair whose condition holds. Unmeasurable figures never fire."""
    alerts: list[Alert] = []
    for variant in variants:
        if variant.get("status") == "skipped":
            continue
        vid = variant["id"]
        mine = [s for s in samples if s.get("variant_id") == vid]
        for rule in rules:
            if not rule.applies_to(vid):
                continue
            value = rule_value(rule, variant, mine)
            if value is None or not OPS[rule.op](value, rule.threshold):
                continue
            alerts.append(
                Alert(
                    rule=rule.name, metric=rule.metric, aggregation=rule.aggregation, op=rule.op,
                    variant_id=vid, value=value, threshold=rule.threshold, severity=rule.severity,
                    message=(
                        f"{vid}: {rule.aggregation}({rule.metric}) = {value:.4g} "
                        f"{rule.op} {rule.threshold:g}"
                    ),
                )
            )
    return alerts


def at_or_above(alerts: Sequence[Alert], severity: str) -> list[Alert]:
    floor = SEVERITY_RANK[severity]
    return [a for a in alerts if SEVERITY_RANK[a.severity] >= floor]
