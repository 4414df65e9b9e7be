"""A suite's `load:` section: how `evalharness load SUITE` loads its endpoint models (command-line
options override it, `--alert` rules add to its own)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator

from evalharness.loadtest_rules import parse_rule
from evalharness.reports.loadtest import SLO_FIELDS, slo_limits
from evalharness.suite.model_spec import Strict


class LoadSpec(Strict):
    """Profile, size, SLOs and alert rules of a load test."""

    profile: Literal["synchronous", "concurrent", "throughput", "constant", "poisson", "sweep"] = Field(
        default="synchronous", description="synchronous, concurrent/throughput (closed loop), constant/poisson (open "
        "loop), or sweep")
    concurrency: int = Field(default=4, ge=1, le=512, description="requests in flight (closed loop, sweep)")
    rate: float | None = Field(default=None, gt=0, description="requests/s offered (constant, poisson)")
    burstiness: float = Field(default=1.0, gt=0, description="gamma arrivals' shape (1 = Poisson)")
    requests: int | None = Field(default=None, ge=1, le=100_000, description="measured requests per stage")
    duration_s: float | None = Field(default=None, gt=0, description="seconds of sending per stage")
    warmup: int = Field(default=1, ge=0, description="requests per stage left out of the figures")
    sweep_steps: int = Field(default=4, ge=1, description="sweep: rates between synchronous and throughput")
    max_new_tokens: int | None = Field(default=None, ge=1, le=65536, description="caps every answer (default: "
                                       "each case's generation settings); `max_tokens` is read as this",
                                       validation_alias=AliasChoices("max_new_tokens", "max_tokens"))
    slos: dict[str, float] = Field(default_factory=dict, description=f"{', '.join(SLO_FIELDS)} -> the seconds each "
                                   "request may take; goodput counts the requests meeting all")
    alerts: tuple[str, ...] = Field(default=(), description="rules such as 'quality drop > 0.05 at max'")

    @field_validator("slos")
    @classmethod
    def _known_slos(cls, v: dict[str, float]) -> dict[str, float]:
        return slo_limits(v)  # keyed by the request field (a former name such as ttft_p95_s is read as ttft_s)

    @field_validator("alerts")
    @classmethod
    def _rules_parse(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for text in v:
            parse_rule(text)  # ValueError naming the rule and the grammar
        return v

    @model_validator(mode="after")
    def _sized(self) -> LoadSpec:
        if self.profile in ("constant", "poisson") and self.rate is None:
            raise ValueError(f"profile {self.profile} needs `rate` (requests/s)")
        return self
