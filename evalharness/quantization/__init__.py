"""Quantization schemes, one module per family, registered by name in `SCHEMES`.

Every module of this package is imported here, so a new scheme is one new module.
"""

import importlib
import pkgutil

from evalharness.quantization.base import SCHEMES, QuantScheme

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["SCHEMES", "QuantScheme"]
