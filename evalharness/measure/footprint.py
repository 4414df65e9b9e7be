"""Model footprint as actually stored: parameters, buffers and packed quantized weights.

`model.get_memory_footprint()` misreports quantized models (tensor subclasses report their
logical dtype; dynamic int8 packed weights are not parameters at all). This counts storage.
"""

from __future__ import annotations

from typing import Any

MB = 1024 * 1024


def tensor_storage_bytes(t: Any, seen: set[int]) -> int:
    """Bytes held by a tensor; subclasses are unwrapped into their inner tensors."""
    flatten = getattr(type(t), "__tensor_flatten__", None)
    if flatten is not None and type(t).__name__ not in ("Tensor", "Parameter"):
        names, _ = t.__tensor_flatten__()
        return sum(tensor_storage_bytes(getattr(t, n), seen) for n in names)
    if getattr(t, "is_quantized", False):
        key = t.data_ptr()
        if key in seen:
            return 0
        seen.add(key)
        extra = 0
        if t.qscheme() in _per_channel_schemes():
            extra = t.q_per_channel_scales().numel() * 8 + t.q_per_channel_zero_points().numel() * 8
        return t.numel() * t.element_size() + extra
    storage = t.untyped_storage()
    key = storage.data_ptr()
    if key in seen or t.device.type == "meta":
        return 0
    seen.add(key)
    return int(storage.nbytes())


def _per_channel_schemes() -> tuple[Any, ...]:
    import torch

    return (torch.per_channel_affine, torch.per_channel_symmetric)


def footprint_bytes(model: Any) -> int:
    """Sum of the real storage of all parameters, buffers and packed quantized weights.

    Shared storage (tied embeddings / LM head) is counted once.
    """
    seen: set[int] = set()
    # Unpacked weights are fresh tensors: keep every one alive until the count is done, or a
    # freed one's address could be reused by the next and wrongly taken for shared storage.
    alive: list[Any] = []
    total = 0
    for tensor in list(model.parameters()) + list(model.buffers()):
        total += tensor_storage_bytes(tensor, seen)
        for side in _side_tensors(tensor):  # bitsandbytes: NF4 quant_state, int8 SCB scales
            total += tensor_storage_bytes(side, seen)
    for module in model.modules():
        packed = getattr(module, "_packed_params", None)
        if packed is not None and hasattr(packed, "_weight_bias"):
            weight, bias = packed._weight_bias()
            alive.extend((weight, bias))
            total += tensor_storage_bytes(weight, seen)
            if bias is not None:
                total += tensor_storage_bytes(bias, seen)
    return total


SIDE_STATE = ("quant_state", "SCB")  # what quantized parameters keep beside their packed data


def _side_tensors(param: Any, depth: int = 0) -> list[Any]:
    """Tensors a quantized parameter needs beside its own storage (absmax, code tables, nested
    state, row scales), found by walking its side-state objects."""
    import torch

    found: list[Any] = []
    holders = [getattr(param, name, None) for name in SIDE_STATE] if depth == 0 else [param]
    for holder in holders:
        if holder is None or depth > 3:
            continue
        if isinstance(holder, torch.Tensor):
            found.append(holder)
            continue
        for value in (vars(holder).values() if hasattr(holder, "__dict__") else ()):
            if isinstance(value, torch.Tensor):
                found.append(value)
            elif hasattr(value, "__dict__") and not isinstance(value, (type, torch.dtype)):
                found.extend(_side_tensors(value, depth + 1))
    return found


def footprint_mb(model: Any) -> float:
    return footprint_bytes(model) / MB
