"""Planning a run: which variants, in which order, each with its reference and parameters."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field

from evalharness.measure import gpu
from evalharness.reports.schema import PlanEntry
from evalharness.runtimes import Runtime, runtime_for
from evalharness.suite.schema import Axes, ModelSpec, Suite


@dataclass(frozen=True)
class VariantPlan:
    id: str
    model: ModelSpec
    quantization: str
    device: str
    axes: Axes = field(default_factory=Axes)

    @property
    def runtime(self) -> Runtime:
        return runtime_for(self.model.source, self.quantization)

    def entry(self) -> PlanEntry:
        return PlanEntry(id=self.id, model=self.model.model_dump(), quantization=self.quantization,
                         device=self.device, axes=self.axes.model_dump())

    @classmethod
    def from_entry(cls, e: PlanEntry) -> VariantPlan:
        return cls(e.id, ModelSpec.model_validate(e.model), e.quantization, e.device,
                   Axes.model_validate(e.axes or {}))


def resolve_device(requested: str) -> str:
    if requested == "auto":
        return "cuda" if gpu.cuda_available() else "cpu"
    return requested


def plan_variants(suite: Suite, device: str, patterns: Sequence[str] = ()) -> list[VariantPlan]:
    """Every model x quantization (or the explicit matrix), filtered by glob patterns on ids."""
    by_label = {m.label: m for m in suite.models}
    if suite.matrix is not None:
        triples = [(by_label[e.model], e.quantization, e.axes(suite.axes)) for e in suite.matrix]
    else:
        triples = [(m, q, suite.axes) for m in suite.models for q in suite.quantizations]
    plans = []
    for m, q, a in triples:
        a = a.for_model(m)
        # a served model is one variant, whatever the suite lists: the runtime says which
        q, d = runtime_for(m.source, q).capabilities.fixed_variant or (q, device)
        plan = VariantPlan(f"{m.label}/{q}/{d}{a.suffix()}", m, q, d, a)
        if plan not in plans:
            plans.append(plan)
    if patterns:
        plans = [p for p in plans if any(fnmatch.fnmatch(p.id, pat) for pat in patterns)]
    return reference_first(suite, plans)


def reference_quantization(suite: Suite, device: str) -> str:
    return suite.fidelity.reference or ("bf16" if device.startswith("cuda") else "fp32")


def reference_of(suite: Suite, plans: Sequence[VariantPlan], model_label: str) -> VariantPlan | None:
    """The variant other variants of the same model are compared with (default axes only)."""
    for p in plans:
        if (p.model.label == model_label and p.quantization == reference_quantization(suite, p.device)
                and p.axes == suite.axes.for_model(p.model)):
            return p
    return None


def base_model(suite: Suite, model: ModelSpec) -> ModelSpec | None:
    """The suite's model an adapter model applies its adapter to (same source, id, revision, no
    adapter); None for a model without an adapter, or when the suite does not list its base."""
    if model.adapter is None:
        return None
    return next((m for m in suite.models if m.adapter is None and m.base == model.base), None)


def reference_for(suite: Suite, plans: Sequence[VariantPlan], plan: VariantPlan) -> VariantPlan | None:
    """The variant `plan`'s fidelity compares with: its model's reference variant; for that
    reference itself, the base model's reference when the model is an adapter (how far the
    fine-tune moved the model), else None."""
    own = reference_of(suite, plans, plan.model.label)
    if own is not None and own != plan:
        return own
    base = base_model(suite, plan.model) if own == plan else None
    return reference_of(suite, plans, base.label) if base is not None else None


def reference_rank(suite: Suite, plans: Sequence[VariantPlan], plan: VariantPlan) -> int:
    """0: a model's reference that compares with nothing; 1: a reference that compares with its
    base's; 2: any other variant. Fidelity needs lower ranks measured first."""
    if reference_of(suite, plans, plan.model.label) != plan:
        return 2
    return 0 if reference_for(suite, plans, plan) is None else 1


def reference_first(suite: Suite, plans: list[VariantPlan]) -> list[VariantPlan]:
    """Put each model's reference variant before its other variants, base models' references
    before adapters' (fidelity needs them first); otherwise the order stays."""
    if not suite.fidelity.enabled:
        return plans
    refs = {p.model.label: p for p in plans if reference_of(suite, plans, p.model.label) == p}
    ordered: list[VariantPlan] = []
    for p in plans:
        ref = refs.get(p.model.label)
        if ref is not None and ref not in ordered:
            ordered.append(ref)
        if p not in ordered:
            ordered.append(p)
    # adapters whose base the suite lists come after every base model (stable otherwise)
    return sorted(ordered, key=lambda p: base_model(suite, p.model) is not None)


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` -> (K, N), 1 <= K <= N; a ValueError says what is wrong."""
    k, sep, n = text.partition("/")
    try:
        shard, count = int(k), int(n)
    except ValueError:
        raise ValueError(f"--shard {text!r}: use K/N, e.g. 2/4") from None
    if not sep or count < 1 or not 1 <= shard <= count:
        raise ValueError(f"--shard {text!r}: use K/N with K in 1..N, e.g. 2/4")
    return shard, count


def task_in_shard(shard: str | None, task_index: int) -> bool:
    """Whether the suite's task `task_index` is scored in shard `K/N` (tasks are dealt out in turn)."""
    if shard is None:
        return True
    k, n = parse_shard(shard)
    return task_index % n == k - 1


def in_shard(shard: str | None, case_index: int, repeat: int, cases: int) -> bool:
    """Whether unit (case, repeat) belongs to shard `K/N`. Units are numbered repeat-major and dealt
    out in turn, so shards differ by at most one unit and each holds a spread of cases. Every variant
    measures the same units in a shard: a case's reference answer (fidelity) is in the same job."""
    if shard is None:
        return True
    k, n = parse_shard(shard)
    return (repeat * cases + case_index) % n == k - 1
