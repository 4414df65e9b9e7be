"""The repository needs nothing beside it: no tracked file points outside the clone."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = "../" + "shared"  # split so this file does not match itself


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / p for p in out.stdout.decode().split("\0") if p]


def test_no_tracked_file_refers_to_a_sibling_shared_folder():
    offenders = []
    for path in tracked_files():
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if OUTSIDE in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_suite_case_files_live_inside_the_repository():
    from evalharness.suite import load_suite

    for suite_path in sorted((ROOT / "suites").glob("*.yaml")):
        loaded = load_suite(suite_path)
        for cf in loaded.suite.case_files:
            target = (suite_path.parent / cf.path).resolve()
            assert ROOT in target.parents, f"{suite_path.name}: {cf.path} is outside the repository"
            assert target.is_file(), f"{suite_path.name}: {cf.path} is missing"


def test_vendored_xstest_carries_its_licence_and_citation():
    folder = ROOT / "suites" / "data" / "xstest"
    assert "Attribution 4.0 International" in (folder / "LICENSE").read_text(encoding="utf-8")
    assert "Röttger" in (folder / "README.md").read_text(encoding="utf-8")
