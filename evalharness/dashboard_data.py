"""Tables the dashboard shows, built from reports through the report reader (pure, testable)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evalharness import metrics
from evalharness.reports.loadtest import (
    LOAD_FOLDER,
    SLO_FIELDS,
    LoadReport,
    LoadReportError,
    StageRecord,
    read_load_report,
)
from evalharness.reports.monitor import MonitorAlert, MonitorStop, ProbeRecord, read_series
from evalharness.reports.reader import (
    FileKey,
    ReportError,
    load_report,
    read_samples_log,
    report_files,
    scan_results,
)
from evalharness.reports.schema import Report
from evalharness.reports.security import (
    SECURITY_FOLDER,
    SecurityReport,
    SecurityReportError,
    read_security_report,
)
from evalharness.reports.store import ResultsStore

__all__ = ["TREND_METRICS", "FileKey", "ResultsStore", "report_files", "scan_results"]

TREND_METRICS = tuple(m.name for m in metrics.shown_in("trend"))
TREND_RUNS = 500  # a trend chart shows a suite's newest runs, at most this many
ALERT_ROWS = 1000  # the alerts table shows the newest alerts, at most this many


_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:")


def plain(text: str) -> str:
    """Text that Streamlit's Markdown shows literally: no links, images, HTML or emphasis."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in text)


def read_one(key: FileKey) -> tuple[Report | None, str | None]:
    try:
        return load_report(key.path), None
    except ReportError as exc:
        return None, str(exc)


def pareto_mask(df: pd.DataFrame, quality: str, cost: str) -> pd.Series:
    """True for variants no other variant beats on both quality (higher) and cost (lower)."""
    ok = df[[quality, cost]].notna().all(axis=1)
    mask = pd.Series(False, index=df.index)
    for i in df.index[ok]:
        q, c = df.at[i, quality], df.at[i, cost]
        dominated = False
        for j in df.index[ok]:
            if j == i:
                continue
            qj, cj = df.at[j, quality], df.at[j, cost]
            if qj >= q and cj <= c and (qj > q or cj < c):
                dominated = True
                break
        mask[i] = not dominated
    return mask


def samples_frame(report: Report) -> pd.DataFrame:
    """A row per sample: its identity, every per-sample field of metrics.py, success, error and
    `score_<name>` per score."""
    rows = []
    for s in report.samples:
        row = {"variant": s.variant_id, "case": s.case_id, "repeat": s.repeat,
               "tags": ", ".join(s.tags), "prompt": s.prompt, "output": s.output}
        row.update({f: getattr(s, f) for f in metrics.sample_fields()})
        row.update(success=s.success, error=s.error)
        for name, value in s.scores.items():
            row[f"score_{name}"] = value
        rows.append(row)
    return pd.DataFrame(rows)


def measured_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without the per-sample figures no row has (GPU memory on a CPU run, energy where
    no counter could be read)."""
    empty = [f for f in metrics.sample_fields() if f in frame and frame[f].isna().all()]
    return frame.drop(columns=empty)


@dataclass(frozen=True)
class MonitorSeries:
    path: Path
    probes: pd.DataFrame  # ts (datetime), target, success, latency_s, ttft_s, ...
    open_alerts: pd.DataFrame  # alerts whose last event is fired/repeated
    stopped: bool
    canary_alerts: list[MonitorAlert] = field(default_factory=list)  # variant-changed, answers-drifted/-recovered

    def serving(self) -> pd.DataFrame:
        """Per target, the variant its last canary matched, with the confidence and runner-up."""
        if self.probes.empty or "match_confidence" not in self.probes:
            return pd.DataFrame()
        last = self.probes.dropna(subset=["match_confidence"]).groupby("target").tail(1)
        return last[["target", "matched_variant", "match_confidence", "runner_up", "reference"]]

    def differing(self) -> pd.DataFrame:
        """The last drift alert's differing canaries: served and pinned answers side by side."""
        drifts = [a for a in self.canary_alerts if a.details is not None and a.details.differing]
        if not drifts:
            return pd.DataFrame()
        return pd.DataFrame([d.model_dump() for d in drifts[-1].details.differing])


