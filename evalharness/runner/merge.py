"""Merging reports of one suite measured in parts (CI shards, or runs of different variants) into
one report. Every statistic is recomputed from the raw samples (percentiles of percentiles are not
percentiles); each part's run, environment and load figures are kept in `shards`."""

from __future__ import annotations

from collections.abc import Sequence

from evalharness.alerts import evaluate
from evalharness.lifecycle import new_run_id
from evalharness.reports.schema import Report, Sample, ShardRecord, Variant
from evalharness.runner.assemble import assembled, run_status
from evalharness.runner.plan import parse_shard
from evalharness.suite.loader import LoadedSuite

# what must agree between parts of one run (the shard itself may differ)
_SAME_CONFIG = ("warmup", "repeats", "threads", "generation", "scorers", "cases", "isolation", "schedule")


class MergeError(ValueError):
    """Reports that cannot be merged; the message names them and says why."""


def _check(reports: Sequence[Report], names: Sequence[str]) -> None:
    first, name0 = reports[0], names[0]
    for r, name in zip(reports[1:], names[1:]):
        if r.suite.sha256 != first.suite.sha256:
            raise MergeError(f"{name} ran suite {r.suite.name!r} sha256 {r.suite.sha256[:12]}, {name0} "
                             f"{first.suite.name!r} {first.suite.sha256[:12]}: merge parts of one suite only")
        for field in _SAME_CONFIG:
            if getattr(r.config, field) != getattr(first.config, field):
                raise MergeError(f"{name} and {name0} differ in {field} ({getattr(r.config, field)!r} vs "
                                 f"{getattr(first.config, field)!r}): they are not parts of one run")
    counts = {parse_shard(r.config.shard)[1] for r in reports if r.config.shard}
    if len(counts) > 1:
        raise MergeError(f"shards of different splits ({', '.join(f'1/{c}' for c in sorted(counts))}...): "
                         "merge the shards of one --shard K/N split")
    seen: dict[tuple[str, str, int], str] = {}
    for r, name in zip(reports, names):
        for s in r.samples:
            if s.key in seen:
                raise MergeError(f"{seen[s.key]} and {name} both measured variant {s.variant_id!r} case "
                                 f"{s.case_id!r} repeat {s.repeat}: a shard given twice, or overlapping runs")
            seen[s.key] = name


def missing_shards(reports: Sequence[Report]) -> list[str]:
    """`K/N` shares of the split that none of the reports holds."""
    shards = [r.config.shard for r in reports if r.config.shard]
    if not shards:
        return []
    n = parse_shard(shards[0])[1]
    return [f"{k}/{n}" for k in range(1, n + 1) if f"{k}/{n}" not in shards]


def _merged_variant(parts: Sequence[Variant]) -> Variant:
    """One variant from its record in each part: failed if it failed anywhere, ok if it ran."""
    failed = [v for v in parts if v.status == "failed"]
    ok = [v for v in parts if v.status == "ok"]
    base = failed[0] if failed else ok[0] if ok else parts[0]
    warnings = list(dict.fromkeys(w for v in parts for w in v.warnings))
    scored = sorted((t for v in parts for t in v.tasks), key=lambda t: t.error is None)  # a scored one wins
    tasks = list({t.source: t for t in scored}.values())
    return base.model_copy(update={"warnings": warnings, "worker": None, "fidelity": None, "tasks": tasks})


def _fidelity_to_every_repeat(samples: list[Sample]) -> list[Sample]:
    """A case's fidelity is measured on its repeat 0 and holds for all its repeats (a run gives it
    to each); a shard without repeat 0 of a case gets it here, from the shard that had it."""
    first = {(s.variant_id, s.case_id): s.fidelity for s in samples if s.repeat == 0 and s.fidelity is not None}
    return [s.model_copy(update={"fidelity": first[(s.variant_id, s.case_id)]})
            if s.fidelity is None and (s.variant_id, s.case_id) in first else s for s in samples]


def merge_reports(reports: Sequence[Report], names: Sequence[str], loaded: LoadedSuite) -> Report:
    """One report of the whole: samples of every part, figures recomputed, alerts re-evaluated
    with the suite's rules. Raises MergeError on parts of different suites or overlapping units."""
    if not reports:
        raise MergeError("nothing to merge")
    if loaded.sha256 != reports[0].suite.sha256:
        raise MergeError(f"the suite file {loaded.path} is not the one the reports ran "
                         f"(sha256 {loaded.sha256[:12]} vs {reports[0].suite.sha256[:12]})")
    _check(reports, names)
    order: dict[str, int] = {}
    for r in reports:
        for v in r.variants:
            order.setdefault(v.id, len(order))
    case_order = {c.id: i for i, c in enumerate(loaded.cases)}
    samples: list[Sample] = sorted((s for r in reports for s in r.samples),
                                   key=lambda s: (order.get(s.variant_id, 1 << 30),
                                                  case_order.get(s.case_id, 1 << 30), s.repeat))
    samples = _fidelity_to_every_repeat(samples)
    variants = [_merged_variant([v for r in reports for v in r.variants if v.id == vid]) for vid in order]
    refs = {v.id: v.fidelity.reference for r in reports for v in r.variants if v.fidelity is not None}
    first = reports[0]
    variants = assembled(variants, samples, first.environment.memory_bandwidth_gbs, refs)
    alerts = evaluate(loaded.suite.all_alert_rules(), variants, samples)
    partial = bool(missing_shards(reports)) or any(r.status in ("partial", "running") for r in reports)
    status = "partial" if partial and any(s.success for s in samples) else run_status(False, variants, samples)
    finished = [r.finished_at for r in reports]
    shards = [ShardRecord(run_id=r.run_id, shard=r.config.shard, started_at=r.started_at,
                          finished_at=r.finished_at, status=r.status, environment=r.environment,
                          load={v.id: v.load for v in r.variants if v.status == "ok"}) for r in reports]
    nodes = {k: e for r in reports for k, e in r.nodes.items()}
    return Report(schema_version=first.schema_version, run_id=new_run_id(), suite=first.suite,
                  started_at=min(r.started_at for r in reports),
                  finished_at=None if None in finished else max(f for f in finished if f is not None),
                  status=status, environment=first.environment,
                  config=first.config.model_copy(update={"shard": None}), variants=variants,
                  samples=samples, alerts=alerts, resumed=[x for r in reports for x in r.resumed],
                  shards=shards, nodes=nodes)
