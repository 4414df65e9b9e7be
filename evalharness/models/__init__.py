"""Model sources (embedded GGUF, Hugging Face folder or hub id, tiny random) and loading."""

from evalharness.models.sources import SOURCES, LoadedModel, ModelSource

__all__ = ["SOURCES", "LoadedModel", "ModelSource"]
