"""torchao int8 schemes, applied with `quantize_` on the Linear layers of a loaded model."""

from __future__ import annotations

from typing import Any

from evalharness.quantization.base import QuantScheme, keep_rest_in_bf16, output_head, register


class _TorchAO(QuantScheme):
    devices = ("cpu", "cuda")
    load_dtype = "float32"
    requires = (("torchao", "torchao"),)
    config_name = ""

    def apply(self, model: Any, device: str) -> Any:
        import torch
        import torchao.quantization as tq

        # config objects, not strings: string names were removed from torchao
        head = output_head(model)
        tq.quantize_(model, getattr(tq, self.config_name)(),
                     filter_fn=lambda m, fqn: isinstance(m, torch.nn.Linear) and m is not head)
        return keep_rest_in_bf16(model)


@register
class TorchAOInt8WeightOnly(_TorchAO):
    name = "torchao-int8wo"
    description = ("torchao int8 weight-only (Int8WeightOnlyConfig) on the decoder's Linear layers; "
                   "embedding/LM head bf16")
    config_name = "Int8WeightOnlyConfig"


@register
class TorchAOInt8DynAct(_TorchAO):
    name = "torchao-int8da"
    description = ("torchao int8 dynamic activations + int8 weights (Int8DynamicActivationInt8WeightConfig) on the "
                   "decoder's Linear layers; embedding/LM head bf16")
    config_name = "Int8DynamicActivationInt8WeightConfig"