def monitor_series(results_dir: Path, limit: int = 5) -> list[MonitorSeries]:
    """The newest monitor JSONL series (results/monitor/*.jsonl); torn lines are skipped."""
    folder = results_dir / "monitor"
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.jsonl"), key=lambda p: p.stat().st_mtime, reverse=True)[:limit]:
        records, _ = read_series(path)
        probes = [r.model_dump() for r in records if isinstance(r, ProbeRecord)]
        alerts = {(r.rule, r.target): r for r in records if isinstance(r, MonitorAlert)}
        stopped = any(isinstance(r, MonitorStop) for r in records)
        frame = pd.DataFrame(probes)
        if not frame.empty:
            frame["ts"] = pd.to_datetime(frame["ts"], unit="s")
        open_ = [a.model_dump() for a in alerts.values() if a.event in ("fired", "repeated")]
        canary = [r for r in records if isinstance(r, MonitorAlert) and r.details is not None]
        out.append(MonitorSeries(path, frame, pd.DataFrame(open_), stopped, canary))
    return out


@dataclass(frozen=True)
class LiveRun:
    run_id: str
    suite: str
    done: int
    planned: int
    failed: int
    last_case: str | None
    samples: pd.DataFrame


def live_runs(status: Mapping[str, str], logs: Sequence[str]) -> list[LiveRun]:
    """Runs still writing: a samples log whose report is missing or says `running` (`status`:
    run id -> the status its report says; `logs`: the samples logs, from `scan_results`)."""
    out = []
    for log in logs:
        run_id = os.path.basename(log).removesuffix(".samples.jsonl")
        if status.get(run_id, "running") != "running":
            continue
        content = read_samples_log(log)
        header = content.header
        planned = header.planned_samples if header else 0
        samples = list(content.samples.values())
        frame = pd.DataFrame([{"variant": s.variant_id, "case": s.case_id, "repeat": s.repeat,
                               "latency_s": s.latency_s, "ttft_s": s.ttft_s,
                               "decode_tokens_per_s": s.decode_tokens_per_s, "success": s.success}
                              for s in samples[-50:]])
        out.append(LiveRun(run_id, header.suite.name if header else "?", len(samples), planned,
                           sum(1 for s in samples if not s.success),
                           samples[-1].case_id if samples else None, frame))
    return out


# -- the same tables from the results store (no report parsed) ----------------------------------
RUN_COLUMNS = ["run_id", "suite", "started_at", "status", "variants", "samples",
               "alerts_critical", "alerts_warning", "alerts_info"]


def runs_from(store: ResultsStore) -> pd.DataFrame:
    rows = store.query(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs ORDER BY started_at DESC, run_id DESC")
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def trend_from(store: ResultsStore, suite: str, metric: str,
               last: int = TREND_RUNS) -> tuple[pd.DataFrame, int]:
    """A metric's trend (a point per run x variant, with its alert count) over the suite's newest
    `last` runs; and how many runs the suite has."""
    total = store.query("SELECT COUNT(*) FROM runs WHERE suite = ?", (suite,))[0][0]
    newest = "SELECT run_id FROM runs WHERE suite = ? ORDER BY started_at DESC LIMIT ?"
    rows = store.query("SELECT * FROM (SELECT v.started_at, v.run_id, v.variant_id, "
                       f"json_extract(v.figures, ?) AS value, v.alerts FROM ({newest}) r "
                       "JOIN variants v ON v.run_id = r.run_id) WHERE value IS NOT NULL ORDER BY started_at",
                       (f'$."{metric}"', suite, last))  # quoted: a metric name may hold a dot (ttft_s.p95)
    df = pd.DataFrame(rows, columns=["started_at", "run_id", "variant", "value", "alerts"])
    df["started_at"] = pd.to_datetime(df["started_at"])
    return df, total


ALERT_COLUMNS = ["run_id", "suite", "started_at", "severity", "rule", "variant", "metric", "value",
                 "threshold", "message"]


def alerts_from(store: ResultsStore, severities: Sequence[str] = (),
                last: int = ALERT_ROWS) -> tuple[pd.DataFrame, int]:
    where = f"WHERE severity IN ({', '.join('?' * len(severities))})" if severities else ""
    total = store.query(f"SELECT COUNT(*) FROM alerts {where}", list(severities))[0][0]
    rows = store.query(f"SELECT {', '.join(ALERT_COLUMNS)} FROM alerts {where} "
                       "ORDER BY started_at DESC LIMIT ?", [*severities, last])
    return pd.DataFrame(rows, columns=ALERT_COLUMNS), total


def statuses_from(store: ResultsStore) -> dict[str, str]:
    return dict(store.query("SELECT run_id, status FROM runs"))


@dataclass(frozen=True)
class LoadTest:
    path: Path
    doc: LoadReport | None  # None when the file could not be read as one
    problem: str | None


def load_tests(results_dir: Path, limit: int = 50) -> list[LoadTest]:
    """The newest load tests (results/load/*.json, written by `evalharness load`), newest first;
    a file that is not one is listed with the reason."""
    folder = results_dir / LOAD_FOLDER
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)[:limit]:
        try:
            out.append(LoadTest(path, read_load_report(path), None))
        except LoadReportError as exc:
            out.append(LoadTest(path, None, str(exc)))
    return out


