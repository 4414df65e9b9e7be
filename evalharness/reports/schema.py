"""The report schema. Units are in field names; anything not measured is null, never 0."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field

from evalharness.metrics import Metric, sample_fields
from evalharness.reports.record import Record, storable  # noqa: F401  (storable: re-exported)
from evalharness.reports.tasks import TaskResult

SCHEMA_VERSION = 1
Severity = Literal["info", "warning", "critical"]

RunStatus = Literal["running", "complete", "partial", "failed"]
VariantStatus = Literal["pending", "ok", "failed", "skipped"]


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError("must be a finite number or null")
    return value


Finite = Annotated[float | None, AfterValidator(_finite)]  # a measured figure: never NaN or infinite
# a duration, a rate, a size or an energy: what a clock or counter gives is never below zero
def _non_negative(value: float | None) -> float | None:
    if value is not None and value < 0:
        raise ValueError("must not be negative")
    return value


class _Generated:
    """Marks a figure that only a generation measures (a clock, a counter): a sample that takes an
    earlier run's output (`--reuse`) leaves every field so marked null (runner/reuse.py)."""

    def __repr__(self) -> str:
        return "GENERATED"


GENERATED = _Generated()
Measured = Annotated[float | None, AfterValidator(_finite), AfterValidator(_non_negative), GENERATED]
Count = Annotated[int | None, AfterValidator(_non_negative)]


class SuiteRef(Record):
    name: str
    path: str
    sha256: str


class Environment(Record):
    evalharness: str
    python: str
    platform: str
    torch: str | None
    transformers: str | None
    cpu_model: str | None
    cpu_count: int | None
    memory_total_mb: float | None
    gpu_name: str | None
    gpu_memory_mb: float | None
    gpu_driver: str | None
    git_commit: str | None
    memory_bandwidth_gbs: float | None = None  # a triad's sustained GB/s, measured once per machine


class ModelRef(Record):
    source: str
    id: str
    label: str
    adapter: str | None = None  # a PEFT adapter folder applied to the model


class LoadFigures(Record):
    seconds: Finite = None  # the load alone (footprint accounting is outside the timer)
    peak_rss_mb: Finite = None  # sampled during the load
    footprint_mb: Finite = None
    resident_mb: Finite = None  # RSS after the load (its garbage freed) minus RSS before it
    gpu_peak_mb: Finite = None
    cold_ttft_s: Finite = None  # the first call after loading (the first warm-up), kept out of samples
    cold_latency_s: Finite = None
    weights_per_token_mb: Finite = None  # weight bytes one decode step reads (the LM head whole)
    kv_per_position_kb: Finite = None  # KV cache bytes one context position holds, all layers
    roofline_fraction: Finite = None  # decode p50 x bytes per token / memory bandwidth (report time)


class WorkerFigures(Record):
    """The worker process a variant ran in (null for `--isolation none`)."""

    pid: int | None = None
    hwm_rss_mb: Finite = None  # the kernel's high-water mark of the worker's resident set (VmHWM)
    ended: str | None = None  # why the worker ended before its variant was done (signal, timeout)


class Summary(Record):
    """n, mean, percentiles, max, stdev of one field over a variant's successful samples."""

    n: int
    mean: float | None
    min: float | None = None
    p50: float | None
    p90: float | None = None
    p95: float | None
    p99: float | None
    max: float | None
    stdev: float | None
    stable: bool | None = None

    def stat(self, name: str) -> float | None:
        return getattr(self, name)

    @property
    def cv(self) -> float | None:
        """Coefficient of variation, where it is defined."""
        if self.stdev is None or not self.mean:
            return None
        return self.stdev / abs(self.mean)


class Alert(Record):
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


class FidelitySummary(Record):
    reference: str  # the reference variant's id
    cases: int
    token_agreement: float | None
    first_divergence_mean: float | None  # identical answers count at their full length
    kl_mean: float | None  # over cases with a finite KL
    identical_share: float | None = None  # cases whose answer equals the reference's
    kl_non_finite_share: float | None = None  # cases whose log-probs were NaN/inf (KL infinite)
    score_deltas: dict[str, float | None] = Field(default_factory=dict)
    note: str | None = None


