"""The OpenAI-compatible runtime: cases are streamed to a server and timed per chunk.

Nothing is loaded in this process, so load, memory and GPU figures are the server's: null.
"""

from __future__ import annotations

from typing import Any

from evalharness.endpoints.bounded import bounded_client
from evalharness.endpoints.client import stream_chat
from evalharness.endpoints.messages import case_messages, client_settings
from evalharness.reports.schema import Measurement
from evalharness.runtimes.base import (
    Capabilities,
    GenerationError,
    GenParams,
    LoadTarget,
    Runtime,
    register,
)

SERVED = Capabilities(teacher_forced_logprobs=False, local_memory=False, gpu=False,
                      fixed_variant=("served", "remote"))


class OpenAIBackend:
    accepts_images = True  # sent as image_url parts; a text-only server answers with an error
    capabilities = SERVED
    synthetic = False

    def __init__(self, model: str, endpoint: Any) -> None:
        self.model = model
        self.endpoint = endpoint
        # the key is read from the environment at run time and never stored in reports or logs
        settings = client_settings(endpoint)
        self._key, self.timeouts, self.count_tokens = settings.api_key, settings.timeouts, settings.count_tokens
        # one client per variant: connections are reused, and the warm-up opens them before any
        # measured request, so TCP set-up is not in a measured TTFT
        self._http = bounded_client(max_connections=4)

    def encode(self, case: Any) -> list[dict[str, str]]:
        return case_messages(case)

    def generate(self, prompt: list[dict[str, str]], params: GenParams) -> Measurement:
        r = stream_chat(self.endpoint.base_url, self.model, prompt, max_tokens=params.max_new_tokens,
                        temperature=params.temperature if params.do_sample else 0.0,
                        sampling=request_sampling(params), api_key=self._key, timeouts=self.timeouts,
                        count_tokens=self.count_tokens, client=self._http)
        if not r.success:
            raise GenerationError(f"{r.error_kind}: {r.error}")
        return Measurement(
            output=r.text, output_ids=None, prompt_tokens=r.prompt_tokens, **r.timing.model_dump(),
            peak_rss_mb=None, gpu_peak_mb=None,
            energy_missing="the model runs in a server: its energy is the server's to measure",
        )

    def teacher_forced_logprobs(self, prompt: Any, target: list[int]) -> Any | None:
        return None

    def read_per_token(self) -> tuple[float | None, float | None]:
        return None, None  # the server's model is not ours to weigh

    def footprint_mb(self) -> float | None:
        return None

    def task_scorer(self) -> Any:
        """Log-likelihoods from the server's prompt log-probs (`echo` + `logprobs` on /completions),
        greedy text from /completions; a server without prompt log-probs is found out per task."""
        from evalharness.runtimes.openai_tasks import EndpointScorer

        return EndpointScorer(self._http, self.endpoint.base_url, self.model, self._key, self.timeouts)

    def close(self) -> None:
        self._http.close()


def request_sampling(params: GenParams) -> dict[str, Any]:
    """Every generation parameter a server can take, beside max_tokens and temperature."""
    out: dict[str, Any] = {"seed": params.seed}
    if params.do_sample:
        out["top_p"] = params.top_p
    if params.min_new_tokens:
        out["min_tokens"] = params.min_new_tokens  # vLLM, TGI-compatible servers
    return out


@register
class OpenAIRuntime(Runtime):
    name = "openai"
    description = "an OpenAI-compatible server (vLLM, llama.cpp, Ollama, TGI), streamed over HTTP"
    capabilities = SERVED

    def load(self, plan: LoadTarget) -> OpenAIBackend:
        return OpenAIBackend(plan.model.id, plan.model.endpoint)

    def probe(self, scheme: str, device: str) -> tuple[bool, str]:
        return False, "not probed: served by an endpoint"
