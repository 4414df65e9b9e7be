"""Timing figures of one generation, from the arrival time of each generated token."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


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


@dataclass(frozen=True)
class GenerationTiming:
    latency_s: float
    ttft_s: float | None
    prefill_tokens_per_s: float | None
    decode_tokens_per_s: float | None
    inter_token_latency_s: float | None
    output_tokens: int


def timing_of(gen: TimedGeneration, output_tokens: int) -> GenerationTiming:
    """Latency, TTFT, prefill and decode throughput, over the first `output_tokens` tokens.

    Decode throughput counts the tokens after the first (the first one belongs to prefill) over
    the time between the first and the last counted token, so EOS and padding never inflate it.
    For a batch (identical prompts, fixed length) both rates count all sequences' tokens.
    """
    if output_tokens > len(gen.token_times_s):
        raise ValueError(
            f"{output_tokens} output tokens but only {len(gen.token_times_s)} token timestamps"
        )
    latency = gen.end_s - gen.start_s
    ttft = gen.token_times_s[0] - gen.start_s if gen.token_times_s else None
    prefill = gen.batch_size * gen.prompt_tokens / ttft if ttft and ttft > 0 else None
    decode = itl = None
    if output_tokens >= 2:
        span = gen.token_times_s[output_tokens - 1] - gen.token_times_s[0]
        if span > 0:
            # with a batch, throughput counts every sequence's tokens (per-sequence gap in itl)
            decode = gen.batch_size * (output_tokens - 1) / span
            itl = span / (output_tokens - 1)
    return GenerationTiming(
        latency_s=latency,
        ttft_s=ttft,
        prefill_tokens_per_s=prefill,
        decode_tokens_per_s=decode,
        inter_token_latency_s=itl,
        output_tokens=output_tokens,
    )
