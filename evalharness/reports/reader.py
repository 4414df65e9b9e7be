"""The one report reader: the dashboard, the CI gate, resume and tests all use it."""

from __future__ import annotations

import json
import operator
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evalharness.lifecycle import SAFE_NAME
from evalharness.reports.loadtest import LOAD_FOLDER
from evalharness.reports.schema import (
    SCHEMA_VERSION,
    Environment,
    Measurement,
    NodeRecord,
    Report,
    ResumeRecord,
    RunHeader,
    Sample,
    Variant,
)
from evalharness.reports.security import SECURITY_FOLDER


class ReportError(Exception):
    """A file that is not a readable report; the message names the file."""


def _read_json(p: Path) -> Any:
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"{p}: cannot read: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReportError(f"{p}: not valid JSON ({exc}); the file may be truncated") from None


def _report_from(data: Any, p: Path, where: str = "") -> Report:
    if not isinstance(data, dict) or "schema_version" not in data:
        raise ReportError(f"{p}{where}: not an evalharness report (no schema_version)")
    if data["schema_version"] != SCHEMA_VERSION:
        raise ReportError(
            f"{p}{where}: schema_version {data['schema_version']} is not supported (this reader: {SCHEMA_VERSION})"
        )
    try:
        return Report.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise ReportError(f"{p}{where}: not a valid report: {loc}: {first['msg']}") from None


def load_report(path: str | Path) -> Report:
    p = Path(path)
    return _report_from(_read_json(p), p)


BASELINE_SET = "baseline-set"


def load_baseline(path: str | Path) -> list[Report]:
    """A baseline: one report, or a baseline set (`evalharness baseline set RUN RUN ...`) of
    several runs of one suite, oldest first."""
    p = Path(path)
    data = _read_json(p)
    if not (isinstance(data, dict) and data.get("kind") == BASELINE_SET):
        return [_report_from(data, p)]
    runs = data.get("runs")
    if not isinstance(runs, list) or not runs:
        raise ReportError(f"{p}: a baseline set with no runs")
    return [_report_from(r, p, f" (run {i + 1} of the set)") for i, r in enumerate(runs)]


def baseline_set_json(reports: list[Report]) -> str:
    """The file `load_baseline` reads back: several runs of one suite."""
    return json.dumps({"schema_version": SCHEMA_VERSION, "kind": BASELINE_SET, "suite": reports[0].suite.name,
                       "runs": [json.loads(r.model_dump_json()) for r in reports]}, allow_nan=False)


@dataclass
class SamplesLogContent:
    header: RunHeader | None = None
    variants: dict[str, Variant] = field(default_factory=dict)  # last record per id wins
    samples: dict[tuple[str, str, int], Sample] = field(default_factory=dict)
    resumes: list[ResumeRecord] = field(default_factory=list)
    nodes: dict[str, Environment] = field(default_factory=dict)  # Ray nodes by id
    bad_lines: int = 0  # unreadable, or a record that is not valid (a negative latency, a NaN, ...)
    conflicts: int = 0  # a sample line whose measurement differs from an earlier line of its unit

    def dropped(self) -> str | None:
        """What reading the log left out, in words; None when nothing."""
        parts = []
        if self.bad_lines:
            parts.append(f"{self.bad_lines} line(s) that are not valid records")
        if self.conflicts:
            parts.append(f"{self.conflicts} sample line(s) that contradict an earlier measurement of the same "
                         "(variant, case, repeat) (the first measurement kept)")
        return "; ".join(parts) or None


_MEASURED = tuple(Measurement.model_fields)


def _fold(out: SamplesLogContent, rec: dict) -> None:
    kind = rec.pop("kind")
    if kind == "header":
        out.header = RunHeader.model_validate(rec)
    elif kind == "variant":
        v = Variant.model_validate(rec)
        out.variants[v.id] = v
    elif kind == "sample":
        s = Sample.model_validate(rec)
        first = out.samples.get(s.key)
        # a later line of a unit may add to it (fidelity, scores), never re-measure it
        if first is not None and any(getattr(first, f) != getattr(s, f) for f in _MEASURED):
            out.conflicts += 1
            return
        out.samples[s.key] = s
    elif kind == "resume":
        out.resumes.append(ResumeRecord.model_validate(rec))
    elif kind == "node":
        node = NodeRecord.model_validate(rec)
        out.nodes[node.id] = node.environment
    else:
        raise ValueError(f"unknown record kind {kind!r}")


def read_samples_log(path: str | Path) -> SamplesLogContent:
    """Fold a samples log. Lines that cannot be read (a torn last line, a line cut inside a
    character, anything that is not a record) are counted in `bad_lines` and skipped."""
    out = SamplesLogContent()
    with open(Path(path), encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict):
                    raise ValueError("not a JSON object")
                _fold(out, rec)
            except (ValueError, KeyError, TypeError, RecursionError, ValidationError):
                out.bad_lines += 1
    return out


@dataclass(frozen=True)
class RunEntry:
    path: Path
    report: Report | None
    error: str | None


@dataclass(frozen=True)
class FileKey:
    """A report file with its modification time and size (a cache key for readers)."""

    path: str
    mtime_ns: int
    size: int




def scan_results(results_dir: str | Path) -> tuple[list[FileKey], list[str]]:
    """One walk of a results folder: every report JSON (with its mtime and size) and every
    samples log; hidden files and folders, pinned baselines and the folders of load tests and
    security checks (results/load/, results/security/) left out. os.scandir, not pathlib: at
    10,000 runs this walk is what every dashboard rerun pays."""
    root = str(results_dir)
    reports: list[FileKey] = []
    logs: list[str] = []
    if not os.path.isdir(root):
        return reports, logs
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # removed or unreadable while we looked
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                if name != "baselines" and not (name in (LOAD_FOLDER, SECURITY_FOLDER) and folder == root):
                    folders.append(entry.path)
            elif name.endswith(".samples.jsonl"):
                logs.append(entry.path)
            elif name.endswith(".json"):
                try:
                    st = entry.stat()
                except OSError:
                    continue
                reports.append(FileKey(entry.path, st.st_mtime_ns, st.st_size))
    reports.sort(key=operator.attrgetter("path"))
    logs.sort()
    return reports, logs


def report_files(results_dir: str | Path) -> list[FileKey]:
    """Every report JSON below `results_dir`: hidden files and pinned baselines left out."""
    return scan_results(results_dir)[0]


def list_runs(results_dir: str | Path) -> list[RunEntry]:
    """Every report below `results_dir`, read, or the reason it could not be."""
    entries: list[RunEntry] = []
    for key in report_files(results_dir):
        try:
            entries.append(RunEntry(Path(key.path), load_report(key.path), None))
        except ReportError as exc:
            entries.append(RunEntry(Path(key.path), None, str(exc)))
    return entries


def find_run_file(results_dir: Path, run: str, suffix: str = ".json") -> Path | None:
    """A run's file: `run` itself when it is a path, else `<results_dir>/*/<run><suffix>`."""
    p = Path(run)
    if suffix == ".json" and p.is_file():
        return p
    if not SAFE_NAME.fullmatch(run):
        return None  # a run id is one plain name: no path, no glob
    matches = sorted(results_dir.glob(f"*/{run}{suffix}"))
    return matches[0] if matches else None
