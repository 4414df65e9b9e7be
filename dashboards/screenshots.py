"""Screenshots of the dashboard for the README, taken in a real headless Chromium over real
reports (default: the embedded Gemma's reports kept in docs/example-results).

    .venv/bin/python dashboards/screenshots.py [--reports DIR] [--out docs]

Each run folder is served on its own (the Comparison tab opens the newest run) and cut into
docs/dashboard-<suite>-{table,tradeoffs,selector,divergence}.png.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboards.browser import body_text, chart_texts, chromium, open_tab, served, wait_for  # noqa: E402

MIN_AGREEMENT = 0.8  # the selector is shown with this constraint, so its reasons show
# (name, the text that starts the part, the text just after it) on a tab
PARTS = {"Comparison": [("table", "Runs to compare", "Quality or fidelity (up)"),
                        ("tradeoffs", "Quality or fidelity (up)", "Latency per sample"),
                        ("selector", "Which variant to ship", "Run summary (HTML)")],
         "Samples": [("divergence", "Where answers diverge", None)]}


def set_number(driver, label: str, value: float) -> None:
    """Type a value into the number input with this label, as a user would."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.CSS_SELECTOR, f"input[aria-label='{label}']")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(str(value), Keys.ENTER)


def top_of(driver, text: str) -> float | None:
    """The page y of the first element whose own text starts with `text`."""
    return driver.execute_script(
        "const t = arguments[0];"
        "const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);"
        "while (w.nextNode()) { if (w.currentNode.textContent.trim().startsWith(t)) {"
        "  const r = w.currentNode.parentElement.getBoundingClientRect(); return r.top + window.scrollY; } }"
        "return null;", text)


def cut(png: Path, out: Path, top: float, bottom: float) -> None:
    from PIL import Image

    with Image.open(png) as img:
        scale = 1.0
        box = (0, max(0, int(top * scale) - 12), img.width, min(img.height, int(bottom * scale) - 8))
        img.crop(box).save(out)


def shoot(results: Path, suite: str, out: Path, profile: Path) -> list[Path]:
    written = []
    with served(results) as url, chromium(profile, height=4200) as driver:
        driver.get(url)
        for tab, parts in PARTS.items():
            open_tab(driver, tab)
            wait_for(lambda parts=parts: all(top_of(driver, p[1]) is not None for p in parts), f"the {tab} tab", 120)
            if tab == "Comparison":
                wait_for(lambda: len(chart_texts(driver)) >= 3, "the charts", 120)
                set_number(driver, "min token agreement (0 = none)", MIN_AGREEMENT)
                wait_for(lambda: f"token agreement ≥ {MIN_AGREEMENT:g}" in body_text(driver), "the selector", 60)
            else:
                wait_for(lambda: "first divergence at token" in body_text(driver)
                         or "identical token for token" in body_text(driver), "the divergence view", 120)
            time.sleep(2)  # let the last frames settle
            full = profile / f"{tab}.png"
            driver.save_screenshot(str(full))
            for name, start, end in parts:
                target = out / f"dashboard-{suite}-{name}.png"
                bottom = top_of(driver, end) if end else driver.execute_script(
                    "return document.querySelector('[data-testid=stMainBlockContainer]')"
                    ".getBoundingClientRect().bottom + window.scrollY") - 40
                cut(full, target, top_of(driver, start), bottom)
                written.append(target)
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=Path, default=Path("docs/example-results"))
    ap.add_argument("--out", type=Path, default=Path("docs"))
    args = ap.parse_args()
    for suite_dir in sorted(p for p in args.reports.iterdir() if p.is_dir()):
        with tempfile.TemporaryDirectory() as tmp:
            results = Path(tmp) / "results"
            shutil.copytree(suite_dir, results / suite_dir.name)
            for path in shoot(results, suite_dir.name, args.out, Path(tmp) / "profile"):
                print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
