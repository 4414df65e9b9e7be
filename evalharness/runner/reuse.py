"""`--reuse`: take the outputs of unchanged cells from earlier runs instead of generating them.

A sample's `reuse_key` is the sha256 of everything that decides its output: the model's
fingerprint (the weights file's sha256, a local folder's files, or a pinned hub revision), source,
id, quantization, device, axes, generation parameters, the prompt as the runtime encodes it (token
ids), the repeat and the evalharness version. A model with no fingerprint (a hub id without a
revision, an endpoint whose server may change) gets no key and is always generated.

A reused sample keeps the earlier output, output ids and token counts, names the run it came from
in `reused_from`, and is scored anew with the current scorers; its timings are null (measured
anew only by generating) unless `--reuse-timings` takes them too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from evalharness.reports.reader import ReportError, load_report
from evalharness.reports.schema import Sample, generated_fields
from evalharness.runner.plan import VariantPlan
from evalharness.runtimes import GenParams

ReuseTable = dict[str, Sample]  # reuse_key -> an earlier sample (its `reused_from` names its run)
# what a reused sample takes from the earlier one besides its identity; every other Measurement
# field is marked GENERATED in the schema (null on a reused sample unless --reuse-timings); a test
# holds every field to one of the two
KEPT = ("output", "prompt_tokens", "output_tokens", "output_ids", "batch_size", "token_count_source",
        "energy_missing")


def _version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("evalharness")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def reuse_key(plan: VariantPlan, fingerprint: str | None, params: GenParams, prompt: Any, repeat: int) -> str | None:
    if fingerprint is None:
        return None
    what = {"evalharness": _version(), "weights": fingerprint, "source": plan.model.source,
            "id": plan.model.id, "revision": plan.model.revision, "quantization": plan.quantization,
            "device": plan.device, "axes": plan.axes.model_dump(), "generation": asdict(params),
            "prompt": getattr(prompt, "identity", prompt), "repeat": repeat}
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()


def earlier_samples(reports: Iterable[Path], skip_run: str | None = None) -> dict[str, ReuseTable]:
    """Variant id -> reuse table, from the reports given newest first (the newest output of a key
    wins). Unreadable reports are passed over; only successful samples with a key are taken."""
    tables: dict[str, ReuseTable] = {}
    for path in reports:
        try:
            report = load_report(path)
        except ReportError:
            continue
        if report.run_id == skip_run:
            continue
        for s in report.samples:
            if s.success and s.reuse_key is not None:
                origin = s.reused_from or report.run_id
                table = tables.setdefault(s.variant_id, {})
                table.setdefault(s.reuse_key, s.model_copy(update={"reused_from": origin}))
    return tables


def suite_reports(results_dir: Path, suite_name: str) -> list[Path]:
    """The suite's reports under the results folder, newest first."""
    folder = results_dir / suite_name
    paths = [p for p in folder.glob("*.json") if not p.name.startswith(".")] if folder.is_dir() else []
    return sorted(paths, key=lambda p: p.stat().st_mtime_ns, reverse=True)


def reused(earlier: Sample, base: Mapping[str, Any], timings: bool) -> Sample:
    """The earlier sample as this run's (case, repeat): its output, scores left to be recomputed."""
    update: dict[str, Any] = {**base, "scores": {}, "score_details": {}, "node": None}
    if not timings:
        update.update({f: None for f in generated_fields()})
        update["energy_missing"] = "reused from an earlier run without its timings (--reuse-timings takes them)"
    return earlier.model_copy(update=update)
