"""The report schema. Units are in field names; anything not measured is null, never 0."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from evalharness.alerts import Alert

SCHEMA_VERSION = 1

RunStatus = Literal["running", "complete", "partial", "failed"]
VariantStatus = Literal["pending", "ok", "failed", "skipped"]


class Record(BaseModel):
    # Readers ignore fields added by newer minor versions; types stay strict.
    model_config = ConfigDict(extra="ignore")


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


class ModelRef(Record):
    source: str
    id: str
    label: str


class LoadFigures(Record):
    seconds: float | None = None
    peak_rss_mb: float | None = None
    footprint_mb: float | None = None
    gpu_peak_mb: float | None = None


class MetricSummary(Record):
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


class FidelitySummary(Record):
    reference: str  # the reference variant's id
    cases: int
    token_agreement: float | None
    first_divergence_mean: float | None
    kl_mean: float | None
    score_deltas: dict[str, float | None] = Field(default_factory=dict)
    note: str | None = None


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
    summary: dict[str, MetricSummary] = Field(default_factory=dict)
    success_rate: float | None = None
    scores: dict[str, float | None] = Field(default_factory=dict)
    scores_by_tag: dict[str, dict[str, float | None]] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    fidelity: FidelitySummary | None = None


class ScoreDetail(Record):
    label: str | None = None
    reason: str = ""


class SampleFidelity(Record):
    token_agreement: float
    first_divergence: int | None  # None: identical to the reference over its length
    kl_mean: float | None  # None where the variant's log-probs are not finite


class Sample(Record):
    variant_id: str
    case_id: str
    repeat: int
    tags: list[str] = Field(default_factory=list)
    prompt: str
    output: str | None
    prompt_tokens: int | None = None
    output_tokens: int | None
    latency_s: float | None
    ttft_s: float | None
    prefill_tokens_per_s: float | None
    decode_tokens_per_s: float | None
    inter_token_latency_s: float | None = None
    peak_rss_mb: float | None
    gpu_peak_mb: float | None
    gpu_device_used_mb: float | None = None
    output_ids: list[int] | None = None
    batch_size: int = 1
    token_count_source: str | None = None  # tokenizer (local), or usage / tokenizer / chunks (endpoint)
    success: bool
    error: str | None
    scores: dict[str, float | None] = Field(default_factory=dict)
    score_details: dict[str, ScoreDetail] = Field(default_factory=dict)
    fidelity: SampleFidelity | None = None

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
