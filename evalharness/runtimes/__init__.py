"""Runtimes, registered by name: transformers, llama.cpp, an OpenAI-compatible endpoint.

A model source or a quantization scheme names the runtime it needs (`runtime_for`).
"""

from evalharness.runtimes import llama_cpp, openai, transformers  # noqa: F401  (registers)
from evalharness.runtimes.base import (
    RUNTIMES,
    Backend,
    Capabilities,
    Generation,
    GenerationError,
    GenParams,
    LoadTarget,
    Runtime,
)

__all__ = ["RUNTIMES", "Backend", "Capabilities", "GenParams", "Generation", "GenerationError", "LoadTarget",
           "Runtime", "runtime_for"]


def runtime_for(source: str, quantization: str) -> Runtime:
    """The source's own runtime where it has one (an endpoint), else the scheme's."""
    from evalharness.models.sources import SOURCES
    from evalharness.quantization import SCHEMES

    return RUNTIMES.get(SOURCES.get(source).runtime or SCHEMES.get(quantization).runtime)
