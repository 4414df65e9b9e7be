"""Gate policy: which metrics gate, their tolerances and severities (a suite's `gate:`)."""

from __future__ import annotations

import difflib
import fnmatch
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from evalharness.metrics import FORMER_NAMES, metric_of_statistic, shown_in
from evalharness.reports.schema import Severity


class GatePolicy(BaseModel):
    """How a candidate run is judged against a baseline."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    timing_tolerance: float = Field(default=0.10, ge=0, description="relative change ignored on timings")
    memory_tolerance: float = Field(default=0.05, ge=0, description="relative change ignored on memory")
    load_tolerance: float = Field(
        default=0.5, ge=0, description="relative change ignored on load time (one event per run: noisy)")
    score_tolerance: float = Field(default=0.05, ge=0, description="absolute change ignored on scores")
    rate_tolerance: float = Field(default=0.02, ge=0, description="absolute change ignored on success rate")
    run_noise_floor: float = Field(
        default=0.05, ge=0, le=1, description="least run-to-run spread (sd of log timing) assumed for a "
        "multi-run baseline; its own spread counts when larger")
    confidence: float = Field(default=0.95, gt=0.5, lt=1, description="confidence of intervals and tests")
    resamples: int = Field(default=2000, ge=100, le=100_000, description="bootstrap resamples")
    seed: int = Field(default=0, ge=0, description="bootstrap seed (reproducible verdicts)")
    single_run_timing: Literal["warning", "gate"] = Field(
        default="warning", description="a one-run baseline: timing regressions only warn (warning) or gate")
    task_margin: float = Field(default=0.01, gt=0, lt=1, description="non-inferiority margin of a benchmark "
                               "task's accuracy (0.01 = 1 point)")
    task_margins: dict[str, float] = Field(default_factory=dict, description="task name -> its own margin")
    metrics: dict[str, Severity] = Field(
        default_factory=lambda: {"*": "critical"},
        description="metric name (latency_s.p50, decode_tokens_per_s) or glob (e.g. scores.*) -> severity "
        "of a regression; others do not gate",
    )

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, v: dict[str, Severity]) -> dict[str, Severity]:
        known = [m.name for m in shown_in("compare")]
        # a former name (latency_p50) is read as its statistic; a metric named by its field answers to
        # its statistic too (decode_tokens_per_s.p50)
        v = {FORMER_NAMES.get(k, k): s for k, s in v.items()}
        v = {(m.name if (m := metric_of_statistic(k)) is not None else k): s for k, s in v.items()}
        for name in v:
            if any(ch in name for ch in "*?[") or name.startswith(("scores.", "tasks.")):
                continue
            if name not in known:
                close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
                hint = f" Did you mean: {', '.join(close)}?" if close else ""
                raise ValueError(f"unknown metric {name!r}.{hint} Available: {', '.join(known)}, "
                                 "scores.<scorer>, tasks.<task>.<metric>")
        return v

    def margin_of(self, task: str) -> float:
        return self.task_margins.get(task, self.task_margin)

    def severity_of(self, metric: str) -> Severity | None:
        exact = self.metrics.get(metric)
        if exact is not None:
            return exact
        for pattern, severity in self.metrics.items():
            if fnmatch.fnmatch(metric, pattern):
                return severity
        return None
