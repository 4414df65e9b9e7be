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

    def missing_package(self) -> str | None:
        for module, dist in self.requires:
            if importlib.util.find_spec(module.split(".")[0]) is None:
                return f"install {dist} to use {self.name} (pip install {dist})"
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


SCHEMES: Registry[QuantScheme] = Registry("quantization")


register = SCHEMES.plugin
