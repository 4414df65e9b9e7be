"""An identifier with control characters, backticks, pipes and HTML, arriving in a hand-edited
report, reaches no terminal, XML, Markdown or chart as markup or escape sequence (issue 29)."""

import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from evalharness.compare import output
from evalharness.compare.engine import compare_reports
from evalharness.console import SafeConsole
from evalharness.reports import load_report

LEGACY = Path(__file__).resolve().parents[2] / "fixtures" / "legacy"
EVIL = "tiny\u0000ev`il\n# Head <b>x</b>|\u001b]0;T\u0007\u202e"


@pytest.fixture
def evil_report(tmp_path):
    text = (LEGACY / "report-517a120.json").read_text()
    text = text.replace("tiny-random-gemma3/bf16/cpu", json.dumps(EVIL)[1:-1] + "/bf16/cpu")
    path = tmp_path / "report.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize("suffix", [".md", ".html"])
def test_summary_writes_a_page_for_a_nul_in_a_variant_id(evil_report, tmp_path, suffix):
    """4401442: vl-convert panicked on the NUL and aborted the process (exit 134, no output)."""
    out = tmp_path / f"s{suffix}"
    done = subprocess.run([sys.executable, "-m", "evalharness", "summary", str(evil_report), "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    page = out.read_text()
    assert "\x00" not in page and "\x1b" not in page
    assert (tmp_path / "s.svg").exists() or "<svg" in page  # the chart was drawn (HTML: inline)
    if suffix == ".md":  # HTML in Markdown only inside code spans, where it is literal text
        assert not any(line.startswith("# Head") for line in page.splitlines())
        assert all("`" in line for line in page.splitlines() if "<b>x</b>" in line)
    else:
        assert "<b>x</b>" not in page
        pre = page.split("<pre>")[1].split("</pre>")[0]  # the comparison keeps its lines
        assert pre.count("\n") > 5 and "\\n\\n" not in pre


def test_the_comparison_markdown_and_junit_hold_the_id_as_text(evil_report):
    r = load_report(evil_report)
    cmp = compare_reports(r, r)
    md = output.markdown(cmp)
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert rows and all(line.count(" | ") == 6 for line in rows)  # no cell broken by the id's pipe
    assert not any(line.startswith("#") and "Head" in line for line in md.splitlines())
    assert "\x00" not in md and "\x1b" not in md
    root = ET.fromstring(output.junit(cmp))  # parses: XML 1.0 holds no control characters
    assert any("ev`il" in c.get("classname") for c in root.iter("testcase"))


def test_the_terminal_gets_no_control_characters_from_text_but_keeps_styles():
    buf = io.StringIO()
    c = SafeConsole(file=buf, force_terminal=True, color_system="standard", width=200)
    c.print(f"[bold]variant[/bold] {EVIL}")
    shown = buf.getvalue()
    assert "\x00" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "\x1b]" not in shown  # no OSC (window title) sequence
    assert "\x1b[1m" in shown  # rich's own bold still reaches the terminal
    assert "\\x1b" in shown  # shown as an escape
