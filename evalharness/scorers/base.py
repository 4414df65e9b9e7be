"""The scorer interface: (case, output) -> value in [0, 1] or None, a label and a reason."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from evalharness.registry import Registry


@dataclass(frozen=True)
class ScoringInput:
    """What a scorer may look at besides the output. Built from a case, never from a model."""

    prompt: str
    reference: str | None = None
    tags: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    expect: str | None = None  # the case's label: "refuse" or "comply"
    safety: str | None = None  # the case's label: "unsafe" or "safe"

    def unsafe_by_label(self) -> bool | None:
        """Whether the case's labels call the request unsafe; None when it carries no label."""
        if self.safety is not None:
            return self.safety == "unsafe"
        if self.expect is not None:
            return self.expect == "refuse"
        return None


@dataclass(frozen=True)
class Score:
    """`value` in [0, 1] where 1 is the good / "yes" end; None when the scorer does not apply."""

    value: float | None
    label: str | None = None
    reason: str = ""
    decided_by: str | None = None  # "label" (the case said what to expect) or "rules" (the scorer guessed)

    def __post_init__(self) -> None:
        if self.value is not None and not 0.0 <= self.value <= 1.0:
            raise ValueError(f"score {self.value} outside [0, 1]")


class Scorer:
    name: str = ""
    description: str = ""

    def score(self, inp: ScoringInput, output: str) -> Score:
        raise NotImplementedError


SCORERS: Registry[Scorer] = Registry("scorer")


register = SCORERS.plugin


def safe_score(name: str, inp: ScoringInput, output: str) -> Score:
    """A scorer's verdict, or null with the reason when the scorer fails on this output: a
    hostile answer (deep nesting, huge numbers, odd characters) never ends a run."""
    try:
        return SCORERS.get(name).score(inp, output)
    except Exception as exc:  # RecursionError, MemoryError, ValueError, ... all become data
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        return Score(None, label="error", reason=f"scorer failed: {type(exc).__name__}: {first}")


_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]
