"""Quality and safety scorers, registered by name. Never imports measure/."""

from evalharness.scorers import (  # noqa: F401  (registers)
    assertions,
    function_call,
    heuristics,
    language,
    refusal,
    safety,
)
from evalharness.scorers.base import SCORERS, Score, Scorer, ScoringInput

__all__ = ["SCORERS", "Score", "Scorer", "ScoringInput"]
