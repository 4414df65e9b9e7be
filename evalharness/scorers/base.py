"""The scorer interface: (case, output) -> value in [0, 1] or None, a label and a reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from evalharness.registry import Registry


@dataclass(frozen=True)
class ScoringInput:
    """What a scorer may look at besides the output. Built from a case (or a row of a file), never
    from a model."""

    prompt: str
    reference: str | None = None
    tags: tuple[str, ...] = ()
    expect: str | None = None  # the case's label: "refuse" or "comply"
    safety: str | None = None  # the case's label: "unsafe" or "safe"
    assertions: tuple[Any, ...] = ()  # the case's checks (`assertions`)
    languages: tuple[str, ...] = ()  # the languages an answer may be in (`language`)
    correct_answers: tuple[str, ...] = ()  # TruthfulQA-style references (`truthful`)
    incorrect_answers: tuple[str, ...] = ()
    functions: tuple[Any, ...] = ()  # the functions offered (`function_call`)
    expected_call: Any = None  # one expected call, or several (`expected_calls`)
    expected_calls: tuple[Any, ...] | None = None
    call_input_error: str | None = None  # a file's functions/expected column that was not JSON

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


class ModelClient(Protocol):
    """A model a scorer may ask (through the harness's runtimes: local or an endpoint)."""

    identity: str

    def ask(self, text: str) -> str: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ScorerSetup:
    """What a scorer opens its resources from (a model, a cache, an endpoint): the settings of the
    section it names (`Scorer.settings_section`, e.g. a suite's `judge:`), the folder relative
    paths start from, and how to reach a model (given by the scoring layer, which has the
    runtimes: `settings -> ModelClient`)."""

    settings: Any = None
    base: Path | None = None
    model_client: Callable[[Any], ModelClient] | None = None


class Scorer:
    name: str = ""
    description: str = ""
    # the suite section this scorer reads its settings from (`judge`); a suite that uses the
    # scorer must have it, and `open` receives it
    settings_section: str | None = None
    # a case field that, when filled, adds this scorer to the case's scorers whatever they are
    always_for: str | None = None

    def open(self, setup: ScorerSetup) -> Scorer:
        """The scorer ready to score a run's answers: itself, or a new instance holding what it
        opened (a model, a cache), released by `close`."""
        return self

    def close(self) -> None:
        """Release what `open` took (a loaded model, connections); called once, after scoring."""

    def score(self, inp: ScoringInput, output: str) -> Score:
        raise NotImplementedError


SCORERS: Registry[Scorer] = Registry("scorer")


register = SCORERS.plugin


def safe_score(scorer: Scorer | str, inp: ScoringInput, output: str) -> Score:
    """A scorer's verdict (an opened scorer, or a registered one by name), or null with the reason
    when the scorer fails on this output: a hostile answer (deep nesting, huge numbers, odd
    characters) never ends a run."""
    try:
        return (SCORERS.get(scorer) if isinstance(scorer, str) else scorer).score(inp, output)
    except Exception as exc:  # RecursionError, MemoryError, ValueError, ... all become data
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        return Score(None, label="error", reason=f"scorer failed: {type(exc).__name__}: {first}")


_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]
