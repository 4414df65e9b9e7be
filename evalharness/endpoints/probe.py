"""`evalharness probe`: a one-shot measurement of an endpoint, optionally under bounded load."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from evalharness.endpoints.bounded import bounded_client
from evalharness.endpoints.client import EndpointResult, Timeouts, stream_chat
from evalharness.measure.stats import summarize


def run_probe(base_url: str, model: str, prompt: str, requests: int, concurrency: int = 1,
              max_tokens: int = 64, api_key: str | None = None,
              timeouts: Timeouts | None = None) -> tuple[list[EndpointResult], dict[str, Any]]:
    """`requests` chat completions, `concurrency` at a time; results in submission order."""
    messages = [{"role": "user", "content": prompt}]
    with bounded_client(max_connections=concurrency) as client:
        started = time.perf_counter()

        def one(_: int) -> EndpointResult:
            return stream_chat(base_url, model, messages, max_tokens=max_tokens, api_key=api_key,
                               timeouts=timeouts or Timeouts(), client=client)

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            results = list(pool.map(one, range(requests)))
        wall = time.perf_counter() - started
    return results, summary(results, wall, concurrency)


def failure_kinds(results: Iterable[EndpointResult]) -> dict[str, int]:
    """How many requests failed, by error kind."""
    return dict(Counter(r.error_kind or "unknown" for r in results if not r.success))


def summary(results: list[EndpointResult], wall_s: float, concurrency: int) -> dict[str, Any]:
    ok = [r for r in results if r.success]
    tokens = sum(r.output_tokens or 0 for r in ok)
    failures = failure_kinds(results)
    return {
        "requests": len(results), "succeeded": len(ok),
        "success_rate": len(ok) / len(results) if results else None,
        "concurrency": concurrency, "wall_s": wall_s,
        "requests_per_s": len(results) / wall_s if wall_s > 0 else None,
        "output_tokens_per_s": tokens / wall_s if wall_s > 0 else None,
        "failures": failures,
        "latency_s": summarize(r.latency_s for r in ok).model_dump(),
        "ttft_s": summarize(r.ttft_s for r in ok).model_dump(),
        "inter_token_latency_s": summarize(r.inter_token_latency_s for r in ok).model_dump(),
        "decode_tokens_per_s": summarize(r.decode_tokens_per_s for r in ok).model_dump(),
        "token_count_sources": sorted({r.token_count_source for r in ok if r.token_count_source}),
    }


def write_json(path: Path, results: list[EndpointResult], summ: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"requests": [r.record() for r in results], "summary": summ}, indent=2))
