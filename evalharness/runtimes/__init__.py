"""Runtimes, registered by name: transformers, llama.cpp, an OpenAI-compatible endpoint.

A model source or a quantization scheme names the runtime it needs (`runtime_for`). Every
module of this package is imported here, so a new runtime is one new module.
"""

import importlib
import pkgutil

from evalharness.runtimes.base import (
    RUNTIMES,
    Backend,
    Capabilities,
    GenerationError,
    GenParams,
    LoadTarget,
    Runtime,
)

__all__ = ["RUNTIMES", "Backend", "Capabilities", "GenParams", "GenerationError", "LoadTarget",
           "Runtime", "runtime_for"]


for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")


def runtime_for(source: str, quantization: str) -> Runtime:
    """The source's own runtime where it has one (an endpoint), else the scheme's."""
    from evalharness.models.sources import SOURCES
    from evalharness.quantization import SCHEMES

    return RUNTIMES.get(SOURCES.get(source).runtime or SCHEMES.get(quantization).runtime)