LOAD_STATS = ("p50", "p95")  # the percentiles of each request figure the Load tab shows
LOAD_COLUMNS = {  # column -> (where in a stage record, how it reads): the percentiles of each request
    # figure in seconds (reports.loadtest.SLO_FIELDS: from metrics.py), `FIELD.STAT` as everywhere,
    **{f"{f}.{stat}": (f"summary.{f}.{stat}", metrics.statistic_label(f, stat)) for f in SLO_FIELDS
       for stat in LOAD_STATS},
    # then the stage's own figures
    "achieved_rate": ("achieved_rate", "achieved (req/s)"), "goodput": ("goodput", "goodput (req/s)"),
    "quality": ("quality", "quality"), "success_rate": ("success_rate", "success rate"),
    "empty_rate": ("empty_rate", "empty rate"), "changed_rate": ("vs_synchronous.changed_rate", "changed vs sync"),
}


def _pick(stage: StageRecord, path: str) -> float | None:
    value: object = stage
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else getattr(value, key, None)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def load_frame(doc: LoadReport) -> pd.DataFrame:
    """One row per stage: its name, its load (the offered rate; the achieved rate for a
    closed-loop stage), the figures of LOAD_COLUMNS, and whether it saturated."""
    rows = []
    for r in doc.stages:
        row = {"stage": r.name, "load": r.load, "offered_rate": r.offered_rate}
        row.update({col: _pick(r, path) for col, (path, _) in LOAD_COLUMNS.items()})
        row["saturated"] = r.saturation or ""
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class SecurityRun:
    path: Path
    report: SecurityReport | None  # None when the file could not be read as one
    problem: str | None


def security_runs(results_dir: Path, limit: int = 50) -> list[SecurityRun]:
    """The newest security reports (results/security/*.json, from `evalharness security`), newest
    first; a file that is not one is listed with the reason."""
    folder = results_dir / SECURITY_FOLDER
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)[:limit]:
        try:
            out.append(SecurityRun(path, read_security_report(path), None))
        except SecurityReportError as exc:
            out.append(SecurityRun(path, None, str(exc)))
    return out


def findings_frame(report: SecurityReport) -> pd.DataFrame:
    return pd.DataFrame([{"check": f.check, "status": f.status, "severity": f.severity, "finding": f.title,
                          "evidence": f.evidence} for f in report.findings],
                        columns=["check", "status", "severity", "finding", "evidence"])


def rates_frame(report: SecurityReport) -> pd.DataFrame:
    return pd.DataFrame([{"check": r.check, "counted": r.name, "successes": r.successes, "n": r.n, "rate": r.rate,
                          "low": r.low, "high": r.high, "clustered by": r.clusters, "errors": r.errors}
                         for r in report.rates],
                        columns=["check", "counted", "successes", "n", "rate", "low", "high", "clustered by",
                                 "errors"])
