"""torch dynamic int8: Linear weights stored as int8, activations quantized on the fly (CPU)."""

from __future__ import annotations

import warnings
from typing import Any

from evalharness.quantization.base import QuantScheme, register


@register
class DynamicInt8(QuantScheme):
    name = "int8-dynamic"
    description = "torch dynamic int8 quantization of every nn.Linear (LM head included), CPU only"
    devices = ("cpu",)
    load_dtype = "float32"

    def unsupported_reason(self, device: str) -> str | None:
        reason = super().unsupported_reason(device)
        if reason:
            return reason
        import torch

        engines = torch.backends.quantized.supported_engines
        if "fbgemm" not in engines and "x86" not in engines:
            return "this torch build has no x86/fbgemm quantized engine"
        return None

    def apply(self, model: Any, device: str) -> Any:
        import torch

        with warnings.catch_warnings():
            # torch.ao.quantization is deprecated in favour of torchao, but still works.
            warnings.simplefilter("ignore")
            from torch.ao.quantization import quantize_dynamic

            return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=False)
