"""`served`: whatever the endpoint serves. Endpoint variants get this scheme and device `remote`."""

from __future__ import annotations

from evalharness.quantization.base import QuantScheme, register


@register
class Served(QuantScheme):
    name = "served"
    description = "as served by an OpenAI-compatible endpoint (set automatically for source: openai)"
    devices = ("remote",)
    runtime = "openai"
