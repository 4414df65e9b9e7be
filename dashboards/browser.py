"""The dashboard served by Streamlit and driven by a real headless Chromium (selenium): shared by
the browser tests and `dashboards/screenshots.py`."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from evalharness.commands.main import dashboard_command

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
FLAGS = ("--headless --no-sandbox --disable-gpu --disable-background-networking "
         "--disable-component-update --disable-sync --no-first-run --hide-scrollbars").split()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(results_dir: Path, timeout_s: float = 60) -> Iterator[str]:
    """`evalharness dashboard` over a results folder; yields its URL, stops it afterwards."""
    port = free_port()
    proc = subprocess.Popen(dashboard_command(results_dir, port), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    proc.kill()
                    raise AssertionError(f"the dashboard did not start: {proc.communicate()[0]!r}") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextlib.contextmanager
def chromium(profile: Path, width: int = 1400, height: int = 1700) -> Iterator:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    for flag in (*FLAGS, f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    opts.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(predicate: Callable[[], object], what: str, timeout: float = 60) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def body_text(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text


def open_tab(driver, name: str) -> None:
    from selenium.webdriver.common.by import By

    wait_for(lambda: "runs under" in body_text(driver), "the app to render")
    tabs = {t.text: t for t in driver.find_elements(By.CSS_SELECTOR, "[role=tab]")}
    tabs[name].click()


def chart_texts(driver) -> list[list[str]]:
    """The text marks of each chart on the page (charts are SVG: labels, axes, titles)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('.vega-embed svg')].map("
        "svg => [...svg.querySelectorAll('text')].map(t => t.textContent))")


def grid_texts(driver) -> list[str]:
    """Every cell and header of the data grids on the page (their accessible tables)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=stDataFrame] table th, "
        "[data-testid=stDataFrame] table td')].map(c => c.textContent)")
