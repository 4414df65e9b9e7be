"""Batch invariance: do greedy answers change when the server has other requests in flight?

Servers that batch concurrent requests often change greedy answers under load (the batch's shape
changes the kernels' reduction order). Each prompt is asked twice alone, one request at a time
(the server's own repeatability), then `concurrency` times with `concurrency` requests in
flight, prompts interleaved; every answer is compared with the prompt's first answer alone."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from evalharness.canary.answers import compare
from evalharness.endpoints.client import EndpointResult
from evalharness.endpoints.probe import failure_kinds
from evalharness.reports.endpoint import BatchExample, BatchInvariance

# short, varied, with one clear greedy continuation each (the --prompt given is added)
PROMPTS = ("Name the capital of France and one famous building there.",
           "List three primary colours.",
           "What is 12 times 7? Answer with the number and one sentence.",
           "Write one sentence about the ocean.",
           "Translate 'good morning' into Spanish.",
           "Give one tip for sleeping well.",
           "Who wrote Romeo and Juliet?",
           "Describe a cat in five words.")

Call = Callable[[list[dict[str, Any]]], EndpointResult]


def batch_invariance(call: Call, prompts: Sequence[str], concurrency: int) -> BatchInvariance:
    out = BatchInvariance(concurrency=concurrency, prompts=len(prompts))
    first: dict[int, str] = {}
    sent: list[EndpointResult] = []
    for i, prompt in enumerate(prompts):
        answers = [call([{"role": "user", "content": prompt}]) for _ in range(2)]
        sent += answers
        if answers[0].success:
            first[i] = answers[0].text
            if answers[1].success:
                _tally(out, "alone", prompt, first[i], answers[1].text)
    jobs = [i for _ in range(concurrency) for i in range(len(prompts))]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda i: call([{"role": "user", "content": prompts[i]}]), jobs))
    sent += results
    for i, r in zip(jobs, results):
        if r.success and i in first:
            _tally(out, "together", prompts[i], first[i], r.text)
    out.failures = failure_kinds(sent)
    return out


def _tally(out: BatchInvariance, side: str, prompt: str, reference: str, answer: str) -> None:
    c = compare(answer, reference)
    setattr(out, f"{side}_compared", getattr(out, f"{side}_compared") + 1)
    if c.exact:
        return
    setattr(out, f"{side}_differ", getattr(out, f"{side}_differ") + 1)
    if len(out.examples) < 5:
        out.examples.append(BatchExample(when=side, prompt=prompt[:200], first_divergence=c.first_divergence,
                                         alone=reference[:300], answer=answer[:300]))
