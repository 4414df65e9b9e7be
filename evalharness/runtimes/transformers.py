"""The transformers runtime: generation timed token by token inside the one `generate` call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalharness.measure.clock import Clock, clock_for_device
from evalharness.measure.footprint import footprint_mb
from evalharness.measure.tokens import TimedGeneration
from evalharness.models.chat import prompt_ids
from evalharness.models.sources import SOURCES
from evalharness.quantization import SCHEMES
from evalharness.runtimes.base import (
    GenerationError,
    GenParams,
    LoadTarget,
    Runtime,
    TaskScoringUnsupported,
    register,
)
from evalharness.runtimes.local import LocalBackend
from evalharness.runtimes.vision import VisionPrompt, vision_prompt


class TokenClockStreamer:
    """A transformers streamer that only notes when each generated token arrives.

    `generate` calls `put` once with the prompt, then once per decoding step; the cost is one
    clock read per token, so timing does not slow what it times.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.times: list[float] = []
        self._prompt_seen = False

    def put(self, value: Any) -> None:
        if not self._prompt_seen:
            self._prompt_seen = True
            return
        now = self.clock()
        steps = value.shape[-1] if getattr(value, "dim", lambda: 1)() > 1 else 1
        self.times.extend([now] * steps)

    def end(self) -> None:
        pass


class TransformersBackend(LocalBackend):

    def __init__(self, model: Any, tokenizer: Any, device: str, synthetic: bool = False,
                 batch_size: int = 1, processor: Any = None) -> None:
        self.model = model
        self.processor = processor
        # images need a processor and a model with a vision tower (Gemma 3 4B and up)
        self.accepts_images = processor is not None and getattr(model.config, "vision_config", None) is not None
        self.batch_size = batch_size
        self.tokenizer = tokenizer
        self.device = device
        self.synthetic = synthetic
        self.clock = clock_for_device(device)
        self.eos_ids = frozenset(_eos_ids(model, tokenizer))
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        # case id -> (the case, its encoding): an image case is read and processed once, not per repeat
        self._vision: dict[str, tuple[Any, VisionPrompt]] = {}

    def encode(self, case: Any) -> list[int] | VisionPrompt:
        if getattr(case, "images", ()):
            if not self.accepts_images:
                raise GenerationError(f"case {case.id!r} has an image and this model reads text only")
            cached = self._vision.get(case.id)
            if cached is not None and cached[0] is case:
                return cached[1]
            prompt = vision_prompt(self.processor, case.messages)
            self._vision[case.id] = (case, prompt)
            return prompt
        return prompt_ids(self.tokenizer, case.messages, case.prompt)

    def timed_generate(self, prompt: list[int] | VisionPrompt, params: GenParams) -> TimedGeneration:
        import torch
        from transformers import GenerationConfig

        config = GenerationConfig(
            max_new_tokens=params.max_new_tokens,
            min_new_tokens=params.min_new_tokens,
            do_sample=params.do_sample,
            temperature=params.temperature if params.do_sample else None,
            top_p=params.top_p if params.do_sample else None,
            top_k=None,
            eos_token_id=sorted(self.eos_ids),
            pad_token_id=self.pad_id,
            use_cache=True,
        )
        ids = prompt.ids if isinstance(prompt, VisionPrompt) else prompt
        extra = prompt.extra(self.batch_size, device=self.device) if isinstance(prompt, VisionPrompt) else {}
        input_ids = torch.tensor([ids] * self.batch_size, dtype=torch.long, device=self.device)
        attention = torch.ones_like(input_ids)
        streamer = TokenClockStreamer(self.clock)
        torch.manual_seed(params.seed)
        with torch.inference_mode():
            start = self.clock()
            out = self.model.generate(
                input_ids=input_ids, attention_mask=attention, generation_config=config,
                streamer=streamer, **extra,
            )
            end = self.clock()
        generated = out[0, len(ids):].tolist()
        return TimedGeneration(
            prompt_tokens=len(ids), generated_ids=generated, start_s=start,
            token_times_s=streamer.times[: len(generated)], end_s=end, batch_size=self.batch_size,
        )

    def teacher_forced_logprobs(self, prompt: list[int] | VisionPrompt, target: list[int]) -> Any | None:
        """[len(target), vocab] float32 log-probs of each next token, fed the target itself."""
        import torch

        if not target:
            return None
        vision = isinstance(prompt, VisionPrompt)
        head = prompt.ids if vision else prompt
        extra = prompt.extra(extend=len(target) - 1, device=self.device) if vision else {}
        ids = torch.tensor([head + target[:-1]], dtype=torch.long, device=self.device)
        with torch.inference_mode():
            logits = self.model(input_ids=ids, **extra).logits[0, len(head) - 1:]
            return torch.log_softmax(logits.float(), dim=-1).cpu().numpy()

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True)

    def footprint_mb(self) -> float | None:
        return footprint_mb(self.model)

    def task_scorer(self) -> Any:
        from evalharness.tasks.torch_scorer import TorchScorer

        if self.processor is not None and getattr(self.model.config, "vision_config", None) is not None:
            raise TaskScoringUnsupported("benchmark tasks on a vision model's text side are not supported yet")
        return TorchScorer(self.model, self.tokenizer, self.device, self.eos_ids)

    def read_per_token(self) -> tuple[float | None, float | None]:
        from evalharness.measure.roofline import kv_bytes_per_position, weight_bytes_per_token

        config = self.model.config
        dtype = getattr(config, "dtype", None) or getattr(config, "torch_dtype", None)
        width = 2 if str(dtype).endswith(("float16", "bfloat16")) else 4
        return float(weight_bytes_per_token(self.model)), float(kv_bytes_per_position(config, width))

    def close(self) -> None:
        import gc

        self.model = None
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            pass


