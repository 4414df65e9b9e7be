"""The results store: an index that agrees with the reports it is made from, kept in step
incrementally (only new or changed reports read), rebuilt when damaged, and never in the way."""

import json
import os
from pathlib import Path

import pytest

from evalharness import dashboard_data as dd
from evalharness import metrics
from evalharness.reports import load_report
from evalharness.reports.reader import report_files
from evalharness.reports.store import INDEX_NAME, ResultsStore, index_path
from tests.dashboard.conftest import make_results


@pytest.fixture
def results(tmp_path) -> Path:
    return make_results(tmp_path)


def _reports(results: Path):
    out = []
    for key in report_files(results):
        try:
            out.append(load_report(key.path))
        except Exception:
            pass
    return out


def test_the_index_agrees_with_the_reports(results):
    store = ResultsStore(results)
    first = store.refresh()
    reports = _reports(results)
    # the runs indexed their own reports as they finished; the refresh reads the three files that
    # are not reports (and remembers why)
    assert first.added == 3 and first.unreadable == 3
    assert store.query("SELECT COUNT(*) FROM runs")[0][0] == len(reports) == 3
    assert (results / INDEX_NAME).is_file()
    runs = dd.runs_from(store)
    newest = sorted(reports, key=lambda r: (r.started_at, r.run_id), reverse=True)
    assert list(runs["run_id"]) == [r.run_id for r in newest]
    assert list(runs["samples"]) == [len(r.samples) for r in newest]
    for r in reports:  # the figures the index keeps equal the report's own
        rows = store.query("SELECT variant_id, status, figures, scores FROM variants WHERE run_id = ?", (r.run_id,))
        assert [(vid, status) for vid, status, _, _ in rows] == [(v.id, v.status) for v in r.variants]
        for (_, _, figures, scores), v in zip(rows, r.variants):
            assert json.loads(figures) == {m.name: v.figure(m) for m in metrics.shown_in("dashboard")}
            assert json.loads(scores) == v.scores
    alerts, total = dd.alerts_from(store)
    assert total == sum(len(r.alerts) for r in reports) == len(alerts)
    trend, runs_of_suite = dd.trend_from(store, "suite-a", "latency_s.p95")
    assert runs_of_suite == 2 and len(trend) == 4 and trend["value"].notna().all()
    assert any("truncated.json: not valid JSON" in p for p in store.problems())


def test_refresh_reads_only_what_changed(results):
    store = ResultsStore(results)
    store.refresh()
    generation = store.generation()
    unchanged = store.refresh()
    assert (unchanged.added, unchanged.removed) == (0, 0) and store.generation() == generation
    path = results / "suite-a" / "20261120-100000-0000.json"
    report = load_report(path)
    path.write_text(report.model_copy(update={"status": "partial"}).model_dump_json())
    os.utime(path, ns=(1, 1))  # a different mtime even on coarse clocks
    changed = store.refresh()
    assert (changed.added, changed.removed) == (1, 0) and store.generation() == generation + 1
    assert dict(store.query("SELECT run_id, status FROM runs"))["20261120-100000-0000"] == "partial"
    path.unlink()
    gone = store.refresh()
    assert gone.removed == 1 and "20261120-100000-0000" not in set(dd.runs_from(store)["run_id"])
    assert store.path_of("20261121-100000-0001").endswith("20261121-100000-0001.json")


def test_a_damaged_or_older_index_is_rebuilt(results):
    store = ResultsStore(results)
    store.refresh()
    (results / INDEX_NAME).write_bytes(b"not a database at all")
    assert store.refresh().added > 0 and len(dd.runs_from(store)) == 3
    import sqlite3

    with sqlite3.connect(results / INDEX_NAME) as con:  # an index written by another version
        con.execute("UPDATE meta SET value = '0' WHERE key = 'version'")
    con.close()
    assert ResultsStore(results).refresh().added > 0


def test_a_read_only_results_folder_keeps_its_index_in_the_cache(results, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    path = index_path(results)
    assert path.parent == tmp_path / "cache" / "evalharness" and path.name.startswith("index-")


def test_add_indexes_a_new_report_at_once(results, tmp_path):
    store = ResultsStore(results)
    store.refresh()
    source = results / "suite-a" / "20261120-100000-0000.json"
    copy = results / "suite-a" / "20261130-100000-0009.json"
    copy.write_text(load_report(source).model_copy(update={"run_id": "20261130-100000-0009"}).model_dump_json())
    store.add(copy)
    assert "20261130-100000-0009" in set(dd.runs_from(store)["run_id"])
    assert store.refresh().added == 0  # already indexed with this size and mtime


def test_a_run_indexes_its_report_and_the_index_command_catches_up(write_suite, tmp_path, capsys):
    from evalharness.commands.main import main
    from evalharness.runner import Runner, RunOptions
    from evalharness.suite import load_suite
    from tests.unit.test_runner import SUITE, Factory

    out = tmp_path / "results"
    Runner(load_suite(write_suite(SUITE)), RunOptions(output_dir=out, isolation="none"),
           factory=Factory()).run(run_id="r1")
    store = ResultsStore(out)
    assert store.path_of("r1") is not None  # indexed by the run itself, no refresh yet
    make_results(tmp_path)  # more reports copied in by hand
    assert main(["index", "--results-dir", str(out)]) == 0
    said = capsys.readouterr().out
    assert "index: 4 runs; 3 report(s) read, 0 removed, 3 unreadable" in said and "truncated.json" in said
    assert main(["index", "--results-dir", str(tmp_path / "nowhere")]) == 2
