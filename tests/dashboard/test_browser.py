"""The dashboard in a real headless Chromium: tables, charts, the divergence view, and untrusted
text shown as text; on fixture reports and on the embedded Gemma's real reports."""

import os
import shutil
from pathlib import Path

import pytest

from dashboards.browser import CHROMIUM, DRIVER, body_text, chart_texts, chromium, open_tab, served, wait_for
from tests.dashboard.conftest import XSS_SCRIPT

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
)
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "example-results"


def table_rows(driver) -> list[list[str]]:
    """The comparison table (an HTML table) as text, header row first."""
    return driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=stTable] table')].filter("
        "t => t.innerText.includes('variant id')).flatMap(t => [...t.querySelectorAll('tr')]).map("
        "r => [...r.children].map(c => c.textContent))")


def test_dashboard_renders_in_chromium(results_dir, tmp_path):
    from selenium.webdriver.common.by import By

    with served(results_dir) as url, chromium(tmp_path / "profile") as browser:
        browser.get(url)
        open_tab(browser, "Comparison")
        wait_for(lambda: "alpha/bf16/cpu" in body_text(browser), "the comparison table")
        wait_for(lambda: len(chart_texts(browser)) >= 3, "the charts")
        rows = table_rows(browser)
        assert rows[0][1] == "status" and "latency p95 (s)" in rows[0]
        assert [r[0] for r in rows[1:]] == ["fp32", "bf16"]
        browser.save_screenshot(str(tmp_path / "dashboard-comparison.png"))

        open_tab(browser, "Samples")
        wait_for(lambda: XSS_SCRIPT in body_text(browser), "the untrusted output shown as text")
        # shown literally, never run: no injected element exists and the title is untouched
        assert browser.title == "evalharness"
        assert not browser.execute_script(
            "return [...document.scripts].some(s => s.textContent.includes('PWNED'))")
        assert not browser.find_elements(By.CSS_SELECTOR, "img[src='x']")
        shot = tmp_path / "dashboard-samples.png"
        browser.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
    keep = os.environ.get("EVALHARNESS_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / "dashboard-comparison.png", keep)


def test_real_quantization_matrix_reads_at_a_glance(tmp_path):
    """The embedded Gemma's ten-scheme matrix (a real report): fidelity beside speed, no "None",
    every chart point named by its quantization, the divergence view and the selector's reasons."""
    results = tmp_path / "results"
    shutil.copytree(EXAMPLES / "quantization-matrix", results / "quantization-matrix")
    schemes = {"fp32", "bf16", "fp16", "int8-dynamic", "int8-dynamic-head", "torchao-int8wo", "torchao-int8da",
               "quanto-int8", "bnb-int8", "bnb-nf4", "gguf-native"}
    with served(results) as url, chromium(tmp_path / "profile", height=3000) as browser:
        browser.get(url)
        open_tab(browser, "Comparison")
        wait_for(lambda: len(chart_texts(browser)) >= 3, "the charts", 120)
        rows = table_rows(browser)
        head, body = rows[0], rows[1:]
        for col in ("agreement", "first divergence (tokens)", "KL (nats)", "decode (tok/s)", "TTFT p95 (s)",
                    "footprint (MB)", "peak RSS (MB)", "roofline"):
            assert col in head, col
        assert {r[0] for r in body} == schemes
        cells = [c for r in body for c in r]
        assert "None" not in cells and "nan" not in cells and "" not in cells
        agreement = {r[0]: r[head.index("agreement")] for r in body}
        assert agreement["fp32"] == "ref" and agreement["fp16"] == "0.00"  # fp16 here: empty answers
        assert {r[0]: r[head.index("KL (nats)")] for r in body}["gguf-native"] == "—"  # no log-probs
        tradeoff = [texts for texts in chart_texts(browser) if "non-dominated" in texts]
        assert len(tradeoff) == 2  # agreement vs latency and vs memory
        for texts in tradeoff:
            assert schemes <= set(texts), schemes - set(texts)
            assert "agreement" in texts
        box = next(texts for texts in chart_texts(browser) if "Latency per sample" in texts)
        assert schemes <= set(box)  # the axis names the quantization, not the common prefix
        text = body_text(browser)
        assert "chosen: gemma3-270m/gguf-native/cpu" in text and "token agreement: 0.578 where" in text

        open_tab(browser, "Samples")
        wait_for(lambda: "first divergence at token" in body_text(browser), "the divergence view", 120)
        outlined = browser.execute_script(
            "return [...document.querySelectorAll('[data-testid=stTable] td')].filter("
            "c => getComputedStyle(c).borderTopWidth === '2px').map(c => c.textContent)")
        assert len(outlined) == 2 and outlined[0] != outlined[1]  # the first differing pair of tokens
