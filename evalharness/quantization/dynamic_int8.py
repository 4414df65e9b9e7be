"""torch dynamic int8: Linear weights stored as int8, activations quantized on the fly (CPU)."""

from __future__ import annotations

import warnings
from typing import Any

from evalharness.quantization.base import QuantScheme, keep_rest_in_bf16, output_head_name, register


@register
class DynamicInt8(QuantScheme):
    name = "int8-dynamic"
    description = ("torch dynamic int8 of the decoder's nn.Linear layers; the tied embedding/LM head in bf16; "
                   "CPU only")
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

    quantize_head = False

    def apply(self, model: Any, device: str) -> Any:
        import torch

        with warnings.catch_warnings():
            # torch.ao.quantization is deprecated in favour of torchao, but still works.
            warnings.simplefilter("ignore")
            from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic

            head = None if self.quantize_head else output_head_name(model)
            # an unmerged adapter's own layers (lora_A, lora_B) stay as they are (peft reads their
            # weights' dtype; they are small), and so do subclasses of Linear such as
            # MultiheadAttention's out_proj, whose owner reads `.weight` as a tensor
            layers = {name: default_dynamic_qconfig for name, m in model.named_modules()
                      if type(m) is torch.nn.Linear and name != head and ".lora_" not in name}
            return keep_rest_in_bf16(quantize_dynamic(model, layers, dtype=torch.qint8, inplace=True))


@register
class DynamicInt8WithHead(DynamicInt8):
    """The LM head quantized too: it gets an int8 copy of its own (no longer shared with the
    embedding), which is larger than int8-dynamic but faster where bf16 matmuls are slow (CPUs
    without AVX-512 BF16/AMX)."""

    name = "int8-dynamic-head"
    description = ("torch dynamic int8 of every nn.Linear, LM head included (its own int8 copy); "
                   "the embedding in bf16; CPU only")
    quantize_head = True