class EnergySummary(Record):
    """Energy over a variant's measured answers (successful samples), from real counters only."""

    energy_j: Finite = None  # the sum of the samples' energy
    energy_j_per_token: Finite = None  # energy_j / the output tokens of those samples
    energy_method: Annotated[str | None, GENERATED] = None  # the counter read (NVML total energy, RAPL domains)
    energy_missing: str | None = None  # why the figures are null


class Variant(Record):
    id: str
    model: ModelRef
    quantization: str
    device: str
    axes: dict[str, str | int | bool | None] = Field(default_factory=dict)
    backend: str = "transformers"
    synthetic: bool = Field(default=False, description="random weights: scores mean nothing")
    status: VariantStatus
    error: str | None = None
    load: LoadFigures = Field(default_factory=LoadFigures)
    summary: dict[str, Summary] = Field(default_factory=dict)
    success_rate: float | None = None
    scores: dict[str, float | None] = Field(default_factory=dict)
    scores_by_tag: dict[str, dict[str, float | None]] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    fidelity: FidelitySummary | None = None
    energy: EnergySummary | None = None
    worker: WorkerFigures | None = None
    tasks: list[TaskResult] = Field(default_factory=list, description="benchmark tasks scored on this variant")

    def figure(self, metric: Metric) -> float | None:
        """The variant's value of a metric (a summary statistic, a load or fidelity figure)."""
        scope = metric.scope
        if scope == "success":
            return self.success_rate
        if scope == "sample":
            s = self.summary.get(metric.field)
            return None if s is None else s.stat(metric.stat)
        holder = {"load": self.load, "fidelity": self.fidelity, "energy": self.energy}[scope]
        value = getattr(holder, metric.attribute, None) if holder is not None else None
        return None if value is None else float(value)

    @property
    def identity(self) -> tuple[Any, ...]:
        """What makes two runs' variants the same variant: model, scheme, device and axes."""
        return (self.model.source, self.model.id, self.model.adapter, self.quantization, self.device,
                tuple(sorted((k, v) for k, v in self.axes.items() if v is not None)))


class ScoreDetail(Record):
    label: str | None = None
    reason: str = ""
    decided_by: str | None = None  # "label": the case's expect/safety label; "rules": the scorer's guess; "judge"
    raw: str | None = None  # a judge's answer as it came
    judge: str | None = None  # the judge's identity (source:model quantization device)


class SampleFidelity(Record):
    token_agreement: float
    first_divergence: int | None  # None: identical to the reference over its length
    kl_mean: float | None  # None where it cannot be measured or is not finite (see kl_non_finite)
    reference_tokens: int | None = None  # the reference answer's length (for divergence means)
    kl_non_finite: bool = False  # the variant's log-probs were NaN/inf: KL is infinite


class Timing(Record):
    """One generation's timing, local or streamed from an endpoint, built by one formula
    (measure/tokens.py `generation_timing`) and carried by every record of an answer: a run's
    Measurement, a probe's, a load test's and a monitor's request. A new timing metric is a field
    here, its line in `generation_timing` and its entry in evalharness/metrics.py."""

    latency_s: Measured = None
    ttft_s: Measured = None
    prefill_tokens_per_s: Measured = None  # null at an endpoint: its TTFT holds the network and the queue
    decode_tokens_per_s: Measured = None
    inter_token_latency_s: Measured = None
    output_tokens: Count = None
    token_count_source: str | None = None  # tokenizer (local), or usage / tokenizer / chunks (endpoint)


# the per-request figures an endpoint tool summarises (probe, load stages): every per-sample metric
# of metrics.py that a Timing holds
REQUEST_FIELDS: tuple[str, ...] = tuple(f for f in sample_fields() if f in Timing.model_fields)


class Measurement(Timing):
    """What one generation measured: a runtime returns it, a sample carries it. A new per-sample
    metric is a field here (or on Timing, for a timing figure endpoints measure too), an entry in
    evalharness/metrics.py, and the code that measures it."""

    output: str | None
    prompt_tokens: Count = None
    peak_rss_mb: Measured
    gpu_peak_mb: Measured
    gpu_device_used_mb: Measured = None
    output_ids: list[int] | None = None
    batch_size: int = Field(default=1, ge=1)
    energy_j: Measured = None  # the device's (GPU) or package's (CPU) counter over the generation
    energy_method: Annotated[str | None, GENERATED] = None  # the counter read, when energy_j was measured
    energy_missing: str | None = None  # why energy_j is null