def _eos_ids(model: Any, tokenizer: Any) -> set[int]:
    """Every id that ends a turn: generation config, tokenizer EOS and Gemma's <end_of_turn>."""
    ids: set[int] = set()
    for source in (getattr(model, "generation_config", None), getattr(model, "config", None)):
        value = getattr(source, "eos_token_id", None)
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, (list, tuple)):
            ids.update(int(v) for v in value)
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    end_of_turn = tokenizer.convert_tokens_to_ids("<end_of_turn>")
    if isinstance(end_of_turn, int) and end_of_turn != tokenizer.unk_token_id:
        ids.add(end_of_turn)
    return ids


def load_backend(source: str, model_id: str, revision: str | None, quantization: str, device: str,
                 axes: Any = None, adapter: str | None = None) -> TransformersBackend:
    """Load a model from its source in the scheme's dtype, place it, apply its adapter (merged
    when the `merge` axis says so), quantize it, apply axes."""
    scheme = SCHEMES.get(quantization)
    batch = getattr(axes, "batch_size", 1) or 1
    kwargs = scheme.load_kwargs(device)
    attn = getattr(axes, "attn_implementation", None)
    if attn:
        kwargs["attn_implementation"] = attn
    loaded = SOURCES.get(source).load(model_id, scheme.torch_dtype(), revision, **kwargs)
    model = loaded.model if "device_map" in kwargs else loaded.model.to(device)
    if adapter is not None:
        from evalharness.models.adapters import apply_adapter

        model = apply_adapter(model, adapter, merge=bool(getattr(axes, "merge", False)))
    model = scheme.apply(model, device)
    model.eval()
    if getattr(axes, "compile", False):
        import torch

        model.forward = torch.compile(model.forward, dynamic=True)
    return TransformersBackend(model, loaded.tokenizer, device, synthetic=loaded.synthetic,
                               batch_size=batch, processor=loaded.processor)


@register
class TransformersRuntime(Runtime):
    name = "transformers"
    description = "Hugging Face transformers in this process (torch; CPU or CUDA)"

    def prepare(self, plans: Sequence[LoadTarget]) -> None:
        """Import the libraries and convert models before any load is timed."""
        import torch  # noqa: F401
        import transformers  # noqa: F401
        from transformers import AutoModelForCausalLM  # noqa: F401
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # our own progress bar is the one to watch
        hf_logging.set_verbosity_error()
        for source, model_id in sorted({(p.model.source, p.model.id) for p in plans}):
            try:
                SOURCES.get(source).prepare(model_id)
            except Exception:  # the variant's own load reports the failure
                pass

    def load(self, plan: LoadTarget) -> TransformersBackend:
        return load_backend(plan.model.source, plan.model.id, plan.model.revision, plan.quantization,
                            plan.device, plan.axes, plan.model.adapter)

    def is_fatal(self, exc: BaseException) -> bool:
        if isinstance(exc, MemoryError):
            return True
        try:
            import torch

            return isinstance(exc, torch.OutOfMemoryError)
        except (ImportError, AttributeError):
            return False

    def probe(self, scheme: str, device: str) -> tuple[bool, str]:
        """Load the tiny random Gemma with the scheme and generate 2 tokens."""
        from evalharness.models.sources import TinyRandomSource

        try:
            backend = load_backend("tiny-random", TinyRandomSource.ID, None, scheme, device)
            backend.generate(backend.encode(_ProbeCase()), GenParams(2, 2, False, 1.0, 1.0, 0))
            backend.close()
        except Exception as exc:  # the probe reports, never crashes the listing
            first = str(exc).splitlines()[0][:120] if str(exc) else ""
            return True, f"{type(exc).__name__}: {first}"
        return True, ""


class _ProbeCase:
    id = "probe"
    prompt = "hi"
    messages = None
