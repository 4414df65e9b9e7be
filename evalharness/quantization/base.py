"""The quantization scheme interface and its registry."""

from __future__ import annotations

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

    def unsupported_reason(self, device: str) -> str | None:
        """Why this scheme cannot run on `device` here, or None when it can."""
        kind = device.split(":")[0]
        if kind not in self.devices:
            return f"{self.name} supports {', '.join(self.devices)}, not {kind}"
        return None

    def torch_dtype(self) -> Any:
        import torch

        return getattr(torch, self.load_dtype)

    def apply(self, model: Any, device: str) -> Any:
        """Quantize a loaded model (already in `load_dtype` on `device`); returns the model."""
        return model


SCHEMES: Registry[QuantScheme] = Registry("quantization")


def register(cls: type[QuantScheme]) -> type[QuantScheme]:
    SCHEMES.add(cls.name, cls())
    return cls
