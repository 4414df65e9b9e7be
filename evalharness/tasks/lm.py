"""lm-evaluation-harness's model interface over a backend's task scorer: lm-eval builds the
requests (prompts, few-shot examples, choices) and scores the answers; the scorer only computes
log-likelihoods and greedy generations. Tokenization follows lm-eval's Hugging Face backend
(`TemplateLM`: the context's trailing spaces move to the continuation, the pair is encoded whole
and split), so the same items get the same numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from lm_eval.api.model import TemplateLM

from evalharness.tasks.torch_scorer import Pair


class TaskScorer(Protocol):
    bos_id: int | None
    eos_id: int | None
    max_length: int

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]: ...
    def decode(self, ids: list[int]) -> str: ...
    def loglikelihood(self, pairs: list[Pair], advance: Callable[[int], None]) -> list[tuple[float, bool]]: ...
    def generate_many(self, contexts: list[str], until: list[str], max_new_tokens: int,
                      advance: Callable[[int], None]) -> list[str]: ...


Report = Callable[[int, int], None]  # (requests done, requests in this call)


class ScorerLM(TemplateLM):
    def __init__(self, scorer: TaskScorer, report: Report | None = None) -> None:
        super().__init__()
        self.scorer = scorer
        self.report = report
        self._done = self._total = 0
        self._bos_text = scorer.decode([scorer.bos_id]) if scorer.bos_id is not None else None

    @property
    def eot_token_id(self) -> int:
        return self.scorer.eos_id if self.scorer.eos_id is not None else 0

    @property
    def prefix_token_id(self) -> int:
        return self.scorer.bos_id if self.scorer.bos_id is not None else self.eot_token_id

    @property
    def max_length(self) -> int:
        return self.scorer.max_length

    def tok_encode(self, string: str, add_special_tokens: bool | None = None, **kwargs: Any) -> list[int]:
        if add_special_tokens is None:  # the tokenizer's default, unless the text already starts with BOS
            add_special_tokens = not (self._bos_text and string.startswith(self._bos_text))
        return self.scorer.encode(string, add_special_tokens=add_special_tokens)

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        """A scorer that tokenizes for itself (an endpoint) gets text pairs, the context's trailing
        spaces moved to the continuation as lm-eval does before tokenizing; others get token ids."""
        if not getattr(self.scorer, "scores_text", False):
            return super().loglikelihood(requests, disable_tqdm)
        pairs = []
        for request in requests:
            context, continuation = request.args
            kept = context.rstrip()
            pairs.append((kept, context[len(kept):] + continuation))
        self._begin(len(pairs))
        return self.scorer.loglikelihood_text(pairs, self.advance)

    def _loglikelihood_tokens(self, requests: list[Any], disable_tqdm: bool = False,
                              **kwargs: Any) -> list[tuple[float, bool]]:
        self._begin(len(requests))
        return self.scorer.loglikelihood([(ctx, cont) for _, ctx, cont in requests], self.advance)

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        raise NotImplementedError("rolling log-likelihood (perplexity of whole documents) is not supported yet; "
                                  "multiple-choice, loglikelihood and generate_until tasks are")

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        """Greedy generations, batched among requests that share their stop strings and length."""
        groups: dict[tuple[tuple[str, ...], int], list[int]] = {}
        for i, request in enumerate(requests):
            _, kwargs = request.args
            until = kwargs.get("until") or [self.scorer.decode([self.eot_token_id])]
            until = (until,) if isinstance(until, str) else tuple(until)
            groups.setdefault((until, int(kwargs.get("max_gen_toks", 256))), []).append(i)
        out = [""] * len(requests)
        self._begin(len(requests))
        for (until, max_new), members in groups.items():
            texts = self.scorer.generate_many([requests[i].args[0] for i in members], list(until), max_new,
                                              self.advance)
            for i, text in zip(members, texts, strict=True):
                out[i] = text
        return out

    def _begin(self, total: int) -> None:
        self._done, self._total = 0, total
        if self.report is not None:
            self.report(0, total)

    def advance(self, n: int) -> None:
        """`n` more requests answered."""
        self._done += n
        if self.report is not None:
            self.report(self._done, self._total)
