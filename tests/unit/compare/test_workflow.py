from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def test_gate_workflow_runs_suite_gates_and_uploads():
    wf = yaml.safe_load((ROOT / ".github/workflows/evalharness-gate.yml").read_text())
    assert "pull_request" in wf[True]  # YAML 1.1 reads the `on` key as True
    steps = wf["jobs"]["gate"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "evalharness run suites/smoke-tiny.yaml" in runs
    assert "--baseline results/baselines/smoke-tiny.json" in runs
    assert "--junit results/gate-junit.xml" in runs and "--markdown" in runs
    assert "GITHUB_STEP_SUMMARY" in runs
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert "results/gate-junit.xml" in upload["with"]["path"]
    assert (ROOT / "suites/smoke-tiny.yaml").is_file()


def test_gate_workflow_pins_a_multi_run_baseline_on_main_and_restores_it_for_pull_requests():
    wf = yaml.safe_load((ROOT / ".github/workflows/evalharness-gate.yml").read_text())
    assert {"push", "schedule"} <= set(wf[True])
    assert int(wf["env"]["BASELINE_RUNS"]) >= 3
    base = wf["jobs"]["baseline"]
    runs = "\n".join(s.get("run", "") for s in base["steps"])
    assert 'seq "$BASELINE_RUNS"' in runs and "evalharness baseline set $runs" in runs
    save = next(s for s in base["steps"] if s.get("uses", "").startswith("actions/cache/save"))
    restore = next(s for s in wf["jobs"]["gate"]["steps"] if s.get("uses", "").startswith("actions/cache/restore"))
    assert save["with"]["path"] == restore["with"]["path"] == "results/baselines/smoke-tiny.json"
    prefix = save["with"]["key"].split("${{ github.sha }}")[0]
    assert restore["with"]["restore-keys"] == prefix
    assert "pull_request" in wf["jobs"]["gate"]["if"] and "pull_request" in base["if"]
