"""Plain floating-point precisions: the weights are cast, nothing is packed."""

from __future__ import annotations

from evalharness.quantization.base import QuantScheme, register


@register
class FP32(QuantScheme):
    name = "fp32"
    description = "float32 weights and activations (the full-precision reference on CPU)"
    devices = ("cpu", "cuda")
    load_dtype = "float32"


@register
class BF16(QuantScheme):
    name = "bf16"
    description = "bfloat16 weights and activations"
    devices = ("cpu", "cuda")
    load_dtype = "bfloat16"


@register
class FP16(QuantScheme):
    name = "fp16"
    description = "float16 weights and activations (Gemma's activations can overflow in fp16)"
    devices = ("cpu", "cuda")
    load_dtype = "float16"
