"""Which pinned variant is serving: the posterior over the variants (and "none of them") given
which pins the last canaries matched exactly.

While variant v serves, a canary's answer equals v's pin except with a small probability eps (the
in-control mismatch rate p0); under "none of them" an answer equals a given pin with probability
eps. Uniform prior; the posterior is a softmax of the log-likelihoods over the window."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Match:
    variant: str | None  # None: the answers match no pinned variant
    confidence: float
    runner_up: str | None
    runner_up_confidence: float | None
    exact: int  # canaries of the window that equal the matched variant's pins
    window: int  # canaries in the window


class VariantMatcher:
    def __init__(self, variants: list[str], eps: float, window: int) -> None:
        self.variants = variants
        self.hit, self.miss = math.log(1 - eps), math.log(eps)
        self.recent: deque[dict[str, bool]] = deque(maxlen=window)

    def add(self, exact_by_variant: dict[str, bool]) -> Match:
        """One canary: for each variant, whether the answer equals its pin."""
        self.recent.append(exact_by_variant)
        logs: dict[str | None, float] = {v: 0.0 for v in self.variants}
        logs[None] = 0.0
        for row in self.recent:
            for v in self.variants:
                logs[v] += self.hit if row[v] else self.miss
            logs[None] += sum(self.miss if row[v] else self.hit for v in self.variants) / len(self.variants)
        top = max(logs.values())
        weights = {v: math.exp(x - top) for v, x in logs.items()}
        total = sum(weights.values())
        ranked = sorted(weights, key=lambda v: -weights[v])
        best, second = ranked[0], ranked[1] if len(ranked) > 1 else None
        hits = sum(1 for row in self.recent if best is not None and row[best])
        return Match(best, weights[best] / total, second,
                     weights[second] / total if len(ranked) > 1 else None, hits, len(self.recent))
