"""Quantization schemes, one module per family, registered by name in `SCHEMES`."""

from evalharness.quantization.base import SCHEMES, QuantScheme
from evalharness.quantization import dynamic_int8, precision  # noqa: F401  (registers)

__all__ = ["SCHEMES", "QuantScheme"]
