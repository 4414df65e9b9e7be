"""The llama.cpp runtime (llama-cpp-python): a GGUF timed token by token from its generator."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evalharness.measure.clock import monotonic_clock
from evalharness.measure.tokens import TimedGeneration
from evalharness.models.chat import gemma_turns
from evalharness.models.sources import SOURCES
from evalharness.runtimes.base import Capabilities, GenParams, LoadTarget, Runtime, register
from evalharness.runtimes.local import LocalBackend


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """llama.cpp prints to file descriptor 2 even with verbose=False; keep it off the terminal."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class LlamaCppBackend(LocalBackend):
    # llama.cpp's logits are not compared with transformers' reference here
    capabilities = Capabilities(teacher_forced_logprobs=False, gpu=False)

    def __init__(self, llm: Any, path: Path) -> None:
        self.llm = llm
        self.path = path
        self.clock = monotonic_clock
        eos = {int(llm.token_eos())}
        end_of_turn = llm.tokenize(b"<end_of_turn>", add_bos=False, special=True)
        if len(end_of_turn) == 1:
            eos.add(int(end_of_turn[0]))
        self.eos_ids = frozenset(eos)

    @classmethod
    def load(cls, source: Any, model_id: str, batch_size: int = 1) -> LlamaCppBackend:
        if batch_size != 1:
            raise ValueError("the llama.cpp backend runs one sequence at a time (batch_size 1)")
        path = source.gguf_file(model_id)
        if path is None:
            raise ValueError(f"source {source.name!r} has no GGUF file for {model_id!r}; "
                             "gguf-native needs the embedded model or an hf id that is a .gguf path")
        import torch
        from llama_cpp import Llama

        with quiet_native_stderr():
            # n_threads explicitly: llama.cpp's default (cores // 2) halves the speed here
            llm = Llama(model_path=str(path), n_ctx=4096, n_threads=torch.get_num_threads(),
                        n_threads_batch=torch.get_num_threads(), logits_all=False, verbose=False,
                        seed=0)
        return cls(llm, Path(path))

    def encode(self, case: Any) -> list[int]:
        text = gemma_turns(case.messages) if case.messages is not None else case.prompt
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=True, special=True))

    def timed_generate(self, ids: list[int], params: GenParams) -> TimedGeneration:
        import numpy as np
        from llama_cpp import LogitsProcessorList

        produced: list[int] = []
        eos = sorted(self.eos_ids)

        def hold_eos(_input_ids: Any, scores: Any) -> Any:
            if len(produced) < params.min_new_tokens:
                scores[eos] = -np.inf
            return scores

        if params.do_sample:
            self.llm.set_seed(params.seed)
            sampling = {"temp": params.temperature, "top_p": params.top_p, "top_k": 0}
        else:
            sampling = {"temp": 0.0, "top_k": 1, "top_p": 1.0}
        times: list[float] = []
        with quiet_native_stderr():
            # forget the previous prompt: llama-cpp-python reuses the longest cached prefix even
            # with reset=True, which would turn a repeated prompt's prefill into one token
            self.llm.reset()
            start = self.clock()
            for tok in self.llm.generate(ids, reset=True, repeat_penalty=1.0,
                                         logits_processor=LogitsProcessorList([hold_eos]), **sampling):
                times.append(self.clock())
                produced.append(int(tok))
                if tok in self.eos_ids or len(produced) >= params.max_new_tokens:
                    break
            end = self.clock()
        return TimedGeneration(prompt_tokens=len(ids), generated_ids=produced, start_s=start,
                               token_times_s=times, end_s=end)

    def decode(self, ids: list[int]) -> str:
        return self.llm.detokenize(ids).decode("utf-8", errors="replace")

    def footprint_mb(self) -> float | None:
        """Bytes of the weights as llama.cpp holds them (the GGUF's tensors), in MB."""
        try:
            import llama_cpp

            return llama_cpp.llama_model_size(self.llm.model) / (1024 * 1024)
        except (AttributeError, TypeError):
            return self.path.stat().st_size / (1024 * 1024)

    def read_per_token(self) -> tuple[float | None, float | None]:
        """Every tensor of the GGUF (Gemma ties its output to the token embedding, read whole),
        and an f16 KV cache sized from the GGUF's own metadata."""
        size = self.footprint_mb()
        meta = getattr(self.llm, "metadata", {}) or {}
        arch = meta.get("general.architecture", "")
        try:
            layers = int(meta[f"{arch}.block_count"])
            kv_heads = int(meta.get(f"{arch}.attention.head_count_kv", meta[f"{arch}.attention.head_count"]))
            key = int(meta[f"{arch}.attention.key_length"])
            value = int(meta.get(f"{arch}.attention.value_length", key))
            kv = float(layers * kv_heads * (key + value) * 2)
        except (KeyError, ValueError):
            kv = None
        return (size * 1024 * 1024 if size is not None else None), kv

    def task_scorer(self) -> Any:
        from evalharness.tasks.llama_scorer import LlamaCppScorer

        return LlamaCppScorer(self.llm, self.eos_ids, quiet=quiet_native_stderr)

    def close(self) -> None:
        with quiet_native_stderr():
            self.llm.close() if hasattr(self.llm, "close") else None
        self.llm = None


@register
class LlamaCppRuntime(Runtime):
    name = "llama.cpp"
    description = "llama.cpp through llama-cpp-python, in this process (needs a GGUF)"
    capabilities = LlamaCppBackend.capabilities

    def load(self, plan: LoadTarget) -> LlamaCppBackend:
        if getattr(plan.model, "adapter", None):
            raise ValueError("the llama.cpp runtime does not apply PEFT adapters here; run the adapter "
                             "with a transformers scheme (fp32, bf16, int8-dynamic, ...)")
        batch = getattr(plan.axes, "batch_size", 1) or 1
        return LlamaCppBackend.load(SOURCES.get(plan.model.source), plan.model.id, batch)

    def probe(self, scheme: str, device: str) -> tuple[bool, str]:
        return False, "not probed: needs a GGUF"
