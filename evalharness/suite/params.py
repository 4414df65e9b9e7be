"""A case's generation parameters: the suite's `generation`, with the case's overrides."""

from __future__ import annotations

from evalharness.runtimes import GenParams
from evalharness.suite.schema import Case, Suite


def gen_params(suite: Suite, case: Case) -> GenParams:
    merged = suite.generation.model_dump()
    if case.generation is not None:
        merged.update({k: v for k, v in case.generation.model_dump().items() if v is not None})
    return GenParams(**merged)
