"""optimum-quanto weight quantization."""

from __future__ import annotations

from typing import Any

from evalharness.quantization.base import QuantScheme, keep_rest_in_bf16, output_head_name, register


@register
class QuantoInt8(QuantScheme):
    name = "quanto-int8"
    description = "optimum-quanto int8 weights (quantize + freeze) of the decoder; embedding/LM head bf16"
    devices = ("cpu", "cuda")
    load_dtype = "float32"
    requires = (("optimum.quanto", "optimum-quanto"),)

    def apply(self, model: Any, device: str) -> Any:
        from optimum.quanto import freeze, qint8, quantize

        head = output_head_name(model)
        quantize(model, weights=qint8, exclude=[head] if head else None)
        freeze(model)
        return keep_rest_in_bf16(model)
