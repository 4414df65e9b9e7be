"""Typed threshold rules evaluated over a run's variants and samples -> Alert records."""

from __future__ import annotations

import fnmatch
import operator
from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from evalharness import metrics
from evalharness.measure.stats import summarize
from evalharness.reports.schema import Alert, Severity

__all__ = ["Alert", "AlertRule", "Severity", "default_rules", "evaluate", "fidelity_rules", "rule_value"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}
OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def known_metrics() -> tuple[str, ...]:
    """What a rule may name: per-sample fields, `success`, load.* and fidelity.* figures."""
    return (*metrics.sample_fields(), "success", *metrics.variant_fields())


class AlertRule(BaseModel):
    """Fires when `aggregation(metric) op threshold` holds for a variant."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(min_length=1, description="rule name, shown in alerts")
    metric: str = Field(
        description="a sample metric (latency_s, ...; `ttft_s.p95` sets the aggregation too), `success`, load.*, "
        "or scores.<scorer>"
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

    @model_validator(mode="before")
    @classmethod
    def _statistic(cls, data: Any) -> Any:
        """`metric: ttft_s.p95` (FIELD.STAT, the spelling of load rules and gate policies) is
        `metric: ttft_s` with `aggregation: p95`."""
        if not isinstance(data, dict) or not isinstance(data.get("metric"), str):
            return data
        field, dot, stat = data["metric"].partition(".")
        if not dot or field not in metrics.sample_fields():
            return data
        metrics.statistic(data["metric"])  # ValueError naming the statistics
        if data.get("aggregation", stat) != stat:
            raise ValueError(f"metric {data['metric']} says {stat}, aggregation says {data['aggregation']}: give one")
        return {**data, "metric": field, "aggregation": stat}

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, v: str) -> str:
        if v in known_metrics():
            return v
        if v.startswith("scores.") and len(v) > len("scores."):
            from evalharness.scorers import SCORERS

            name = v.removeprefix("scores.")
            if name not in SCORERS:
                raise ValueError(SCORERS.unknown_message(name))
            return v
        known = ", ".join((*known_metrics(), "scores.<scorer>"))
        raise ValueError(f"unknown metric {v!r}. Available: {known}")

    @model_validator(mode="after")
    def _rate_only_for_success(self) -> AlertRule:
        if (self.aggregation == "rate") != (self.metric == "success"):
            raise ValueError("use aggregation `rate` with metric `success`, and only there")
        return self

    def applies_to(self, variant_id: str) -> bool:
        return self.variants is None or any(fnmatch.fnmatch(variant_id, p) for p in self.variants)


def fidelity_rules() -> tuple[AlertRule, ...]:
    """Added when a suite measures fidelity: a variant that mostly leaves its reference's text,
    and one whose log-probs are not finite (NaN/inf: fp16 overflow, a broken kernel)."""
    return (AlertRule(name="low-token-agreement", metric="fidelity.token_agreement",
                      aggregation="mean", op="<", threshold=0.5, severity="critical"),
            AlertRule(name="non-finite-logprobs", metric="fidelity.kl_non_finite_share",
                      aggregation="mean", op=">", threshold=0.0, severity="critical"))


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


def rule_value(rule: AlertRule, variant: Any, samples: Sequence[Any]) -> float | None:
    """The aggregated figure a rule compares, or None when it cannot be measured.

    `variant` is a report Variant (or None, for monitor windows); `samples` are typed records
    with the rule's field as an attribute (report Samples, monitor probe records).
    """
    if rule.metric in metrics.variant_fields():
        if variant is None:
            return None
        return variant.figure(next(m for m in metrics.METRICS if m.field == rule.metric))
    if rule.metric == "success":
        if not samples:
            return None
        return sum(1 for s in samples if s.success) / len(samples)
    ok = [s for s in samples if s.success]
    if rule.metric.startswith("scores."):
        name = rule.metric.removeprefix("scores.")
        values = [(getattr(s, "scores", None) or {}).get(name) for s in ok]
    else:
        values = [getattr(s, rule.metric, None) for s in ok]
    return summarize(values).stat(rule.aggregation)


def evaluate(rules: Sequence[AlertRule], variants: Sequence[Any], samples: Sequence[Any]) -> list[Alert]:
    """Every (rule, variant) pair whose condition holds. Unmeasurable figures never fire."""
    by_variant: dict[str, list[Any]] = {}
    for s in samples:
        by_variant.setdefault(s.variant_id, []).append(s)
    alerts: list[Alert] = []
    for variant in variants:
        if variant.status == "skipped":
            continue
        vid = variant.id
        for rule in rules:
            if not rule.applies_to(vid):
                continue
            value = rule_value(rule, variant, by_variant.get(vid, []))
            if value is None or not OPS[rule.op](value, rule.threshold):
                continue
            alerts.append(Alert(
                rule=rule.name, metric=rule.metric, aggregation=rule.aggregation, op=rule.op,
                variant_id=vid, value=value, threshold=rule.threshold, severity=rule.severity,
                message=f"{vid}: {rule.aggregation}({rule.metric}) = {value:.4g} {rule.op} {rule.threshold:g}",
            ))
    return alerts


def at_or_above(alerts: Sequence[Alert], severity: str) -> list[Alert]:
    floor = SEVERITY_RANK[severity]
    return [a for a in alerts if SEVERITY_RANK[a.severity] >= floor]
