"""The quantization scheme interface and its registry."""

from __future__ import annotations

import importlib.util
from typing import Any

from evalharness.registry import Registry


class QuantScheme:
    """How to load a model in one precision / quantization, and on which devices that works.

    Plug-ins import their optional dependencies inside methods, so listing schemes and
    validating suites never needs them.
    """

    name: str = ""
    description: str = ""
    devices: tuple[str, ...] = ("cpu",)
    load_dtype: str = "float32"  # dtype the weights are loaded in before `apply`
    requires: tuple[tuple[str, str], ...] = ()  # (import name, pip name) of optional packages
    runtime: str = "transformers"  # the registered runtime that runs this scheme
    install_hint: str = ""  # how to get what `requires` names, where plain pip is not the way

    def missing_package(self) -> str | None:
        for module, dist in self.requires:
            if importlib.util.find_spec(module.split(".")[0]) is None:
                return f"install {dist} to use {self.name} ({self.install_hint or f'pip install {dist}'})"
        return None

    def unsupported_reason(self, device: str) -> str | None:
        """Why this scheme cannot run on `device` here, or None when it can."""
        kind = device.split(":")[0]
        if kind not in self.devices:
            return f"{self.name} supports {', '.join(self.devices)}, not {kind}"
        return self.missing_package()

    def torch_dtype(self) -> Any:
        import torch

        return getattr(torch, self.load_dtype)

    def load_kwargs(self, device: str) -> dict[str, Any]:
        """Extra `from_pretrained` arguments (e.g. a BitsAndBytesConfig and device_map)."""
        return {}

    def apply(self, model: Any, device: str) -> Any:
        """Quantize a loaded model (already in `load_dtype` on `device`); returns the model."""
        return model


def keep_rest_in_bf16(model: Any) -> Any:
    """What a scheme leaves unquantized, the (tied) input embedding and LM head, stored in
    bfloat16: they compute in bfloat16 and hand float32 on to the float32 parts. Norms stay float32
    (a few kilobytes). Without this a 262k-token embedding kept in float32 makes an int8 variant
    larger than a bf16 one."""
    import torch

    def to_float32(module: Any, args: Any, out: Any) -> Any:
        return out.to(torch.float32)

    def to_bf16(module: Any, args: Any) -> Any:
        return (args[0].to(torch.bfloat16), *args[1:])

    for module in _embeddings(model):
        weight = getattr(module, "weight", None)
        if type(weight) is not torch.nn.Parameter or not isinstance(module, (torch.nn.Embedding, torch.nn.Linear)):
            continue  # quantized by the scheme (a packed or subclass weight), or absent
        if weight.dtype == torch.float32:
            weight.data = weight.data.to(torch.bfloat16)  # in place: a tied head shares it
        if weight.dtype == torch.bfloat16 and not getattr(module, "_evalharness_bf16", False):
            if isinstance(module, torch.nn.Linear):
                module.register_forward_pre_hook(to_bf16)
            module.register_forward_hook(to_float32)
            module._evalharness_bf16 = True
    return model


def _embeddings(model: Any) -> list[Any]:
    """The input embedding and the output head of a transformers model (none for other modules)."""
    getters = (getattr(model, "get_input_embeddings", None), getattr(model, "get_output_embeddings", None))
    return [m for m in (g() if callable(g) else None for g in getters) if m is not None]


def output_head(model: Any) -> Any | None:
    """The LM head module of a transformers model (None for other modules)."""
    getter = getattr(model, "get_output_embeddings", None)
    return getter() if callable(getter) else None


def output_head_name(model: Any) -> str | None:
    """The module name of the LM head (left to `keep_rest_in_bf16`: it shares the embedding)."""
    head = output_head(model)
    if head is None:
        return None
    return next((name for name, module in model.named_modules() if module is head), None)


SCHEMES: Registry[QuantScheme] = Registry("quantization")


register = SCHEMES.plugin
