"""Quantization schemes, one module per family, registered by name in `SCHEMES`."""

from evalharness.quantization import (  # noqa: F401  (registers)
    bnb_schemes,
    dynamic_int8,
    gguf_native,
    precision,
    quanto_schemes,
    served,
    torchao_schemes,
)
from evalharness.quantization.base import SCHEMES, QuantScheme

__all__ = ["SCHEMES", "QuantScheme"]
