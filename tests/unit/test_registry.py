import pytest

from evalharness.models.sources import SOURCES
from evalharness.quantization import SCHEMES
from evalharness.registry import Registry, UnknownNameError
from evalharness.scorers import SCORERS


def test_registry_rejects_duplicates_and_suggests():
    r: Registry[int] = Registry("widget")
    r.add("bf16", 1)
    r.add("fp32", 2)
    with pytest.raises(ValueError, match="already registered"):
        r.add("bf16", 3)
    with pytest.raises(UnknownNameError) as e:
        r.get("bf61")
    assert str(e.value) == "unknown widget 'bf61'. Did you mean: bf16? Available: bf16, fp32"


def test_builtin_registries():
    assert {"fp32", "bf16", "fp16", "int8-dynamic"} <= set(SCHEMES.names())
    assert {"relevance", "coherence", "safety", "factual"} <= set(SCORERS.names())
    assert {"embedded", "hf", "tiny-random"} <= set(SOURCES.names())


def test_unsupported_device_has_a_reason():
    assert SCHEMES.get("int8-dynamic").unsupported_reason("cuda") == (
        "int8-dynamic supports cpu, not cuda"
    )
    assert SCHEMES.get("fp32").unsupported_reason("cpu") is None


def test_a_scheme_without_its_package_says_how_to_get_it(monkeypatch):
    import importlib.util

    from evalharness.quantization import SCHEMES

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llama_cpp" else real(name, *a))
    reason = SCHEMES.get("gguf-native").unsupported_reason("cpu")
    assert reason is not None and "make llama-cpp" in reason and "6 minutes" in reason
