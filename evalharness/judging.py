"""A model a scorer can ask (`ScorerSetup.model_client`): its settings (a suite's `judge:` section,
or any section with the same fields: model, quantization, device, chat, max_new_tokens) made
into a client over the same runtimes as the models under test (transformers, llama.cpp, an
OpenAI-compatible endpoint), greedy, at most `max_new_tokens`. The model is loaded on the first
question, so a run whose verdicts are all cached loads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evalharness.runtimes import Backend, GenerationError, GenParams, runtime_for
from evalharness.suite.schema import Axes, Case, JudgeSpec, Message


@dataclass
class _Target:
    id: str
    model: Any
    quantization: str
    device: str
    axes: Any = field(default_factory=Axes)


class RuntimeModel:
    """A ModelClient (scorers.base) over a harness runtime."""

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
            target = _Target(f"scorer-model/{self.spec.model.label}", self.spec.model, self.quantization, self.device)
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
            raise GenerationError("the model gave no answer")
        return out

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None


def runtime_client(settings: JudgeSpec) -> RuntimeModel:
    return RuntimeModel(settings)
