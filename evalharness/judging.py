"""The `judge` scorer's model: a suite's `judge:` section made into a client the scorer can ask.

The judge runs through the same runtimes as the models under test (transformers, llama.cpp, an
OpenAI-compatible endpoint), greedy, at most `max_new_tokens`. It is loaded on the first verdict
that is not in the cache, so a run whose verdicts are all cached loads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalharness.runtimes import Backend, GenerationError, GenParams, runtime_for
from evalharness.scorers.judge import JudgeBinding, VerdictCache
from evalharness.suite.judge import rubric_of
from evalharness.suite.schema import Axes, Case, JudgeSpec, Message


@dataclass
class _Target:
    id: str
    model: Any
    quantization: str
    device: str
    axes: Any = field(default_factory=Axes)


class RuntimeJudge:
    """A JudgeClient over a harness runtime."""

    def __init__(self, spec: JudgeSpec) -> None:
        self.spec = spec
        runtime = runtime_for(spec.model.source, spec.quantization)
        self.quantization, self.device = runtime.capabilities.fixed_variant or (spec.quantization, spec.device)
        m = spec.model
        where = m.endpoint.base_url if m.endpoint is not None else m.revision
        self.identity = f"{m.source}:{m.id}{'@' + where if where else ''} {self.quantization} {self.device}"
        self._runtime = runtime
        self._backend: Backend | None = None

    def _load(self) -> Backend:
        if self._backend is None:
            target = _Target(f"judge/{self.spec.model.label}", self.spec.model, self.quantization, self.device)
            self._runtime.prepare([target])
            self._backend = self._runtime.load(target)
        return self._backend

    def ask(self, text: str) -> str:
        backend = self._load()
        case = (Case(id="judge", messages=(Message(role="user", content=text),)) if self.spec.chat
                else Case(id="judge", prompt=text))
        params = GenParams(max_new_tokens=self.spec.max_new_tokens, min_new_tokens=0, do_sample=False,
                           temperature=1.0, top_p=1.0, seed=0)
        out = backend.generate(backend.encode(case), params).output
        if out is None:
            raise GenerationError("the judge gave no answer")
        return out

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None


def judge_binding(spec: JudgeSpec | None, base: Path | None = None) -> JudgeBinding | None:
    """The binding the `judge` scorer reads, or None without a `judge:` section. A relative cache
    path is relative to `base` (the suite's folder)."""
    if spec is None:
        return None
    cache = None
    if spec.cache:
        cache = Path(spec.cache)
        if not cache.is_absolute() and base is not None:
            cache = base / cache
    return JudgeBinding(RuntimeJudge(spec), rubric_of(spec.rubric), VerdictCache(cache))


def close_judge(binding: JudgeBinding | None) -> None:
    close = getattr(binding.client, "close", None) if binding is not None else None
    if close is not None:
        close()
