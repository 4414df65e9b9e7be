"""What a load test sends: plain prompts, or a suite's cases (its messages, images and
generation settings), cycled through request by request.

Request i gets item i mod n, so every prompt is sent at every stage and an answer under load can
be set beside the same prompt's unloaded answer. A suite's endpoint model brings its own server,
API key variable, timeouts and tokenizer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from evalharness.suite.loader import LoadedSuite
from evalharness.suite.model_spec import EndpointSpec, ModelSpec
from evalharness.suite.schema import Case

PROMPTS = ("Say hello in one short sentence.", "Name three colours.", "What is 12 times 7?",
           "Give one tip for writing clear code.")


@dataclass(frozen=True)
class Item:
    key: str  # the prompt's identity: its case id, or the prompt itself
    messages: list[dict[str, Any]]
    max_tokens: int
    temperature: float = 0.0
    sampling: dict[str, Any] = field(default_factory=dict)
    case: Case | None = None


@dataclass(frozen=True)
class Workload:
    items: tuple[Item, ...]

    def item(self, index: int) -> Item:
        return self.items[index % len(self.items)]


def prompts_workload(prompts: Sequence[str] | None, max_tokens: int) -> Workload:
    return Workload(tuple(Item(p, [{"role": "user", "content": p}], max_tokens) for p in (prompts or PROMPTS)))


def suite_workload(loaded: LoadedSuite, max_tokens: int | None = None) -> Workload:
    """The suite's cases as requests, with each case's generation settings (`max_tokens`, when
    given, caps every answer instead)."""
    from evalharness.endpoints.messages import case_messages
    from evalharness.runtimes.openai import request_sampling
    from evalharness.suite.params import gen_params

    items = []
    for case in loaded.cases:
        params = gen_params(loaded.suite, case)
        items.append(Item(case.id, case_messages(case), max_tokens or params.max_new_tokens,
                          params.temperature if params.do_sample else 0.0, request_sampling(params), case))
    return Workload(tuple(items))


@dataclass(frozen=True)
class Target:
    """One server and model to load: from the command line or from a suite's endpoint model."""

    label: str
    model: str
    endpoint: EndpointSpec  # the server: its URL, API key variable, timeouts, tokenizer

    @property
    def base_url(self) -> str:
        return self.endpoint.base_url


def url_target(base_url: str, model: str, api_key_env: str | None, total_s: float) -> Target:
    """A server named on the command line, as a suite's endpoint model would name it."""
    from evalharness.suite.model_spec import EndpointTimeouts

    return Target(model, model, EndpointSpec(base_url=base_url, api_key_env=api_key_env,
                                             timeouts=EndpointTimeouts(total_s=total_s)))


def endpoint_targets(loaded: LoadedSuite, wanted: str | None) -> list[Target]:
    """The suite's endpoint models (or the one whose name or id is `wanted`); ValueError naming
    the suite and what it has when there is nothing to load."""
    served = [m for m in loaded.suite.models if m.endpoint is not None]
    if not served:
        raise ValueError(f"{loaded.path}: no endpoint models to load (a model with `source: openai` and an "
                         "`endpoint:`); or give a server: evalharness load BASE_URL --model NAME")
    if wanted is not None:
        picked = [m for m in served if wanted in (m.label, m.id)]
        if not picked:
            names = ", ".join(m.label for m in served)
            raise ValueError(f"{loaded.path}: no endpoint model named {wanted!r} (it has: {names})")
        served = picked
    return [_target(m) for m in served]


def _target(m: ModelSpec) -> Target:
    assert m.endpoint is not None
    return Target(m.label, m.id, m.endpoint)
