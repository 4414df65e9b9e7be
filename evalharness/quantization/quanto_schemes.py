"""optimum-quanto weight quantization."""

from __future__ import annotations

from typing import Any

from evalharness.quantization.base import QuantScheme, register


@register
class QuantoInt8(QuantScheme):
    name = "quanto-int8"
    description = "optimum-quanto int8 weights (quantize + freeze)"
    devices = ("cpu", "cuda")
    load_dtype = "float32"
    requires = (("optimum.quanto", "optimum-quanto"),)

    def apply(self, model: Any, device: str) -> Any:
        from optimum.quanto import freeze, qint8, quantize

        quantize(model, weights=qint8)
        freeze(model)
        return model
