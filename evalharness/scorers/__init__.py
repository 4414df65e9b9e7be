"""Quality and safety scorers, registered by name. Never imports measure/."""

from evalharness.scorers import assertions, heuristics, refusal, safety  # noqa: F401  (registers)
from evalharness.scorers.base import SCORERS, Score, Scorer, ScoringInput

__all__ = ["SCORERS", "Score", "Scorer", "ScoringInput"]
