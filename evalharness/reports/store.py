"""The results store: an SQLite index of the reports under a results folder, so the dashboard,
trends, compare and select can ask for runs, variants and alerts without parsing every report.

The JSON reports stay the source of truth: the index is derived from them, kept in step
incrementally (`refresh` reads only the reports whose size or modification time changed, and
drops the ones that are gone) and can be deleted at any time. It lives at
`<results>/.index.sqlite`, or in the user's cache folder when the results folder is read-only.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalharness import metrics
from evalharness.reports.reader import FileKey, ReportError, load_report, report_files
from evalharness.reports.schema import Report

INDEX_NAME = ".index.sqlite"
INDEX_VERSION = 2  # a different version: the index is rebuilt from the reports (2: FIELD.STAT metric names)

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, mtime_ns INTEGER, size INTEGER, run_id TEXT, error TEXT);
CREATE TABLE IF NOT EXISTS runs (run_id TEXT, path TEXT, suite TEXT, started_at TEXT, finished_at TEXT,
    status TEXT, variants INTEGER, samples INTEGER, alerts_critical INTEGER, alerts_warning INTEGER,
    alerts_info INTEGER);
CREATE TABLE IF NOT EXISTS variants (run_id TEXT, path TEXT, suite TEXT, started_at TEXT, variant_id TEXT,
    status TEXT, synthetic INTEGER, alerts INTEGER, figures TEXT, scores TEXT);
CREATE TABLE IF NOT EXISTS alerts (run_id TEXT, path TEXT, suite TEXT, started_at TEXT, severity TEXT,
    rule TEXT, variant TEXT, metric TEXT, value REAL, threshold REAL, message TEXT);
CREATE INDEX IF NOT EXISTS runs_path ON runs(path);
CREATE INDEX IF NOT EXISTS variants_path ON variants(path);
CREATE INDEX IF NOT EXISTS variants_run ON variants(run_id);
CREATE INDEX IF NOT EXISTS runs_suite ON runs(suite, started_at);
CREATE INDEX IF NOT EXISTS alerts_path ON alerts(path);
"""


@dataclass(frozen=True)
class Refresh:
    added: int
    removed: int
    unreadable: int
    seconds: float

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def index_path(results_dir: Path) -> Path:
    """`<results>/.index.sqlite` where the folder is writable, else a file in the user's cache."""
    results_dir = Path(results_dir)
    if os.access(results_dir, os.W_OK):
        return results_dir / INDEX_NAME
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "evalharness"
    digest = hashlib.sha256(str(results_dir.resolve()).encode()).hexdigest()[:16]
    return cache / f"index-{digest}.sqlite"


def _figures(report: Report) -> Iterable[tuple[Any, ...]]:
    shown = metrics.shown_in("dashboard") + tuple(m for m in metrics.shown_in("trend")
                                                   if m not in metrics.shown_in("dashboard"))
    for v in report.variants:
        figures = {m.name: v.figure(m) for m in shown}
        alerts = sum(1 for a in report.alerts if a.variant_id == v.id)
        yield (v.id, v.status, int(v.synthetic), alerts, json.dumps(figures), json.dumps(v.scores))


class ResultsStore:
    def __init__(self, results_dir: Path, path: Path | None = None) -> None:
        self.root = Path(results_dir).resolve()  # paths in the index are absolute
        self.path = path or index_path(self.root)
        self._seen: tuple[Any, ...] | None = None  # the listing and index file the index last matched

    # -- keeping it in step ---------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30)
        version = None
        try:
            row = con.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            version = row[0] if row else None
        except sqlite3.DatabaseError:
            pass
        if version != str(INDEX_VERSION):
            con.close()
            self.path.unlink(missing_ok=True)  # another version or a damaged file: rebuild it
            con = sqlite3.connect(self.path, timeout=30)
            con.executescript(_TABLES)
            con.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(INDEX_VERSION),))
            con.execute("INSERT OR REPLACE INTO meta VALUES ('generation', '0')")
            con.commit()
        return con

    def refresh(self, files: Sequence[FileKey] | None = None) -> Refresh:
        """Read the reports that are new or changed since the last refresh; forget removed ones."""
        started = time.perf_counter()
        files = report_files(self.root) if files is None else files
        listing = tuple(files)
        if self._seen is not None and self._seen == (listing, self._index_stat()):
            return Refresh(0, 0, 0, time.perf_counter() - started)  # the same files, the same index
        with self._connect() as con:
            known = {p: (m, s) for p, m, s in con.execute("SELECT path, mtime_ns, size FROM files")}
            current = {k.path for k in files}
            stale = [k for k in files if known.get(k.path) != (k.mtime_ns, k.size)]
            gone = [p for p in known if p not in current]
            unreadable = 0
            for path in gone + [k.path for k in stale]:
                self._forget(con, path)
            for key in stale:
                unreadable += not self._add(con, key)
            if stale or gone:
                con.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
        con.close()
        self._seen = (listing, self._index_stat())
        return Refresh(len(stale), len(gone), unreadable, time.perf_counter() - started)

    def _index_stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def add(self, path: Path, report: Report | None = None) -> None:
        """Index this report file now (a run that has just written it passes the report, which is
        then not read back from disk)."""
        path = Path(path).resolve()
        st = path.stat()
        with self._connect() as con:
            self._forget(con, str(path))
            self._add(con, FileKey(str(path), st.st_mtime_ns, st.st_size), report)
            con.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
        con.close()

    def _forget(self, con: sqlite3.Connection, path: str) -> None:
        for table in ("files", "runs", "variants", "alerts"):
            con.execute(f"DELETE FROM {table} WHERE path = ?", (path,))

    def _add(self, con: sqlite3.Connection, key: FileKey, report: Report | None = None) -> bool:
        try:
            report = report if report is not None else load_report(key.path)
        except ReportError as exc:
            con.execute("INSERT INTO files VALUES (?, ?, ?, NULL, ?)", (key.path, key.mtime_ns, key.size, str(exc)))
            return False
        r = report
        sev = {"info": 0, "warning": 0, "critical": 0}
        for a in r.alerts:
            sev[a.severity] += 1
        head = (r.run_id, key.path, r.suite.name, r.started_at)
        con.execute("INSERT INTO files VALUES (?, ?, ?, ?, NULL)", (key.path, key.mtime_ns, key.size, r.run_id))
        con.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*head, r.finished_at, r.status, len(r.variants), len(r.samples), sev["critical"],
                     sev["warning"], sev["info"]))
        con.executemany("INSERT INTO variants VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [(*head, *row) for row in _figures(r)])
        con.executemany("INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [(*head, a.severity, a.rule, a.variant_id, a.metric, a.value, a.threshold, a.message)
                         for a in r.alerts])
        return True

    # -- asking it ------------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        con = self._connect()
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def generation(self) -> int:
        return int(self.query("SELECT value FROM meta WHERE key = 'generation'")[0][0])

    def problems(self) -> list[str]:
        return [e for (e,) in self.query("SELECT error FROM files WHERE error IS NOT NULL ORDER BY path")]

    def path_of(self, run_id: str) -> str | None:
        rows = self.query("SELECT path FROM runs WHERE run_id = ? ORDER BY path LIMIT 1", (run_id,))
        return rows[0][0] if rows else None