def generated_fields() -> tuple[str, ...]:
    """The Measurement fields marked GENERATED: what a reused sample cannot take from the earlier one."""
    return tuple(name for name, f in Measurement.model_fields.items() if GENERATED in f.metadata)


class Sample(Measurement):
    variant_id: str
    case_id: str
    repeat: int = Field(ge=0)
    tags: list[str] = Field(default_factory=list)
    prompt: str
    success: bool
    error: str | None
    scores: dict[str, float | None] = Field(default_factory=dict)
    score_details: dict[str, ScoreDetail] = Field(default_factory=dict)
    fidelity: SampleFidelity | None = None
    node: str | None = None  # Ray: the node the sample was measured on (a key of Report.nodes)
    reuse_key: str | None = None  # what makes this generation the same as another (see runner/reuse.py)
    reused_from: str | None = None  # the run whose output this sample took (--reuse)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.variant_id, self.case_id, self.repeat)


class RunConfig(Record):
    warmup: int
    repeats: int
    threads: int | None = None  # torch CPU threads when the suite or --threads set them
    generation: dict[str, float | int | bool]
    scorers: list[str]
    cases: int
    isolation: str = "none"  # "process": each variant in its own worker; reports before workers: none
    schedule: str = "sequential"  # or "interleaved": (case, repeat) units round-robin over variants
    shard: str | None = None  # "K/N": this run measured the K-th of N shares of the (case, repeat) units
    executor: str = "local"  # or "ray": variants ran as Ray actors, possibly on other machines


class PlanEntry(Record):
    """One planned variant, as the samples log records it (enough to rebuild it on resume)."""

    id: str
    model: dict[str, Any]  # the suite's ModelSpec, dumped
    quantization: str
    device: str
    axes: dict[str, Any] = Field(default_factory=dict)


class RunHeader(Record):
    """The first line of a samples log: what the run is, so it can be resumed or watched live."""

    schema_version: int
    run_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")  # names the run's files
    started_at: str
    suite: SuiteRef
    environment: Environment
    config: RunConfig
    plan: list[PlanEntry]

    @property
    def planned_samples(self) -> int:
        units = self.config.cases * self.config.repeats
        if self.config.shard is not None:  # units dealt out in turn: shard K holds every N-th from K-1
            k, n = (int(x) for x in self.config.shard.split("/"))
            units = max(0, (units - k + n) // n)
        return len(self.plan) * units


class ShardRecord(Record):
    """One shard a merged report was made of: its run, its share and the machine it ran on."""

    run_id: str
    shard: str | None
    started_at: str
    finished_at: str | None
    status: RunStatus
    environment: Environment
    load: dict[str, LoadFigures] = Field(default_factory=dict)  # each variant's load in that shard


class NodeRecord(Record):
    """A samples-log line for each Ray node a run's variants ran on: its id and environment."""

    id: str
    environment: Environment


class ResumeRecord(Record):
    """A samples-log line written each time a run is resumed: when, and on which machine."""

    at: str
    environment: Environment


class Report(Record):
    schema_version: int
    run_id: str
    suite: SuiteRef
    started_at: str
    finished_at: str | None
    status: RunStatus
    environment: Environment
    config: RunConfig
    variants: list[Variant]
    samples: list[Sample]
    alerts: list[Alert]
    resumed: list[ResumeRecord] = Field(default_factory=list)  # machines that finished it later
    shards: list[ShardRecord] = Field(default_factory=list)  # a merged report: the shards it holds
    nodes: dict[str, Environment] = Field(default_factory=dict)  # Ray: each node's environment by node id

    def alerts_fired(self) -> dict[str, int]:
        """How many alerts fired for each variant (those with none are absent)."""
        fired: dict[str, int] = {}
        for a in self.alerts:
            if a.variant_id:
                fired[a.variant_id] = fired.get(a.variant_id, 0) + 1
        return fired
