"""Benchmark-task scoring of a model loaded in this process through transformers: the
log-likelihood of continuations by batched teacher forcing, and greedy generation.

Requests are sorted longest first and batched under a token budget, right-padded (a causal model's
positions before the padding never see it), and the vocabulary projection is computed only at the
positions that predict continuation tokens (`logits_to_keep`): on a 262k-token vocabulary that
projection costs more than the rest of a small model.

Choices that share a long context (a few-shot multiple-choice question: ten solved examples, then
four endings) read the context once: one pass over it fills the key/value cache, which is repeated
for each ending, and a second pass reads the endings only. Below `SHARE_MIN_SAVED` saved positions
(a zero-shot question of a few dozen tokens) one batched pass over the whole sequences is faster.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

Pair = tuple[list[int], list[int]]  # (context ids, continuation ids)

TOKENS_PER_BATCH = 4096  # sequence positions through the model body per forward pass
LOGITS_PER_BATCH = 512  # positions projected to the vocabulary per forward pass (memory: x vocab x 4 B)
GENERATE_BATCH = 16  # sequences generated together (left-padded)
SHARE_MIN_SAVED = 256  # context positions a shared pass must save to be used


@functools.cache
def _cache_renamed() -> bool:
    """transformers 5 names the key/value cache `cache` (`past_key_values` before, deprecated now)."""
    from transformers.modeling_outputs import CausalLMOutputWithPast

    return "cache" in CausalLMOutputWithPast.__dataclass_fields__


class TorchScorer:
    """Scores a transformers causal LM: `loglikelihood` of (context, continuation) id pairs,
    `generate` greedy text from a context."""

    def __init__(self, model: Any, tokenizer: Any, device: str, eos_ids: frozenset[int]) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        self.eos_ids = eos_ids
        self.bos_id = tokenizer.bos_token_id
        self.eos_id = tokenizer.eos_token_id
        self.max_length = _max_length(model.config)

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=add_special_tokens))

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=True)

    def loglikelihood(self, pairs: Sequence[Pair],
                      advance: Callable[[int], None] = lambda n: None) -> list[tuple[float, bool]]:
        """(sum of log-probs of the continuation, whether greedy decoding gives it exactly) per pair."""
        out: list[tuple[float, bool] | None] = [None] * len(pairs)
        groups, alone = _shared_contexts(pairs, self.max_length)
        for members in groups:
            results = self._score_shared(pairs[members[0]][0], [pairs[i][1] for i in members])
            for i, result in zip(members, results, strict=True):
                out[i] = result
            advance(len(members))
        order = sorted(alone, key=lambda i: -(len(pairs[i][0]) + len(pairs[i][1])))
        for batch in _batches(order, pairs, self.max_length):
            for i, result in zip(batch, self._score_batch([pairs[i] for i in batch]), strict=True):
                out[i] = result
            advance(len(batch))
        return [r for r in out if r is not None]

    def _score_shared(self, context: list[int], continuations: list[list[int]]) -> list[tuple[float, bool]]:
        """Continuations of one context: the context once (its last position predicts every
        continuation's first token), then the continuations' own tokens over its repeated cache."""
        import torch

        with torch.inference_mode():
            head = self.model(input_ids=torch.tensor([context], dtype=torch.long, device=self.device),
                              use_cache=True, logits_to_keep=1)
            first = head.logits[0, -1].float().log_softmax(dim=-1)
            width = max(len(c) for c in continuations) - 1
            rest = None
            if width > 0:
                cache = head.cache if _cache_renamed() else head.past_key_values
                cache.batch_repeat_interleave(len(continuations))
                pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
                ids = torch.full((len(continuations), width), pad, dtype=torch.long, device=self.device)
                for r, cont in enumerate(continuations):
                    ids[r, :len(cont) - 1] = torch.tensor(cont[:-1], dtype=torch.long)
                given = {"cache" if _cache_renamed() else "past_key_values": cache}
                rest = self.model(input_ids=ids, use_cache=True, **given).logits
            results = []
            for r, cont in enumerate(continuations):
                total = float(first[cont[0]].item())
                greedy = int(first.argmax().item()) == cont[0]
                if len(cont) > 1 and rest is not None:
                    span = rest[r, :len(cont) - 1].float().log_softmax(dim=-1)
                    target = torch.tensor(cont[1:], dtype=torch.long, device=span.device)
                    total += float(span.gather(1, target[:, None]).sum().item())
                    greedy = greedy and bool((span.argmax(dim=-1) == target).all().item())
                results.append((total, greedy))
        return results

    def _score_batch(self, batch: Sequence[Pair]) -> list[tuple[float, bool]]:
        import torch

        rows = [_window(ctx, cont, self.max_length) for ctx, cont in batch]
        width = max(len(ids) for ids, _ in rows)
        first = min(start for _, start in rows)  # the first input position that predicts a continuation token
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        ids = torch.full((len(rows), width), pad, dtype=torch.long, device=self.device)
        for r, (seq, _) in enumerate(rows):
            ids[r, :len(seq)] = torch.tensor(seq, dtype=torch.long)
        keep = torch.arange(first, width, device=self.device)
        with torch.inference_mode():
            logits = self.model(input_ids=ids, logits_to_keep=keep, use_cache=False).logits
            results = []
            for r, ((_, start), (_, cont)) in enumerate(zip(rows, batch, strict=True)):
                span = logits[r, start - first:start - first + len(cont)].float().log_softmax(dim=-1)
                target = torch.tensor(cont, dtype=torch.long, device=span.device)
                total = span.gather(1, target[:, None]).sum().item()
                greedy = bool((span.argmax(dim=-1) == target).all().item())
                results.append((float(total), greedy))
        return results

    def generate(self, context: str, until: Sequence[str], max_new_tokens: int) -> str:
        """Greedy continuation of `context`, cut before the first stop string."""
        return self.generate_many([context], until, max_new_tokens)[0]

    def generate_many(self, contexts: Sequence[str], until: Sequence[str], max_new_tokens: int,
                      advance: Callable[[int], None] = lambda n: None) -> list[str]:
        """Greedy continuations, left-padded batches of similar length (longest first)."""
        encoded = [self.encode(c)[-self.max_length:] for c in contexts]
        order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i]))
        out: list[str] = [""] * len(encoded)
        for start in range(0, len(order), GENERATE_BATCH):
            batch = order[start:start + GENERATE_BATCH]
            for i, text in zip(batch, self._generate_batch([encoded[i] for i in batch], max_new_tokens),
                               strict=True):
                out[i] = cut_at_stops(text, until)
            advance(len(batch))
        return out

    def _generate_batch(self, rows: Sequence[list[int]], max_new_tokens: int) -> list[str]:
        import torch
        from transformers import GenerationConfig

        # a config of its own, as the timed generations use: the model's default one may ask for a
        # static cache sized to its whole context (seconds per call on a CPU)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        config = GenerationConfig(max_new_tokens=max_new_tokens, do_sample=False, top_p=None, top_k=None,
                                  temperature=None, eos_token_id=sorted(self.eos_ids), pad_token_id=pad,
                                  use_cache=True)
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), pad, dtype=torch.long, device=self.device)
        mask = torch.zeros_like(ids)
        for r, seq in enumerate(rows):
            ids[r, width - len(seq):] = torch.tensor(seq, dtype=torch.long)
            mask[r, width - len(seq):] = 1
        with torch.inference_mode():
            out = self.model.generate(input_ids=ids, attention_mask=mask, generation_config=config)
        texts = []
        for row in out[:, width:].tolist():
            ended = next((k for k, t in enumerate(row) if t in self.eos_ids), len(row))
            texts.append(self.decode(row[:ended]))
        return texts


def cut_at_stops(text: str, until: Sequence[str]) -> str:
    """`text` up to the first occurrence of any stop string (lm-eval's `until`)."""
    for stop in until:
        if stop:
            text = text.split(stop)[0]
    return text


def _window(context: list[int], continuation: list[int], max_length: int) -> tuple[list[int], int]:
    """The model input (context + continuation without its last token, cut from the left to the
    model's length, as lm-eval does) and the input position whose logits predict the first
    continuation token."""
    whole = (context + continuation)[-(max_length + 1):]
    seq = whole[:-1]
    return seq, len(seq) - len(continuation)


def _shared_contexts(pairs: Sequence[Pair], max_length: int) -> tuple[list[list[int]], list[int]]:
    """Pairs grouped by their context where reading it once saves at least `SHARE_MIN_SAVED`
    positions (and nothing is cut to the model's length); the rest, alone."""
    by_context: dict[tuple[int, ...], list[int]] = {}
    for i, (ctx, _) in enumerate(pairs):
        by_context.setdefault(tuple(ctx), []).append(i)
    groups: list[list[int]] = []
    alone: list[int] = []
    for ctx, members in by_context.items():
        longest = max(len(pairs[i][1]) for i in members)
        if ctx and (len(members) - 1) * len(ctx) >= SHARE_MIN_SAVED and len(ctx) + longest <= max_length:
            groups.append(members)
        else:
            alone.extend(members)
    return groups, alone


def _batches(order: Sequence[int], pairs: Sequence[Pair], max_length: int) -> list[list[int]]:
    """Consecutive runs of the (longest-first) order that fit both budgets."""
    batches: list[list[int]] = []
    current: list[int] = []
    width = span = 0
    for i in order:
        ctx, cont = pairs[i]
        length = min(len(ctx) + len(cont) - 1, max_length)
        new_width = max(width, length)
        new_span = max(span, len(cont) + (new_width - length))  # positions kept, right-padded rows
        if current and ((len(current) + 1) * new_width > TOKENS_PER_BATCH
                        or (len(current) + 1) * new_span > LOGITS_PER_BATCH):
            batches.append(current)
            current, width, span = [], 0, 0
            new_width, new_span = length, len(cont)
        current.append(i)
        width, span = new_width, new_span
    if current:
        batches.append(current)
    return batches


def _max_length(config: Any) -> int:
    """The model's context length as lm-eval's Hugging Face backend reads it (2048 where unknown)."""
    text = getattr(config, "text_config", None) or config
    for attr in ("n_positions", "max_position_embeddings", "n_ctx"):
        value = getattr(text, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    return 2048
