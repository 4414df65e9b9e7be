"""The one place that wires suite, runtimes, measurement, scoring, alerts and reports together:
planning (plan), one variant's turn (variant), the run (execute), report assembly (assemble)."""

from evalharness.runner.execute import Runner, RunOptions, RunOutcome, default_factory
from evalharness.runner.plan import VariantPlan, plan_variants, resolve_device
from evalharness.runner.progress import NullProgress, Progress
from evalharness.suite.params import gen_params

__all__ = ["NullProgress", "Progress", "RunOptions", "RunOutcome", "Runner", "VariantPlan", "default_factory",
           "gen_params", "plan_variants", "resolve_device"]
