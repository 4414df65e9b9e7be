"""torchao int8 schemes, applied with `quantize_` on the Linear layers of a loaded model."""

from __future__ import annotations

from typing import Any

from evalharness.quantization.base import QuantScheme, register


class _TorchAO(QuantScheme):
    devices = ("cpu", "cuda")
    load_dtype = "float32"
    requires = (("torchao", "torchao"),)
    config_name = ""

    def apply(self, model: Any, device: str) -> Any:
        import torchao.quantization as tq

        # config objects, not strings: string names were removed from torchao
        tq.quantize_(model, getattr(tq, self.config_name)())
        return model


@register
class TorchAOInt8WeightOnly(_TorchAO):
    name = "torchao-int8wo"
    description = "torchao int8 weight-only (Int8WeightOnlyConfig) on Linear layers"
    config_name = "Int8WeightOnlyConfig"


@register
class TorchAOInt8DynAct(_TorchAO):
    name = "torchao-int8da"
    description = "torchao int8 dynamic activations + int8 weights (Int8DynamicActivationInt8WeightConfig)"
    config_name = "Int8DynamicActivationInt8WeightConfig"
