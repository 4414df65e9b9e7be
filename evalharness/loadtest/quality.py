"""Answers under load: scored with the suite's scorers, and set beside the same prompts' answers
unloaded (the sweep's synchronous stage).

Requests are greedy (temperature 0), so a server that keeps up answers a prompt the same way at
any load: an answer that changes or comes back shorter under load is a fault a throughput figure
hides (llama-cpp-python's server, for one, cuts a running answer short when another request
arrives, with its default `interrupt_requests`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from evalharness.loadtest.workload import Workload
from evalharness.reports.loadtest import StageRecord, VsSynchronous
from evalharness.scoring import OpenScorers, score_output, scorer_names


def against_baseline(stages: Sequence[StageRecord], baseline: StageRecord,
                     prompt_of: Callable[[int], str | None]) -> None:
    """Set `vs_synchronous` on every stage: {compared, changed_rate, shorter_rate}, over its
    successful answers to prompts the baseline answered (a prompt whose key is None, a sampled
    one, is not compared)."""
    reference: dict[str, tuple[str | None, int | None]] = {}
    for r in baseline.requests:
        key = prompt_of(r.index)
        if r.success and key is not None:
            reference.setdefault(key, (r.output, r.output_tokens))
    for stage in stages:
        pairs = [(r, reference[key]) for r in stage.requests
                 if r.success and (key := prompt_of(r.index)) in reference]
        n = len(pairs)
        changed = sum(1 for r, (text, _) in pairs if r.output != text)
        shorter = sum(1 for r, (_, tokens) in pairs
                      if tokens is not None and r.output_tokens is not None and r.output_tokens < tokens)
        stage.vs_synchronous = VsSynchronous(compared=n, changed_rate=changed / n if n else None,
                                             shorter_rate=shorter / n if n else None)


def score_stages(stages: Sequence[StageRecord], workload: Workload, default_scorers: Sequence[str],
                 tag_scorers: Mapping[str, Sequence[str]] | None = None, scorers: OpenScorers | None = None) -> None:
    """Score every answer with the suite's scorers (after the load, never while it runs) and add
    to each stage: `scores` (each scorer's mean over the answered requests, as a report's
    variant), `answered_quality` (the mean of those), and `quality`, where a request that got
    no answer (an error, an empty answer) counts 0 for each scorer its case has: the answers
    users got under that load."""
    for stage in stages:
        answered: dict[str, list[float]] = {}
        everyone: dict[str, list[float]] = {}
        for r in stage.requests:
            item = workload.item(r.index)
            r.case_id = item.key
            if item.case is None:
                continue
            if not r.success or r.output is None:
                r.scores = None
                for name in scorer_names(item.case, default_scorers, tag_scorers):
                    everyone.setdefault(name, []).append(0.0)
                continue
            r.scores, _ = score_output(item.case, r.output, default_scorers, tag_scorers, scorers)
            for name, value in r.scores.items():
                if value is not None:
                    answered.setdefault(name, []).append(value)
                    everyone.setdefault(name, []).append(value)
        stage.scores = {name: _mean(values) for name, values in answered.items()}
        stage.answered_quality = _mean([v for v in stage.scores.values() if v is not None])
        stage.quality = _mean([_mean(values) for values in everyone.values()])


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None
