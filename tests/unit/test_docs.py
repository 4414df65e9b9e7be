"""The README cannot rot: every `evalharness ...` command it shows parses with today's command
line (no renamed command or flag), every suite it names exists and validates, and every page it
links to is there."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from evalharness.commands.main import _parser, main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    found = []
    for raw in re.findall(r"`(?:\.venv/bin/)?evalharness\s+([^`]+)`", README):
        command = " ".join(raw.split())
        command = re.sub(r"\s*\[[^\]]*\]", "", command)  # optional parts: `run [SUITE]`
        command = re.sub(r"(\S+?)\\\|\S+", r"\1", command)  # alternatives: `F.md\|F.html` -> F.md
        command = command.replace("...", "").strip()
        found.append(command)
    return found


COMMANDS = _commands()


def test_the_readme_shows_commands():
    assert len(COMMANDS) >= 20 and any(c.startswith("run ") for c in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_readme_command_parses(command):
    argv = shlex.split(command)
    if argv == ["--verbose"]:
        argv += ["validate", "suites/default.yaml"]
    try:
        _parser().parse_args(argv)
    except SystemExit as exc:
        pytest.fail(f"README command `evalharness {command}` does not parse (exit {exc.code})")


def test_every_suite_the_readme_names_exists_and_validates(capsys):
    suites = sorted(set(re.findall(r"suites/[\w.-]+\.yaml", README)))
    assert "suites/quantization-matrix.yaml" in suites and "suites/tasks.yaml" in suites
    for suite in suites:
        assert (ROOT / suite).is_file(), suite
    assert main(["validate", *(str(ROOT / s) for s in suites)]) == 0, capsys.readouterr()


def test_every_page_the_readme_links_to_is_there():
    links = re.findall(r"\]\(([^)#]+)\)", README)
    assert any(link.startswith("docs/") for link in links)
    for link in links:
        if "://" not in link:
            assert (ROOT / link).exists(), link


def test_the_readme_is_a_landing_page():
    assert len(README.splitlines()) <= 250
