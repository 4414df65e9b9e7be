"""Every metric, declared once: where its value lives, its unit, which way is better, how it is
reduced, how it is labelled and formatted, and how a comparison judges it.

Summaries, alerts, compare, select, the console table and the dashboard all read this table;
adding a per-sample metric is one entry here, the field on `reports.schema.Sample`, and the
code that measures it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# How `compare` judges a change: timing (paired bootstrap on samples), memory (relative
# tolerance on one figure per variant), rate (McNemar on success), info (shown, never judged).
Kind = Literal["timing", "memory", "rate", "fidelity", "count", "score", "info"]
# Where the value comes from: a per-sample field summarised per variant, a variant's load
# figure, its fidelity summary, or the share of successful samples.
Scope = Literal["sample", "load", "fidelity", "energy", "success"]
Stat = Literal["mean", "min", "p50", "p90", "p95", "p99", "max", "value", "rate"]
SAMPLE_STATS: tuple[str, ...] = ("mean", "min", "p50", "p90", "p95", "p99", "max")
# consumers that list a metric; a metric shown nowhere is still summarised and alertable
Show = Literal["console", "dashboard", "trend", "compare", "cost"]


@dataclass(frozen=True)
class Metric:
    name: str  # unique: a table column, a compare row, a JSON key
    field: str  # sample field (latency_s), load.<x>, fidelity.<x>, or success
    stat: Stat  # how samples are reduced for tables and comparisons
    unit: str
    higher_is_better: bool
    label: str  # a header with the unit, e.g. "latency p95 (s)"
    fmt: str  # printf-style, for the dashboard and the console
    kind: Kind
    show: frozenset[str] = frozenset()

    @property
    def scope(self) -> Scope:
        head = self.field.partition(".")[0]
        if head in ("load", "fidelity", "energy", "success"):
            return head  # type: ignore[return-value]
        return "sample"

    @property
    def attribute(self) -> str:
        """The attribute name inside its scope (`seconds` for `load.seconds`)."""
        return self.field.rpartition(".")[2]


def _m(name: str, field: str, stat: Stat, unit: str, higher: bool, label: str, fmt: str, kind: Kind,
       *show: Show) -> Metric:
    return Metric(name, field, stat, unit, higher, label, fmt, kind, frozenset(show))


METRICS: tuple[Metric, ...] = (
    _m("latency_s.p50", "latency_s", "p50", "s", False, "latency p50 (s)", "%.3f", "timing",
       "console", "dashboard", "trend", "compare", "cost"),
    _m("latency_s.p95", "latency_s", "p95", "s", False, "latency p95 (s)", "%.3f", "timing",
       "console", "dashboard", "trend", "compare", "cost"),
    _m("ttft_s.p50", "ttft_s", "p50", "s", False, "TTFT p50 (s)", "%.3f", "timing",
       "console", "dashboard", "trend", "compare"),
    _m("ttft_s.p95", "ttft_s", "p95", "s", False, "TTFT p95 (s)", "%.3f", "timing", "dashboard"),
    _m("decode_tokens_per_s", "decode_tokens_per_s", "p50", "tok/s", True, "decode (tok/s)", "%.2f",
       "timing", "console", "dashboard", "trend", "compare"),
    _m("prefill_tokens_per_s", "prefill_tokens_per_s", "p50", "tok/s", True, "prefill (tok/s)", "%.1f",
       "timing"),
    _m("inter_token_latency_s", "inter_token_latency_s", "p50", "s", False, "inter-token latency (s)",
       "%.4f", "timing"),
    _m("output_tokens", "output_tokens", "mean", "tokens", True, "output tokens", "%.1f", "count"),
    _m("peak_rss_mb", "peak_rss_mb", "max", "MB", False, "peak RSS (MB)", "%.0f", "memory",
       "console", "dashboard", "trend", "compare", "cost"),
    _m("gpu_peak_mb", "gpu_peak_mb", "max", "MB", False, "GPU peak (MB)", "%.0f", "memory",
       "dashboard", "compare", "cost"),
    _m("footprint_mb", "load.footprint_mb", "value", "MB", False, "footprint (MB)", "%.0f", "memory",
       "console", "dashboard", "trend", "compare", "cost"),
    _m("resident_mb", "load.resident_mb", "value", "MB", False, "resident after load (MB)", "%.0f", "memory",
       "console", "dashboard", "compare"),
    _m("load_s", "load.seconds", "value", "s", False, "load (s)", "%.2f", "timing",
       "console", "dashboard", "trend", "compare"),
    _m("cold_ttft_s", "load.cold_ttft_s", "value", "s", False, "cold TTFT (s)", "%.3f", "info", "dashboard"),
    _m("cold_latency_s", "load.cold_latency_s", "value", "s", False, "cold latency (s)", "%.3f", "info"),
    _m("roofline_fraction", "load.roofline_fraction", "value", "", True, "roofline", "%.2f", "info",
       "console", "dashboard"),
    _m("load_peak_rss_mb", "load.peak_rss_mb", "value", "MB", False, "load peak RSS (MB)", "%.0f", "info"),
    _m("load_gpu_peak_mb", "load.gpu_peak_mb", "value", "MB", False, "load GPU peak (MB)", "%.0f", "info"),
    _m("energy_j_per_token", "energy.energy_j_per_token", "value", "J/token", False, "energy (J/token)",
       "%.3g", "info", "dashboard", "compare"),
    _m("energy_j", "energy.energy_j", "value", "J", False, "energy, all answers (J)", "%.1f", "info"),
    _m("energy_j.mean", "energy_j", "mean", "J", False, "energy per answer (J)", "%.2f", "info"),
    _m("success_rate", "success", "rate", "", True, "success", "%.0f%%", "rate",
       "console", "dashboard", "trend", "compare"),
    _m("token_agreement", "fidelity.token_agreement", "value", "", True, "agreement", "%.2f", "fidelity",
       "console", "dashboard"),
    _m("first_divergence_mean", "fidelity.first_divergence_mean", "value", "tokens", True,
       "first divergence (tokens)", "%.1f", "fidelity", "dashboard"),
    _m("kl_mean", "fidelity.kl_mean", "value", "nats", False, "KL (nats)", "%.3g", "fidelity",
       "console", "dashboard"),
    _m("identical_share", "fidelity.identical_share", "value", "", True, "identical answers", "%.2f",
       "fidelity", "dashboard"),
    _m("kl_non_finite_share", "fidelity.kl_non_finite_share", "value", "", False, "non-finite log-probs",
       "%.2f", "fidelity", "dashboard"),
)

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
# names before one spelling (a gate policy may still say them): the statistic they were
FORMER_NAMES = {"latency_p50": "latency_s.p50", "latency_p95": "latency_s.p95", "ttft_p50": "ttft_s.p50",
                "ttft_p95": "ttft_s.p95"}
if len(BY_NAME) != len(METRICS):  # pragma: no cover - a programming error caught at import
    raise RuntimeError("two metrics share a name")


def shown_in(consumer: Show) -> tuple[Metric, ...]:
    return tuple(m for m in METRICS if consumer in m.show)


def sample_fields() -> tuple[str, ...]:
    """Per-sample numeric fields, each summarised per variant (n, mean, percentiles, stdev)."""
    seen: list[str] = []
    for m in METRICS:
        if m.scope == "sample" and m.field not in seen:
            seen.append(m.field)
    return tuple(seen)


def timing_fields() -> tuple[str, ...]:
    """Sample fields whose spread earns a stability warning."""
    return tuple(f for f in sample_fields() if any(m.field == f and m.kind == "timing" for m in METRICS))


def variant_fields() -> tuple[str, ...]:
    """Figures a variant holds once (load.*, fidelity.*, energy.*), addressable by alert rules."""
    return tuple(dict.fromkeys(m.field for m in METRICS if m.scope in ("load", "fidelity", "energy")))


def prometheus_name(field: str, prefix: str = "evalharness_probe_") -> str:
    """A per-sample field as Prometheus names it, base units spelled out: `ttft_s` ->
    `evalharness_probe_ttft_seconds`, `decode_tokens_per_s` -> `..._decode_tokens_per_second`."""
    if field.endswith("_per_s"):
        return prefix + field.removesuffix("_per_s") + "_per_second"
    if field.endswith("_s"):
        return prefix + field.removesuffix("_s") + "_seconds"
    return prefix + field


def label_of(field: str) -> str:
    """The label of the first metric on a per-sample field (its unit in brackets), else the field."""
    return next((m.label for m in METRICS if m.field == field), field)


def lower_is_better(field: str) -> bool:
    """Which way a per-sample field improves (from the metrics on it; lower when none says)."""
    return not next((m.higher_is_better for m in METRICS if m.field == field), False)


def statistic(text: str) -> tuple[str, str]:
    """`FIELD.STAT` (`ttft_s.p95`), the one spelling of a statistic of a per-sample figure in
    rules, gate policies, load summaries and the dashboard -> (field, stat); ValueError naming
    what is known otherwise."""
    field, dot, stat = text.partition(".")
    if not dot or field not in sample_fields():
        raise ValueError(f"{text!r} is not FIELD.STAT: FIELD is one of {', '.join(sample_fields())}")
    if stat not in SAMPLE_STATS:
        raise ValueError(f"{text!r}: STAT is one of {', '.join(SAMPLE_STATS)}")
    return field, stat


def _title(field: str) -> tuple[str, str]:
    """A per-sample field's title (its metrics' label without statistic and unit) and unit."""
    metric = next((m for m in METRICS if m.field == field), None)
    if metric is None:
        return field, ""
    return metric.label.removesuffix(f" ({metric.unit})").removesuffix(f" {metric.stat}"), metric.unit


def statistic_label(field: str, stat: str) -> str:
    """`TTFT p95 (s)`: the field's title, the statistic, the unit."""
    title, unit = _title(field)
    return f"{title} {stat} ({unit})" if unit else f"{title} {stat}"


def field_label(field: str) -> str:
    """`TTFT (s)`: the field's title and unit, for a chart of several of its statistics."""
    title, unit = _title(field)
    return f"{title} ({unit})" if unit else title


def metric_of_statistic(text: str) -> Metric | None:
    """The metric a statistic is (`ttft_s.p95`; `decode_tokens_per_s.p50` -> decode_tokens_per_s),
    None when no metric of metrics.py reduces that field that way."""
    field, _, stat = text.partition(".")
    return next((m for m in METRICS if m.scope == "sample" and m.field == field and m.stat == stat), None)
