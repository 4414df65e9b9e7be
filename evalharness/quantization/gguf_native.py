"""The GGUF file itself, run by llama.cpp (llama-cpp-python): what llama.cpp/Ollama users get."""

from __future__ import annotations

from evalharness.quantization.base import QuantScheme, register


@register
class GGUFNative(QuantScheme):
    name = "gguf-native"
    description = "the model's GGUF (Q4_K_M for the embedded Gemma) run by llama.cpp, its own runtime"
    devices = ("cpu",)
    requires = (("llama_cpp", "llama-cpp-python"),)
    install_hint = "`make llama-cpp` builds it once per machine, about 6 minutes on 2 cores"
    runtime = "llama.cpp"
