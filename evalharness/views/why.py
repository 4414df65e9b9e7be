"""Why a variant is chosen: the constraints, the choice, the runners-up, and for each rejected
variant the constraint it broke with its numbers; what the choice gives up against the best
variant on each other axis."""

from __future__ import annotations

import pandas as pd

from evalharness.select import Choice, Constraints, Selection

OBJECTIVE_FIELD = {"latency": "latency_p95_s", "memory": "memory_mb", "quality": "quality"}
UNITS = {"latency_p95_s": ("latency p95", "s", False), "memory_mb": ("memory", "MB", False),
         "quality": ("quality", "", True), "agreement": ("token agreement", "", True)}


def constraint_lines(c: Constraints) -> list[str]:
    out = []
    if c.max_memory_mb is not None:
        out.append(f"memory ≤ {c.max_memory_mb:g} MB")
    if c.max_latency_p95_s is not None:
        out.append(f"latency p95 ≤ {c.max_latency_p95_s:g} s")
    if c.min_agreement is not None:
        out.append(f"token agreement ≥ {c.min_agreement:g}")
    out += [f"{name} ≥ {floor:g}" for name, floor in c.min_scores.items()]
    return out or ["none"]


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:.0f}" if unit == "MB" else f"{value:.3g}"
    return f"{text} {unit}".strip()


def selection_frame(sel: Selection) -> pd.DataFrame:
    """A row per variant: verdict (chosen, runner-up N, rejected), its figures, and why."""
    rows = []

    def add(c: Choice, verdict: str, why: str) -> None:
        rows.append({"variant": c.variant.id, "verdict": verdict, "memory (MB)": c.memory_mb,
                     "latency p95 (s)": c.latency_p95_s, "quality": c.quality, "agreement": c.agreement,
                     "why": why})
    if sel.chosen is not None:
        add(sel.chosen, "chosen", f"best {sel.objective} of {1 + len(sel.runners_up)} meeting every constraint")
    for i, c in enumerate(sel.runners_up, 1):
        add(c, f"runner-up {i}", f"meets every constraint; {gap(sel.chosen, c, sel.objective)}")
    for v, reasons in sel.rejected:  # the figures select() judged them on
        add(sel.figures[v.id], "rejected", "; ".join(reasons))
    return pd.DataFrame(rows, columns=["variant", "verdict", "memory (MB)", "latency p95 (s)", "quality",
                                       "agreement", "why"])


def gap(chosen: Choice | None, other: Choice, objective: str) -> str:
    field = OBJECTIVE_FIELD[objective]
    name, unit, _ = UNITS[field]
    return f"{name} {_num(getattr(other, field), unit)} vs {_num(getattr(chosen, field), unit)}"


def given_up(sel: Selection) -> list[str]:
    """What the chosen variant costs on each other axis, against the best feasible variant there."""
    if sel.chosen is None:
        return []
    out = []
    feasible = [sel.chosen, *sel.runners_up]
    for field, (name, unit, higher) in UNITS.items():
        if field == OBJECTIVE_FIELD[sel.objective]:
            continue
        have = [c for c in feasible if getattr(c, field) is not None]
        mine = getattr(sel.chosen, field)
        if not have or mine is None:
            continue
        best = (max if higher else min)(have, key=lambda c: getattr(c, field))
        theirs = getattr(best, field)
        if best is sel.chosen or theirs == mine:
            out.append(f"{name}: {_num(mine, unit)}, the best of the variants that qualify")
        else:
            out.append(f"{name}: {_num(mine, unit)} where {best.variant.id} has {_num(theirs, unit)}")
    return out


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The selection table with its figures as text ("—" where not measured)."""
    out = frame.copy()
    units = {"memory (MB)": "MB", "latency p95 (s)": "", "quality": "", "agreement": ""}
    for col, unit in units.items():
        out[col] = [_num(None if pd.isna(v) else float(v), unit).removesuffix(" MB") for v in frame[col]]
    return out
