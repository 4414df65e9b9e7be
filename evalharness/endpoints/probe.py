"""`evalharness probe`: a one-shot measurement of an endpoint, optionally under bounded load."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from evalharness.endpoints.bounded import bounded_client
from evalharness.endpoints.client import EndpointResult, Timeouts, stream_chat
from evalharness.measure.stats import summarize
from evalharness.reports.endpoint import ProbeReport, ProbeSummary
from evalharness.reports.schema import REQUEST_FIELDS


def run_probe(base_url: str, model: str, prompt: str, requests: int, concurrency: int = 1,
              max_tokens: int = 64, api_key: str | None = None,
              timeouts: Timeouts | None = None) -> tuple[list[EndpointResult], ProbeSummary]:
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


def summary(results: list[EndpointResult], wall_s: float, concurrency: int) -> ProbeSummary:
    ok = [r.timing for r in results if r.success]
    tokens = sum(t.output_tokens or 0 for t in ok)
    return ProbeSummary(
        requests=len(results), succeeded=len(ok), success_rate=len(ok) / len(results) if results else None,
        concurrency=concurrency, wall_s=wall_s, requests_per_s=len(results) / wall_s if wall_s > 0 else None,
        output_tokens_per_s=tokens / wall_s if wall_s > 0 else None, failures=failure_kinds(results),
        **{f: summarize(getattr(t, f) for t in ok) for f in REQUEST_FIELDS},
        token_count_sources=sorted({t.token_count_source for t in ok if t.token_count_source}))


def write_json(path: Path, results: list[EndpointResult], summ: ProbeSummary) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ProbeReport(requests=[r.record() for r in results], summary=summ).model_dump_json(indent=2))
