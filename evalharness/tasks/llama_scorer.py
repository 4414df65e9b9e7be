"""Benchmark-task scoring of a GGUF model in llama.cpp: log-likelihoods from the logits of the
model as llama.cpp runs it (its own tokenizer and quantized kernels), and greedy generation.

The context is read in one batch (only its last position's logits are kept); the continuation is
then read in one more batch that asks llama.cpp for the logits of each of its positions (not
`logits_all` for the whole context: 4 GB for 4096 positions of Gemma's 262k vocabulary). A
context shared by consecutive requests (the choices of one question) is read once. Where
llama-cpp-python's batch is not reachable (or `stepwise` is set), continuation tokens go one at a time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any, ContextManager

import numpy as np

from evalharness.tasks.torch_scorer import Pair, cut_at_stops


class LlamaCppScorer:
    def __init__(self, llm: Any, eos_ids: frozenset[int],
                 quiet: Callable[[], ContextManager[None]] = contextlib.nullcontext) -> None:
        self.llm = llm
        self.quiet = quiet  # silences llama.cpp's native logging around each call
        self.eos_ids = eos_ids
        self.bos_id = int(llm.token_bos())
        self.eos_id = int(llm.token_eos())
        self.max_length = int(llm.n_ctx())
        self._context: tuple[int, ...] | None = None  # the context whose next-token log-probs are kept
        self._context_logprobs: np.ndarray | None = None
        self.stepwise = False  # continuation tokens one at a time (the independent path the batch is tested against)

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=add_special_tokens, special=False))

    def decode(self, ids: Sequence[int]) -> str:
        return self.llm.detokenize(list(ids)).decode("utf-8", errors="replace")

    def _last_logprobs(self) -> np.ndarray:
        import llama_cpp

        n_vocab = self.llm.n_vocab()
        return _log_softmax(np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self.llm.ctx, -1), shape=(n_vocab,)))

    def _read_context(self, context: list[int]) -> np.ndarray:
        """Log-probs of the token after `context`, reading only what the cache does not hold."""
        key = tuple(context)
        if key == self._context and self._context_logprobs is not None:
            self.llm.n_tokens = len(context)
            return self._context_logprobs
        held = self.llm.input_ids[: self.llm.n_tokens].tolist()
        keep = 0
        for a, b in zip(held, context[:-1], strict=False):  # the last context token is always read again
            if a != b:
                break
            keep += 1
        self.llm.n_tokens = keep
        self.llm.eval(context[keep:])
        self._context, self._context_logprobs = key, self._last_logprobs()
        return self._context_logprobs

    def _one(self, context: list[int], continuation: list[int]) -> tuple[float, bool]:
        whole = (context + continuation)[-(self.max_length + 1):]
        context = whole[: len(whole) - len(continuation)]
        rows = [self._read_context(context)]
        if len(continuation) > 1:
            rows += self._read_continuation(continuation[:-1])
        total, greedy = 0.0, True
        for logprobs, token in zip(rows, continuation, strict=True):
            total += float(logprobs[token])
            greedy = greedy and int(logprobs.argmax()) == token
        return total, greedy

    def _read_continuation(self, tokens: list[int]) -> list[np.ndarray]:
        """Log-probs after each of `tokens`, read past the context the cache holds: one batch with
        every position's logits, or one token at a time where that batch cannot be built."""
        batch, ctx = getattr(self.llm, "_batch", None), getattr(self.llm, "_ctx", None)
        if self.stepwise or batch is None or ctx is None or len(tokens) > self.llm.n_batch:
            rows = []
            for token in tokens:
                self.llm.eval([token])
                rows.append(self._last_logprobs())
            return rows
        import llama_cpp

        past = self.llm.n_tokens
        ctx.kv_cache_seq_rm(-1, past, -1)
        batch.set_batch(batch=tokens, n_past=past, logits_all=True)
        ctx.decode(batch)
        self.llm.input_ids[past:past + len(tokens)] = tokens
        self.llm.n_tokens = past + len(tokens)
        return [_log_softmax(np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self.llm.ctx, j),
                                                   shape=(self.llm.n_vocab(),)))
                for j in range(len(tokens))]

    def loglikelihood(self, pairs: Sequence[Pair],
                      advance: Callable[[int], None] = lambda n: None) -> list[tuple[float, bool]]:
        out: list[tuple[float, bool] | None] = [None] * len(pairs)
        order = sorted(range(len(pairs)), key=lambda i: (pairs[i][0], pairs[i][1]))  # shared contexts together
        with self.quiet():
            self.llm.reset()
            self._context = None
            for i in order:
                out[i] = self._one(*pairs[i])
                advance(1)
        return [r for r in out if r is not None]

    def generate(self, context: str, until: Sequence[str], max_new_tokens: int) -> str:
        ids = self.encode(context)[-self.max_length:]
        produced: list[int] = []
        with self.quiet():
            self.llm.reset()
            self._context = None
            for tok in self.llm.generate(ids, reset=True, temp=0.0, top_k=1, top_p=1.0, repeat_penalty=1.0):
                if tok in self.eos_ids or len(produced) >= max_new_tokens:
                    break
                produced.append(int(tok))
        return cut_at_stops(self.decode(produced), until)

    def generate_many(self, contexts: Sequence[str], until: Sequence[str], max_new_tokens: int,
                      advance: Callable[[int], None] = lambda n: None) -> list[str]:
        out = []
        for context in contexts:
            out.append(self.generate(context, until, max_new_tokens))
            advance(1)
        return out


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    x = logits.astype(np.float64)
    return x - (np.log(np.exp(x - x.max()).sum()) + x.max())
