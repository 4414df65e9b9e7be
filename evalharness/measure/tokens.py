"""Timing figures of one generation, from the arrival time of each generated token."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from evalharness.reports.schema import Timing


@dataclass(frozen=True)
class TimedGeneration:
    """What a backend hands back: the prompt size, the generated ids and when each arrived.

    `token_times_s[i]` is the clock reading when generated token i became available (for the
    first token, that is after prefill); all readings come from the same clock as `start_s`.
    """

    prompt_tokens: int
    generated_ids: list[int]
    start_s: float
    token_times_s: list[float]
    end_s: float
    batch_size: int = 1  # sequences generated side by side (throughput cases)


def trim_at_eos(ids: Sequence[int], eos_ids: Iterable[int]) -> list[int]:
    """The generated tokens proper: everything before the first end-of-sequence id."""
    stops = set(eos_ids)
    out: list[int] = []
    for tok in ids:
        if tok in stops:
            break
        out.append(int(tok))
    return out


def generation_timing(start_s: float, end_s: float, first_s: float | None, last_s: float | None,
                      output_tokens: int | None, gaps: int, prompt_tokens: int | None = None,
                      batch_size: int = 1, source: str | None = None) -> Timing:
    """The one formula for every runtime and endpoint.

    `first_s` is when the first token (or content chunk) arrived, `last_s` when the last counted
    one did, `gaps` the number of arrivals between them (chunks may carry several tokens).
    TTFT is first - start; decode throughput counts the tokens after the first (the first one
    belongs to prefill) over last - first, so EOS and padding never inflate it; inter-token latency
    is that span per token after the first, or per arrival when tokens were not counted. Prefill
    throughput needs the prompt's tokens (None where TTFT is not prefill alone, as at an endpoint).
    For a batch (identical prompts, fixed length) both rates count all sequences' tokens.
    """
    ttft = first_s - start_s if first_s is not None else None
    prefill = batch_size * prompt_tokens / ttft if prompt_tokens is not None and ttft and ttft > 0 else None
    span = last_s - first_s if first_s is not None and last_s is not None else None
    counted = output_tokens is not None and output_tokens >= 2
    steps = output_tokens - 1 if counted else gaps
    itl = span / steps if span is not None and span > 0 and steps > 0 else None
    decode = batch_size * (output_tokens - 1) / span if counted and span is not None and span > 0 else None
    return Timing(latency_s=end_s - start_s, ttft_s=ttft, prefill_tokens_per_s=prefill, decode_tokens_per_s=decode,
                  inter_token_latency_s=itl, output_tokens=output_tokens, token_count_source=source)


def timing_of(gen: TimedGeneration, output_tokens: int) -> Timing:
    """Latency, TTFT, prefill and decode throughput of a local generation, over its first
    `output_tokens` tokens (each token's arrival is known)."""
    times = gen.token_times_s
    if output_tokens > len(times):
        raise ValueError(f"{output_tokens} output tokens but only {len(times)} token timestamps")
    return generation_timing(gen.start_s, gen.end_s, times[0] if times else None,
                             times[output_tokens - 1] if output_tokens else None, output_tokens,
                             gaps=max(output_tokens - 1, 0), prompt_tokens=gen.prompt_tokens,
                             batch_size=gen.batch_size, source="tokenizer")
