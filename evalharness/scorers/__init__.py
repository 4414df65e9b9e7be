"""Quality and safety scorers, registered by name. Never imports measure/.

Every module of this package is imported here, so a new scorer is one new module.
"""

import importlib
import pkgutil

from evalharness.scorers.base import SCORERS, ModelClient, Score, Scorer, ScorerSetup, ScoringInput, safe_score

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["SCORERS", "ModelClient", "Score", "Scorer", "ScorerSetup", "ScoringInput", "safe_score"]
