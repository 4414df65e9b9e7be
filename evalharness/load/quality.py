"""Answers under load against the same prompts' answers unloaded (the sweep's synchronous stage).

Requests are greedy (temperature 0), so a server that keeps up answers a prompt the same way at
any load: an answer that changes or comes back shorter under load is a fault a throughput figure
hides (llama-cpp-python's server, for one, cuts a running answer short when another request
arrives, with its default `interrupt_requests`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def against_baseline(stages: Sequence[dict[str, Any]], baseline: dict[str, Any],
                     prompt_of: Callable[[int], str]) -> None:
    """Add `vs_synchronous` to every stage record: {compared, changed_rate, shorter_rate}, over its
    successful answers to prompts the baseline answered."""
    reference: dict[str, tuple[str, int | None]] = {}
    for r in baseline["requests"]:
        if r["success"]:
            reference.setdefault(prompt_of(r["index"]), (r["output"], r["output_tokens"]))
    for stage in stages:
        pairs = [(r, reference[prompt_of(r["index"])]) for r in stage["requests"]
                 if r["success"] and prompt_of(r["index"]) in reference]
        n = len(pairs)
        changed = sum(1 for r, (text, _) in pairs if r["output"] != text)
        shorter = sum(1 for r, (_, tokens) in pairs
                      if tokens is not None and r["output_tokens"] is not None and r["output_tokens"] < tokens)
        stage["vs_synchronous"] = {"compared": n, "changed_rate": changed / n if n else None,
                                   "shorter_rate": shorter / n if n else None}
