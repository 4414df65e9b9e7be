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
