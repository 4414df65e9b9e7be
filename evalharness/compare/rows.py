"""A comparison's rows and verdicts: what `compare` and the gate judged, metric by metric."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from evalharness.alerts import SEVERITY_RANK, Severity
from evalharness.suite.gate import GatePolicy

# benchmark tasks: "non-inferior" / "inferior" against the task's margin (compare.tasks)
Verdict = Literal["regression", "improvement", "no change", "inconclusive", "non-inferior", "inferior"]


@dataclass
class MetricComparison:
    variant_id: str
    metric: str
    kind: str  # the metric's kind (metrics.Kind): timing, memory, rate, score, count, ...
    unit: str
    baseline: float | None
    candidate: float | None
    change: float | None  # relative for timing/memory, absolute for scores and rates
    relative: bool
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    verdict: Verdict
    severity: Severity | None  # None: reported, does not gate
    higher_is_better: bool
    notes: list[str] = field(default_factory=list)

    @property
    def gating(self) -> bool:
        return self.verdict in ("regression", "inferior") and self.severity is not None


@dataclass
class Comparison:
    baseline_run: str
    candidate_run: str
    rows: list[MetricComparison]
    variants_only_in_baseline: list[str]
    variants_only_in_candidate: list[str]
    cases_only_in_baseline: dict[str, list[str]]
    cases_only_in_candidate: dict[str, list[str]]
    environment_differences: list[str]
    policy: GatePolicy
    problems: list[str] = field(default_factory=list)  # fail the gate whatever the severity floor

    def gating_failures(self, floor: Severity = "critical") -> list[MetricComparison]:
        return [r for r in self.rows if r.gating and SEVERITY_RANK[r.severity] >= SEVERITY_RANK[floor]]  # type: ignore[index]

    def to_dict(self) -> dict:
        return {
            "baseline_run": self.baseline_run, "candidate_run": self.candidate_run,
            "rows": [asdict(r) for r in self.rows],
            "variants_only_in_baseline": self.variants_only_in_baseline,
            "variants_only_in_candidate": self.variants_only_in_candidate,
            "cases_only_in_baseline": self.cases_only_in_baseline,
            "cases_only_in_candidate": self.cases_only_in_candidate,
            "environment_differences": self.environment_differences,
            "problems": self.problems,
            "policy": self.policy.model_dump(),
        }
