"""The attack and safe-prompt data vendored in `security/data/` (see its README for provenance and
licences), and deterministic samples of it: every k-th item, so a run is repeatable and a sample
spreads over the whole list (and over XSTest's prompt types)."""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

DATA = Path(__file__).resolve().parent / "data"
T = TypeVar("T")


def spread(items: list[T], n: int | None) -> list[T]:
    """`n` items taken evenly over `items` (all of them for None or n >= len)."""
    if n is None or n >= len(items):
        return list(items)
    return [items[i * len(items) // n] for i in range(max(n, 0))]


@cache
def promptinject() -> dict[str, Any]:
    return json.loads((DATA / "promptinject.json").read_text(encoding="utf-8"))


@cache
def extraction_attacks() -> dict[str, list[str]]:
    """System-prompt extraction requests by family, PromptInject's prompt-leaking ones included."""
    families = json.loads((DATA / "sysprompt_extraction.json").read_text(encoding="utf-8"))
    families["promptinject_leaking"] = list(promptinject()["prompt_leaking_attacks"].values())
    return families


@cache
def jailbreak_templates() -> dict[str, str]:
    data = json.loads((DATA / "jailbreak_templates.json").read_text(encoding="utf-8"))
    return {name: texts[0] for name, texts in data["templates"].items()}


@cache
def harmful_behaviours() -> list[str]:
    lines = (DATA / "harmbench_behaviours.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


@cache
def safe_prompts() -> list[tuple[str, str, str]]:
    """XSTest's 250 safe prompts as (id, type, prompt), ordered by type then id."""
    with (DATA / "xstest_safe_prompts.csv").open(encoding="utf-8", newline="") as f:
        rows = [(r["id"], r["type"], r["prompt"]) for r in csv.DictReader(f)]
    return sorted(rows, key=lambda r: (r[1], int(r[0])))
