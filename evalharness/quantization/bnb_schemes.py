"""bitsandbytes through transformers: the source design's 8-bit and NF4 configurations."""

from __future__ import annotations

from typing import Any

from evalharness.quantization.base import QuantScheme, keep_rest_in_bf16, register


class _BnB(QuantScheme):
    # bitsandbytes >= 0.45 has a CPU backend; 0.50 runs both configs on this CPU
    devices = ("cpu", "cuda")
    requires = (("bitsandbytes", "bitsandbytes"),)

    def config(self) -> Any:
        raise NotImplementedError

    def load_kwargs(self, device: str) -> dict[str, Any]:
        import logging

        # bitsandbytes' CPU 8-bit matmul logs a warning about a cast on every call
        logging.getLogger("bitsandbytes.autograd._functions").setLevel(logging.ERROR)
        # bitsandbytes places the weights itself: load straight onto the device
        return {"quantization_config": self.config(), "device_map": device}


@register
class BnBInt8(_BnB):
    name = "bnb-int8"
    description = "bitsandbytes LLM.int8 (load_in_8bit, threshold 6.0) of the decoder; embedding/LM head bf16"
    load_dtype = "float32"

    def apply(self, model: Any, device: str) -> Any:
        return keep_rest_in_bf16(model)  # transformers leaves the tied LM head unquantized

    def config(self) -> Any:
        from transformers import BitsAndBytesConfig

        return BitsAndBytesConfig(load_in_8bit=True, llm_int8_threshold=6.0)


@register
class BnBNF4(_BnB):
    name = "bnb-nf4"
    description = "bitsandbytes 4-bit NF4 with double quantization, bf16 compute"
    load_dtype = "bfloat16"

    def config(self) -> Any:
        import torch
        from transformers import BitsAndBytesConfig

        return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                  bnb_4bit_use_double_quant=True,
                                  bnb_4bit_compute_dtype=torch.bfloat16)
