"""A suite's `monitor.canary:` section: how `evalharness monitor SUITE --pin RUN.json` watches its
answers (docs/canaries.md)."""

from __future__ import annotations

from pydantic import Field, model_validator

from evalharness.suite.model_spec import Strict


class CanarySpec(Strict):
    p0: float = Field(default=0.05, gt=0, lt=0.5,
                      description="in-control mismatch rate: how often the reference itself answers a canary "
                                  "differently (server nondeterminism); the false-alarm rate holds up to it")
    p1: float = Field(default=0.5, gt=0, lt=1, description="the mismatch rate to detect quickly (a changed model)")
    false_alarms_per_day: float = Field(default=1 / 30, gt=0, le=100,
                                        description="allowed drift false alarms per target and day at the interval")
    match_window: int = Field(default=12, ge=2, le=1000, description="canaries the variant match reads")
    confident: float = Field(default=0.9, gt=0.5, lt=1, description="posterior needed to name the serving variant")

    @model_validator(mode="after")
    def _ordered(self) -> CanarySpec:
        if self.p1 <= self.p0:
            raise ValueError(f"p1 ({self.p1}) must be above p0 ({self.p0})")
        return self
