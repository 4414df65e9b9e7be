"""One target's canaries: each answer compared with the pins, the serving variant matched, drift
detected by a CUSUM of mismatches with the reference, alerts raised as monitor records."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from evalharness.canary.answers import Comparison, compare
from evalharness.canary.cusum import BernoulliCusum, Design
from evalharness.canary.match import Match, VariantMatcher
from evalharness.canary.pins import Pins
from evalharness.reports.monitor import CanaryDetails, CanaryFields, Differing, MonitorAlert

TEXT_CHARS = 500  # of each answer shown in an alert


class CanaryFigures(CanaryFields):
    """What one probe adds to its monitor record, and the canary alerts it raised."""

    alerts: list[MonitorAlert] = Field(default_factory=list)

    def record_fields(self) -> dict[str, Any]:
        return self.model_dump(exclude={"alerts"})


@dataclass(frozen=True)
class Divergence:
    case_id: str
    first_divergence: int | None
    agreement: float
    served: str
    pinned: str

    def shown(self) -> Differing:
        return Differing(case=self.case_id, first_divergence=self.first_divergence, agreement=round(self.agreement, 4),
                         served=self.served[:TEXT_CHARS], pinned=self.pinned[:TEXT_CHARS])


class CanaryWatch:
    def __init__(self, target: str, pins: Pins, design: Design, reference: str | None = None,
                 match_window: int = 12, confident: float = 0.9) -> None:
        self.target, self.pins, self.design, self.confident = target, pins, design, confident
        self.reference = reference if reference is not None else (pins.variants[0] if len(pins.variants) == 1
                                                                  else None)
        self.matcher = VariantMatcher(pins.variants, design.p0, match_window)
        self.cusum = BernoulliCusum(design)
        self.drifted = False
        self.matched: str | None = None  # the last confident match
        self.matched_once = False
        self.streak = 0  # exact answers in a row since the drift fired
        self.recent: deque[Divergence] = deque(maxlen=max(5, match_window))

    @property
    def recover_after(self) -> int:
        """Exact answers in a row that end a drift: one round of the pinned cases, at least 3."""
        return max(3, len(self.pins.cases()))

    def observe(self, case_id: str, answer: str, now: float) -> CanaryFigures:
        """A successful probe's answer to a case."""
        fig = CanaryFigures(case_id=case_id)
        if self.pins.learned(case_id, answer) or case_id not in self.pins.cases():
            return fig
        by_variant = {v: compare(answer, self.pins.answers[v][case_id]) for v in self.pins.variants}
        match = self.matcher.add({v: c.exact for v, c in by_variant.items()})
        fig.matched_variant, fig.match_confidence = match.variant, match.confidence
        fig.runner_up, fig.runner_up_confidence = match.runner_up, match.runner_up_confidence
        fig.alerts += self._variant(match, now)
        if self.reference is None:
            return fig
        fig.reference = self.reference
        c = by_variant[self.reference]
        fig.pinned_agreement, fig.pinned_exact, fig.pinned_first_divergence = c.agreement, c.exact, c.first_divergence
        if not c.exact:
            self.recent.append(Divergence(case_id, c.first_divergence, c.agreement, answer,
                                          self.pins.answers[self.reference][case_id]))
        fig.alerts += self._drift(c, now)
        return fig

    def _variant(self, match: Match, now: float) -> list[MonitorAlert]:
        if match.confidence < self.confident or (self.matched_once and match.variant == self.matched):
            return []
        was, first = self.matched, not self.matched_once
        self.matched, self.matched_once = match.variant, True
        if self.reference is None and match.variant is not None:
            self.reference = match.variant  # drift is watched against the first confident match
        if first:
            return []
        name = lambda v: v or "no pinned variant"  # noqa: E731
        message = (f"FIRED warning variant-changed on {self.target}: now matches {name(match.variant)} "
                   f"({match.exact} of {match.window} canaries, confidence {match.confidence:.2f}), "
                   f"was {name(was)}")
        return [MonitorAlert(ts=now, event="fired", rule="variant-changed", target=self.target,
                             metric="match_confidence", value=match.confidence, threshold=self.confident,
                             severity="warning", message=message,
                             details=CanaryDetails(reference=self.reference, now=match.variant, was=was,
                                                   exact=match.exact, window=match.window,
                                                   runner_up=match.runner_up))]

    def _drift(self, c: Comparison, now: float) -> list[MonitorAlert]:
        signal = self.cusum.update(not c.exact)
        if not self.drifted:
            if not signal:
                return []
            self.drifted, self.streak = True, 0
            shown = [d.shown() for d in self.recent]
            message = (f"FIRED critical answers-drifted on {self.target}: {len(shown)} recent canaries differ "
                       f"from {self.reference}'s pinned answers (CUSUM {self.cusum.value:.2f} >= "
                       f"{self.design.h:.2f})")
            return [self._alert(now, "fired", "answers-drifted", "critical", message, differing=shown)]
        self.streak = self.streak + 1 if c.exact else 0
        if self.streak < self.recover_after:
            return []
        self.drifted = False
        self.cusum.reset()
        self.recent.clear()
        message = (f"RESOLVED answers-recovered on {self.target}: {self.streak} canaries in a row equal "
                   f"{self.reference}'s pinned answers")
        return [self._alert(now, "resolved", "answers-recovered", "info", message, in_a_row=self.streak)]

    def _alert(self, now: float, event: str, rule: str, severity: str, message: str, **details: Any) -> MonitorAlert:
        return MonitorAlert(ts=now, event=event, rule=rule, target=self.target, metric="canary_cusum",
                            value=self.cusum.value, threshold=self.design.h, severity=severity, message=message,
                            details=CanaryDetails(reference=self.reference, **details))
