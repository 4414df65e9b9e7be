"""Gate policy: which metrics gate, their tolerances and severities (a suite's `gate:`)."""

from __future__ import annotations

import fnmatch

from pydantic import BaseModel, ConfigDict, Field

from evalharness.alerts import Severity


class GatePolicy(BaseModel):
    """How a candidate run is judged against a baseline."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timing_tolerance: float = Field(default=0.10, ge=0, description="relative change ignored on timings")
    memory_tolerance: float = Field(default=0.05, ge=0, description="relative change ignored on memory/load")
    score_tolerance: float = Field(default=0.05, ge=0, description="absolute change ignored on scores")
    rate_tolerance: float = Field(default=0.02, ge=0, description="absolute change ignored on success rate")
    confidence: float = Field(default=0.95, gt=0.5, lt=1, description="confidence of intervals and tests")
    resamples: int = Field(default=2000, ge=100, le=100_000, description="bootstrap resamples")
    seed: int = Field(default=0, ge=0, description="bootstrap seed (reproducible verdicts)")
    metrics: dict[str, Severity] = Field(
        default_factory=lambda: {"*": "critical"},
        description="metric name or glob (e.g. scores.*) -> severity of a regression; others do not gate",
    )

    def severity_of(self, metric: str) -> Severity | None:
        exact = self.metrics.get(metric)
        if exact is not None:
            return exact
        for pattern, severity in self.metrics.items():
            if fnmatch.fnmatch(metric, pattern):
                return severity
        return None
