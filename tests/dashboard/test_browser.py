"""The dashboard in a real headless Chromium: table, chart, and untrusted text shown as text."""

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from evalharness.cli import dashboard_command
from tests.dashboard.conftest import XSS_SCRIPT

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
)
FLAGS = ("--headless --no-sandbox --disable-gpu --disable-background-networking "
         "--disable-component-update --disable-sync --no-first-run --window-size=1400,1700").split()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dashboard(results_dir):
    port = free_port()
    proc = subprocess.Popen(dashboard_command(results_dir, port), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise AssertionError(proc.communicate()[0])
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        opts.add_argument(flag)
    opts.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield driver
    driver.quit()


def wait_for(driver, predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_dashboard_renders_in_chromium(dashboard, browser, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(dashboard)
    body = lambda: browser.find_element(By.TAG_NAME, "body").text  # noqa: E731
    wait_for(browser, lambda: "runs under" in body(), "the app to render")
    tabs = {t.text: t for t in browser.find_elements(By.CSS_SELECTOR, "[role=tab]")}
    assert set(tabs) >= {"Runs", "Comparison", "Samples", "Live"}

    tabs["Comparison"].click()
    wait_for(browser, lambda: "alpha/bf16/cpu" in browser.page_source, "the comparison table")
    wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, ".vega-embed canvas, .vega-embed svg"),
             "a chart")
    source = browser.page_source
    assert "alpha/fp32/cpu" in source and "alpha/bf16/cpu" in source
    assert "latency p95 (s)" in source
    browser.save_screenshot(str(tmp_path / "dashboard-comparison.png"))

    tabs["Samples"].click()
    wait_for(browser, lambda: XSS_SCRIPT in body(), "the untrusted output shown as text")
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
