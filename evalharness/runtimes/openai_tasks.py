"""Benchmark-task scoring through an OpenAI-compatible server's `/completions`: the log-likelihood
of a continuation from the prompt's own log-probs (`echo` with `logprobs`, as lm-eval's
`local-completions` asks for them), and greedy text.

The server tokenizes: each (context, continuation) is sent as text, and the continuation's tokens
are the echoed tokens whose characters overlap it (found from the token texts, which must spell
the prompt; the server's `text_offset` where they do not). Not every server returns prompt
log-probs: llama.cpp's server refuses `echo` or silently returns the generated token's log-prob
only, which would score every choice 0 and give chance accuracy. Every answer is checked, and a
server without prompt log-probs is reported as unable to score, never scored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from evalharness.endpoints.client import Timeouts
from evalharness.endpoints.completions import CompletionError, complete
from evalharness.tasks.errors import TaskScoringUnsupported
from evalharness.tasks.torch_scorer import cut_at_stops

TextPair = tuple[str, str]  # (context, continuation)
CONCURRENCY = 4  # requests in flight at once
NO_PROMPT_LOGPROBS = ("the server returned no log-probs for the prompt's tokens (it needs `echo` with `logprobs` "
                      "on /completions, as vLLM gives; llama.cpp's server does not)")


class EndpointScorer:
    """A served model's log-likelihoods and greedy text, in text (the server's tokenizer)."""

    scores_text = True  # lm-eval's requests go to `loglikelihood_text` as text pairs
    bos_id: int | None = None
    eos_id: int | None = None
    max_length = 2048  # not known from the server; lm-eval reads it only for rolling log-likelihoods

    def __init__(self, http: httpx.Client, base_url: str, model: str, api_key: str | None,
                 timeouts: Timeouts, seed: int = 1234) -> None:
        self.http, self.base_url, self.model, self.api_key, self.timeouts = http, base_url, model, api_key, timeouts
        self.seed = seed

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        raise NotImplementedError("an endpoint is scored in text: the server tokenizes")

    def decode(self, ids: Sequence[int]) -> str:
        return ""

    def loglikelihood_text(self, pairs: Sequence[TextPair],
                           advance: Callable[[int], None] = lambda n: None) -> list[tuple[float, bool]]:
        """(sum of the continuation's log-probs, whether each of its tokens was the most likely) per pair."""
        return self._each(pairs, self._score_one, advance)

    def generate_many(self, contexts: Sequence[str], until: Sequence[str], max_new_tokens: int,
                      advance: Callable[[int], None] = lambda n: None) -> list[str]:
        def one(context: str) -> str:
            body = {"model": self.model, "prompt": context, "max_tokens": max_new_tokens, "temperature": 0,
                    "seed": self.seed, **({"stop": [s for s in until if s][:4]} if any(until) else {})}
            text = self._complete(body)["choices"][0].get("text")
            return cut_at_stops(text if isinstance(text, str) else "", until)  # a server may ignore `stop`

        return self._each(contexts, one, advance)

    def _each(self, items: Sequence[Any], one: Callable[[Any], Any], advance: Callable[[int], None]) -> list[Any]:
        out: list[Any] = [None] * len(items)
        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            futures = {pool.submit(one, item): i for i, item in enumerate(items)}
            for future, i in futures.items():
                out[i] = future.result()  # the first failure ends the task, with its reason
                advance(1)
        return out

    def _score_one(self, pair: TextPair) -> tuple[float, bool]:
        context, continuation = pair
        if not context:
            raise ValueError("a continuation without a context cannot be scored through an endpoint "
                             "(its first token has no log-prob)")
        body = {"model": self.model, "prompt": context + continuation, "max_tokens": 1, "temperature": 0,
                "logprobs": 1, "echo": True, "seed": self.seed}
        try:
            answer = self._complete(body)
        except CompletionError as exc:
            if exc.kind == "http_4xx" and "echo" in exc.detail.lower():
                raise TaskScoringUnsupported(f"{NO_PROMPT_LOGPROBS}: {exc.detail}") from None
            raise
        return continuation_logprob(answer, context + continuation, len(context))

    def _complete(self, body: dict[str, Any]) -> dict[str, Any]:
        return complete(self.http, self.base_url, body, self.api_key, self.timeouts)


def continuation_logprob(answer: dict[str, Any], prompt: str, start: int) -> tuple[float, bool]:
    """From an echoed answer (its first choice's `logprobs`: tokens, token_logprobs, top_logprobs,
    text_offset; its `usage`): the log-prob of `prompt[start:]` (every prompt token that overlaps
    it) and whether each of those tokens was the most likely at its place."""
    logprobs = answer["choices"][0].get("logprobs")
    if not isinstance(logprobs, dict):
        raise TaskScoringUnsupported(NO_PROMPT_LOGPROBS)
    tokens, values, tops = logprobs.get("tokens"), logprobs.get("token_logprobs"), logprobs.get("top_logprobs")
    if not (isinstance(tokens, list) and isinstance(values, list) and isinstance(tops, list)
            and len(tokens) == len(values) == len(tops) and all(isinstance(t, str) for t in tokens)):
        raise TaskScoringUnsupported(f"{NO_PROMPT_LOGPROBS}: tokens, token_logprobs and top_logprobs must be "
                                     "lists of one length")
    n, ends = prompt_spans(answer, tokens, logprobs.get("text_offset"), prompt)
    total, greedy, found = 0.0, True, False
    for i in range(n):
        if ends[i] <= start:
            continue  # a context token
        value, top = values[i], tops[i]
        if not isinstance(value, int | float) or not isinstance(top, dict) or not top:
            raise TaskScoringUnsupported(f"{NO_PROMPT_LOGPROBS}: token {i} of the prompt has none")
        found = True
        total += float(value)
        greedy = greedy and float(value) >= max(float(v) for v in top.values()) - 1e-6
    if not found:
        raise TaskScoringUnsupported(f"{NO_PROMPT_LOGPROBS}: no token covers the continuation")
    return total, greedy


def prompt_spans(answer: dict[str, Any], tokens: list[str], offsets: Any, prompt: str) -> tuple[int, list[int]]:
    """(how many of the echoed entries are the prompt's, where each ends in the prompt's characters).

    Servers differ: vLLM counts the beginning-of-sequence token among the prompt's entries (and its
    text "<bos>" in the offsets), llama-cpp-python leaves it out but counts it in `usage`. The
    count whose token texts spell the prompt (after at most one special token's text) is taken;
    failing that (characters split across tokens), the server's `text_offset`, where `usage` and
    the one generated token agree on the count."""
    usage = answer.get("usage") if isinstance(answer.get("usage"), dict) else {}
    said = usage.get("prompt_tokens")
    said = said if isinstance(said, int) else None
    counts = list(dict.fromkeys(c for c in (said, len(tokens) - 1, None if said is None else said - 1)
                                if c is not None and 1 <= c <= len(tokens)))
    for n in counts:
        spelled = "".join(tokens[:n])
        extra = len(spelled) - len(prompt)
        if spelled.endswith(prompt) and 0 <= extra <= len(tokens[0]):
            ends, at = [], -extra
            for tok in tokens[:n]:
                at += len(tok)
                ends.append(at)
            return n, ends
    if said is not None and said == len(tokens) - 1 and said >= 2 and isinstance(offsets, list) \
            and len(offsets) == len(tokens) and all(isinstance(o, int) for o in offsets):
        shift = offsets[said] - len(prompt)  # the generated token starts where the prompt ends
        return said, [o - shift for o in offsets[1:said + 1]]
    raise TaskScoringUnsupported(f"{NO_PROMPT_LOGPROBS}: {len(tokens)} log-prob entries that do not spell the "
                                 f"prompt ({said if said is not None else 'unknown'} prompt tokens)")
