"""The load-test report (`evalharness load`, results/load/*.json): where it goes, what it says it
is, and its records, typed: a request, a stage with its summary and quality, an alert, the run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator

from evalharness.metrics import lower_is_better
from evalharness.reports.schema import REQUEST_FIELDS, Finite, Record, Timing

LOAD_FOLDER = "load"  # results/load/: load tests, not run reports (the report scan leaves it out)
LOAD_KIND = "evalharness-load"  # the document's `kind`
LOAD_SCHEMA_VERSION = 1
# the per-request figures a stage summarises as p50/p90/p95/p99/mean: every per-sample metric of
# metrics.py that a streamed answer's Timing holds
SUMMARY_FIELDS = REQUEST_FIELDS
# what a goodput SLO may bound: a request's own figure in seconds where lower is better, named as
# the request record names it (`ttft_s=0.5`: a request counts when its TTFT is at most 0.5 s)
SLO_FIELDS = tuple(f for f in SUMMARY_FIELDS if f.endswith("_s") and lower_is_better(f))
# the names before one spelling (they bounded each request too, never a p95)
FORMER_SLO_NAMES = {"ttft_p95_s": "ttft_s", "itl_p95_s": "inter_token_latency_s", "latency_p95_s": "latency_s"}


def slo_field(name: str) -> str:
    """The request figure an SLO bounds (a former name is read as its field), or ValueError."""
    field = FORMER_SLO_NAMES.get(name, name)
    if field not in SLO_FIELDS:
        raise ValueError(f"unknown SLO {name!r}: use {', '.join(SLO_FIELDS)} (seconds each request may take, "
                         "e.g. ttft_s=0.5)")
    return field


def slo_limits(slos: dict[str, float]) -> dict[str, float]:
    """SLOs keyed by the field they bound, each above 0 s (ValueError naming the SLO otherwise)."""
    out: dict[str, float] = {}
    for name, limit in slos.items():
        field = slo_field(name)
        if not limit > 0:
            raise ValueError(f"SLO {name} must be above 0 s")
        out[field] = limit
    return out


class LoadRequestRecord(Timing):
    """One measured request: when it went (seconds since the run began), how it went, its timing
    (endpoints/client.py's one formula) and, with a suite, its case and scores."""

    index: int
    start_s: Finite
    scheduled_s: Finite = None  # open loop: when it was due
    success: bool
    error: str | None = None
    error_kind: str | None = None
    output: str | None = None
    case_id: str | None = None  # with a suite: the case the request asked
    scores: dict[str, float | None] | None = None  # with a suite; None when it got no answer


class Percentiles(Record):
    p50: Finite = None
    p90: Finite = None
    p95: Finite = None
    p99: Finite = None
    mean: Finite = None


class VsSynchronous(Record):
    """A stage's answers against the same prompts' answers unloaded (the sweep's synchronous stage)."""

    compared: int
    changed_rate: Finite = None
    shorter_rate: Finite = None


class StageRecord(Record):
    profile: str
    concurrency: int | None = None  # closed loop: in flight; None for open loop
    offered_rate: Finite = None  # open loop: requests/s offered
    achieved_rate: Finite = None
    goodput: Finite = None  # requests/s that met every SLO
    saturated: bool = False
    saturation: str | None = None  # how it showed
    warmup_requests: int = 0
    success_rate: Finite = None
    empty_rate: Finite = None
    truncated_rate: Finite = None
    errors: dict[str, int] = Field(default_factory=dict)  # failure kind -> requests
    requests: list[LoadRequestRecord] = Field(default_factory=list)
    summary: dict[str, Percentiles] = Field(default_factory=dict)  # a SUMMARY_FIELDS name -> percentiles
    vs_synchronous: VsSynchronous | None = None
    scores: dict[str, float | None] | None = None  # with a suite: each scorer's mean over the answers
    answered_quality: Finite = None
    quality: Finite = None  # a request without an answer counts 0

    @property
    def name(self) -> str:
        """As tables and alerts name it: `synchronous`, `throughput x4`, `constant 0.82/s`."""
        name = self.profile
        if self.offered_rate is not None:
            name += f" {self.offered_rate:.3g}/s"
        if self.profile in ("concurrent", "throughput"):
            name += f" x{self.concurrency}"
        return name

    @property
    def load(self) -> float | None:
        """The stage's load: the offered rate, or the achieved one for a closed-loop stage."""
        return self.offered_rate if self.offered_rate is not None else self.achieved_rate


class LoadAlert(Record):
    rule: str
    stage: str | None
    value: Finite = None
    threshold: float
    fired: bool | None  # None: not evaluated (the message says why)
    message: str


class LoadReport(Record):
    kind: Literal["evalharness-load"] = LOAD_KIND
    schema_version: int = LOAD_SCHEMA_VERSION
    started_at: str
    target: str
    base_url: str
    model: str
    suite: str | None = None
    profile: str
    slos: dict[str, float] = Field(default_factory=dict)  # request field -> seconds (see SLO_FIELDS)
    knee_rate: Finite = None
    saturated_at: Finite = None
    intact_up_to: Finite = None
    degraded: str | None = None
    alerts: list[LoadAlert] = Field(default_factory=list)
    stages: list[StageRecord]

    @field_validator("slos", mode="before")
    @classmethod
    def _former_names(cls, v: object) -> object:  # files written before one spelling
        return {FORMER_SLO_NAMES.get(k, k): x for k, x in v.items()} if isinstance(v, dict) else v


class LoadReportError(Exception):
    pass


def read_load_report(path: Path) -> LoadReport:
    """The load test in `path`, or LoadReportError naming the file and what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise LoadReportError(f"{path.name}: not readable JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict) or data.get("kind") != LOAD_KIND:
        raise LoadReportError(f"{path.name}: not an evalharness load test")
    if data.get("schema_version", LOAD_SCHEMA_VERSION) != LOAD_SCHEMA_VERSION:
        raise LoadReportError(f"{path.name}: schema_version {data.get('schema_version')} is not supported "
                              f"(this reader: {LOAD_SCHEMA_VERSION})")
    try:
        return LoadReport.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise LoadReportError(f"{path.name}: {'.'.join(str(x) for x in err['loc'])}: {err['msg']}") from None
