"""Endpoint variants: cases are streamed to an OpenAI-compatible server and timed per chunk."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from evalharness.endpoints.client import EndpointResult, Timeouts, stream_chat


def case_messages(case: Any) -> list[dict[str, str]]:
    if case.messages is not None:
        return [{"role": m.role, "content": m.content} for m in case.messages]
    return [{"role": "user", "content": case.prompt}]


def local_counter(tokenizer: str | None) -> Callable[[str], int] | None:
    """A local token counter for servers that report no usage: 'embedded' or an HF id/folder."""
    if tokenizer is None:
        return None
    from transformers import AutoTokenizer

    if tokenizer == "embedded":
        from evalharness.models.embedded import ensure_converted

        tokenizer = str(ensure_converted())
    tok = AutoTokenizer.from_pretrained(tokenizer)
    return lambda text: len(tok(text, add_special_tokens=False)["input_ids"])


class OpenAIBackend:
    name = "openai"
    synthetic = False
    remote = True
    eos_ids: frozenset[int] = frozenset()

    def __init__(self, model: str, endpoint: Any) -> None:
        self.model = model
        self.endpoint = endpoint
        # the key is read from the environment at run time and never stored in reports or logs
        self._key = os.environ.get(endpoint.api_key_env) if endpoint.api_key_env else None
        if endpoint.api_key_env and self._key is None:
            raise ValueError(f"environment variable {endpoint.api_key_env} (api_key_env) is not set")
        t = endpoint.timeouts
        self.timeouts = Timeouts(t.connect_s, t.first_token_s, t.total_s)
        self.count_tokens = local_counter(endpoint.tokenizer)

    def encode(self, case: Any) -> list[dict[str, str]]:
        return case_messages(case)

    def call(self, messages: list[dict[str, str]], params: Any) -> EndpointResult:
        return stream_chat(self.endpoint.base_url, self.model, messages, max_tokens=params.max_new_tokens,
                           temperature=params.temperature if params.do_sample else 0.0, api_key=self._key,
                           timeouts=self.timeouts, count_tokens=self.count_tokens)

    def generate(self, messages: Any, params: Any) -> EndpointResult:
        return self.call(messages, params)

    def measure_case(self, case: Any, params: Any) -> dict[str, Any]:
        """Sample fields for one case; process memory and GPU figures are the server's: null."""
        r = self.call(self.encode(case), params)
        return {
            "output": r.text if r.success else None, "prompt_tokens": r.prompt_tokens,
            "output_tokens": r.completion_tokens if r.success else None,
            "latency_s": r.latency_s if r.success else None, "ttft_s": r.ttft_s if r.success else None,
            "prefill_tokens_per_s": None, "decode_tokens_per_s": r.decode_tokens_per_s if r.success else None,
            "inter_token_latency_s": r.inter_token_latency_s if r.success else None,
            "peak_rss_mb": None, "gpu_peak_mb": None, "success": r.success,
            "error": None if r.success else f"{r.error_kind}: {r.error}",
            "token_count_source": r.token_source,
        }

    def decode(self, ids: list[int]) -> str:
        raise NotImplementedError

    def footprint_mb(self) -> float | None:
        return None

    def teacher_forced_logprobs(self, prompt: Any, target: Any) -> Any | None:
        return None

    def close(self) -> None:
        pass
