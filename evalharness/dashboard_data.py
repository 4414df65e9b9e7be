"""Tables the dashboard shows, built from reports through the report reader (pure, testable)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evalharness import metrics
from evalharness.reports.monitor import MonitorAlert, MonitorStop, ProbeRecord, read_series
from evalharness.reports.reader import FileKey, ReportError, load_report, read_samples_log, report_files
from evalharness.reports.schema import Report

__all__ = ["COST_COLUMNS", "TREND_METRICS", "FileKey", "comparison_frame", "report_files"]

# cost axes of the Pareto chart: label -> comparison-table column
COST_COLUMNS = {m.label: m.name for m in metrics.shown_in("cost")}
DEFAULT_COST = metrics.BY_NAME["latency_p95"].label  # tail latency: what SLOs are written on
TREND_METRICS = tuple(m.name for m in metrics.shown_in("trend"))


_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:")


def plain(text: str) -> str:
    """Text that Streamlit's Markdown shows literally: no links, images, HTML or emphasis."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in text)


def read_one(key: FileKey) -> tuple[Report | None, str | None]:
    try:
        return load_report(key.path), None
    except ReportError as exc:
        return None, str(exc)


def runs_frame(reports: Sequence[Report]) -> pd.DataFrame:
    rows = []
    for r in reports:
        sev = {"info": 0, "warning": 0, "critical": 0}
        for a in r.alerts:
            sev[a.severity] += 1
        rows.append({
            "run_id": r.run_id, "suite": r.suite.name, "started_at": r.started_at,
            "status": r.status, "variants": len(r.variants), "samples": len(r.samples),
            "alerts_critical": sev["critical"], "alerts_warning": sev["warning"],
            "alerts_info": sev["info"],
        })
    df = pd.DataFrame(rows, columns=["run_id", "suite", "started_at", "status", "variants", "samples",
                                     "alerts_critical", "alerts_warning", "alerts_info"])
    return df.sort_values(["started_at", "run_id"], ascending=False, kind="stable").reset_index(drop=True)


def comparison_frame(reports: Sequence[Report]) -> pd.DataFrame:
    """One row per variant (of one or several runs); a column per dashboard metric."""
    rows = []
    many = len(reports) > 1
    shown = metrics.shown_in("dashboard")
    for r in reports:
        for v in r.variants:
            row = {"variant": f"{r.run_id} · {v.id}" if many else v.id, "run_id": r.run_id, "status": v.status}
            row.update({m.name: v.figure(m) for m in shown})
            row["synthetic"] = v.synthetic
            for name, value in v.scores.items():
                row[f"score_{name}"] = value
            rows.append(row)
    return pd.DataFrame(rows)


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
    rows = []
    for s in report.samples:
        row = {"variant": s.variant_id, "case": s.case_id, "repeat": s.repeat,
               "tags": ", ".join(s.tags), "prompt": s.prompt, "output": s.output,
               "latency_s": s.latency_s, "ttft_s": s.ttft_s,
               "decode_tokens_per_s": s.decode_tokens_per_s, "output_tokens": s.output_tokens,
               "success": s.success, "error": s.error}
        for name, value in s.scores.items():
            row[f"score_{name}"] = value
        rows.append(row)
    return pd.DataFrame(rows)


def alerts_frame(reports: Sequence[Report]) -> pd.DataFrame:
    rows = [{"run_id": r.run_id, "suite": r.suite.name, "started_at": r.started_at,
             "severity": a.severity, "rule": a.rule, "variant": a.variant_id, "metric": a.metric,
             "value": a.value, "threshold": a.threshold, "message": a.message}
            for r in reports for a in r.alerts]
    return pd.DataFrame(rows, columns=["run_id", "suite", "started_at", "severity", "rule", "variant",
                                       "metric", "value", "threshold", "message"])


def trend_frame(reports: Sequence[Report], suite: str, metric: str) -> pd.DataFrame:
    """One point per run x variant for a comparison-table column, with that run's alert count."""
    rows = []
    for r in reports:
        if r.suite.name != suite:
            continue
        table = comparison_frame([r])
        for _, row in table.iterrows():
            if metric not in row or pd.isna(row[metric]):
                continue
            n_alerts = sum(1 for a in r.alerts if a.variant_id == row["variant"])
            rows.append({"started_at": pd.Timestamp(r.started_at), "run_id": r.run_id,
                         "variant": row["variant"], "value": row[metric], "alerts": n_alerts})
    return pd.DataFrame(rows, columns=["started_at", "run_id", "variant", "value", "alerts"])


@dataclass(frozen=True)
class MonitorSeries:
    path: Path
    probes: pd.DataFrame  # ts (datetime), target, success, latency_s, ttft_s, ...
    open_alerts: pd.DataFrame  # alerts whose last event is fired/repeated
    stopped: bool


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
        out.append(MonitorSeries(path, frame, pd.DataFrame(open_), stopped))
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


def live_runs(results_dir: Path, reports: Sequence[Report]) -> list[LiveRun]:
    """Runs still writing: a samples log whose report is missing or says `running`."""
    status = {r.run_id: r.status for r in reports}
    out = []
    for log in sorted(results_dir.rglob("*.samples.jsonl")) if results_dir.is_dir() else []:
        run_id = log.name.removesuffix(".samples.jsonl")
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
