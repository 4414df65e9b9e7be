"""Quality and safety scorers, registered by name. Never imports measure/."""

from evalharness.scorers.base import SCORERS, Score, Scorer, ScoringInput
from evalharness.scorers import heuristics  # noqa: F401  (registers)

__all__ = ["SCORERS", "Score", "Scorer", "ScoringInput"]
