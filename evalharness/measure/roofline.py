"""How close decoding comes to the machine's memory bandwidth.

Decoding one token reads every weight the forward pass uses (the whole LM head, one row of an
untied input embedding) plus the KV cache. `bytes_per_token` counts that from the model's real
weight storage; `memory_bandwidth_gbs` measures the machine once (a STREAM-like triad,
a = b + s*c, 24 bytes moved per element in float64, best of several passes) and caches it per
machine. `roofline_fraction` = decode tokens/s x bytes per token / bandwidth: 1.0 would be a
decoder that does nothing but stream its weights at full speed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from evalharness.measure.footprint import footprint_bytes, tensor_storage_bytes

TRIAD_ELEMENTS = 24 * 1024 * 1024  # 3 arrays x 192 MB: far past any CPU cache
TRIAD_PASSES = 6


def _cache_path(key: str) -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "evalharness"
    return root / f"bandwidth-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def triad_gbs(elements: int = TRIAD_ELEMENTS, passes: int = TRIAD_PASSES) -> float:
    """Sustained memory bandwidth in GB/s (10^9 bytes) from a multi-threaded triad."""
    import torch

    b = torch.rand(elements, dtype=torch.float64)
    c = torch.rand(elements, dtype=torch.float64)
    a = torch.empty_like(b)
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        torch.add(b, c, alpha=3.0, out=a)
        best = min(best, time.perf_counter() - start)
    return 3 * 8 * elements / best / 1e9


def memory_bandwidth_gbs(machine_key: str, measure: Any = triad_gbs) -> float:
    """The machine's bandwidth, measured once per machine key (CPU model, cores, threads)."""
    path = _cache_path(machine_key)
    try:
        cached = json.loads(path.read_text())
        if cached.get("key") == machine_key and cached.get("gbs", 0) > 0:
            return float(cached["gbs"])
    except (OSError, ValueError, AttributeError):
        pass
    gbs = float(measure())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"key": machine_key, "gbs": gbs, "method": "torch triad, float64"}))
        tmp.replace(path)
    except OSError:
        pass  # a read-only home: measure again next time
    return gbs


def machine_bandwidth_gbs() -> float:
    """This machine's bandwidth with torch's threads, from the cache after the first time."""
    import torch

    from evalharness.measure.environment import cpu_model

    return memory_bandwidth_gbs(f"{cpu_model()}|{os.cpu_count()}|threads={torch.get_num_threads()}")


def kv_bytes_per_position(config: Any, dtype_bytes: int) -> int:
    """Bytes of keys and values one context position holds across all layers."""
    text = getattr(config, "text_config", None) or config
    layers = getattr(text, "num_hidden_layers", 0) or 0
    kv_heads = getattr(text, "num_key_value_heads", None) or getattr(text, "num_attention_heads", 0) or 0
    head_dim = getattr(text, "head_dim", None) or (
        (getattr(text, "hidden_size", 0) or 0) // max(getattr(text, "num_attention_heads", 1) or 1, 1))
    return 2 * layers * kv_heads * head_dim * dtype_bytes


IMAGE_ENCODERS = ("vision_tower", "multi_modal_projector")  # Gemma 3's (and LLaVA-style) module names


def weight_bytes_per_token(model: Any) -> int:
    """Every weight byte a decode step reads: all storage, less the rows of an input embedding
    that no output head shares (a lookup reads one row, not the table), and less a vision
    model's image encoder and projector (they run on the prompt's images, not per token)."""
    total = footprint_bytes(model) - sum(footprint_bytes(module) for name, module in model.named_modules()
                                         if name.rsplit(".", 1)[-1] in IMAGE_ENCODERS)
    emb = model.get_input_embeddings() if hasattr(model, "get_input_embeddings") else None
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if emb is None or getattr(emb, "weight", None) is None:
        return total
    head_weight = getattr(head, "weight", None)
    tied = head_weight is not None and _same_storage(emb.weight, head_weight)
    if tied:
        return total
    table = tensor_storage_bytes(emb.weight, set())
    rows = emb.weight.shape[0] if emb.weight.dim() else 1
    return total - table + table // max(rows, 1)


def _same_storage(a: Any, b: Any) -> bool:
    try:
        return bool(a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr())
    except (RuntimeError, AttributeError, NotImplementedError):
        return a is b


def roofline_fraction(decode_tokens_per_s: float | None, bytes_per_token: float | None,
                      bandwidth_gbs: float | None) -> float | None:
    if not decode_tokens_per_s or not bytes_per_token or not bandwidth_gbs:
        return None
    return decode_tokens_per_s * bytes_per_token / (bandwidth_gbs * 1e9)
