"""Pinned answers: per variant, per case, the answer the canaries are compared with.

From a run report (`--pin RUN.json`: a local run of the same cases, greedy, or a run against
endpoints serving known variants) or from the endpoint's own first answer to each case
(`--pin-first`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FIRST_WINDOW = "first window"


@dataclass
class Pins:
    answers: dict[str, dict[str, str]]  # variant -> case id -> pinned answer
    source: str
    unstable: dict[str, list[str]] = field(default_factory=dict)  # variant -> cases whose repeats differed
    learn: bool = False  # --pin-first: the endpoint's first answer to a case becomes its pin
    max_tokens: int | None = None  # the pinned run's max_new_tokens: canaries ask for as many

    @property
    def variants(self) -> list[str]:
        return list(self.answers)

    def cases(self) -> set[str]:
        """The cases every variant has a pin for (the only ones a match can use)."""
        sets = [set(a) for a in self.answers.values()]
        return set.intersection(*sets) if sets else set()

    def learned(self, case_id: str, answer: str) -> bool:
        """In --pin-first mode, pin the endpoint's first answer to a case; True when it did."""
        if not self.learn or case_id in self.answers[FIRST_WINDOW]:
            return False
        self.answers[FIRST_WINDOW][case_id] = answer
        return True


def first_window() -> Pins:
    return Pins({FIRST_WINDOW: {}}, "the endpoint's first answer to each case", learn=True)


def from_reports(paths: list[Path], case_ids: set[str]) -> Pins:
    """The variants of several runs (a local run of some variants, a run against endpoints
    serving others). ValueError when two runs hold the same variant or asked for different
    numbers of tokens."""
    pins = [from_report(p, case_ids) for p in paths]
    answers: dict[str, dict[str, str]] = {}
    for p in pins:
        for variant, by_case in p.answers.items():
            if variant in answers:
                raise ValueError(f"--pin: variant {variant} is in more than one of the runs; pin it once")
            answers[variant] = by_case
    limits = {p.max_tokens for p in pins}
    if len(limits) > 1:
        raise ValueError(f"--pin: the runs generated different numbers of tokens "
                         f"({', '.join(f'{p.source}: {p.max_tokens}' for p in pins)}); canaries need one")
    unstable = {v: cases for p in pins for v, cases in p.unstable.items()}
    return Pins(answers, ", ".join(p.source for p in pins), unstable, max_tokens=limits.pop())


def from_report(path: Path, case_ids: set[str]) -> Pins:
    """Every variant's first successful answer to each of `case_ids` in a run report. ValueError
    names the file and what is missing: no variant answered any of these cases."""
    from evalharness.reports import ReportError, load_report

    try:
        report = load_report(path)
    except ReportError as exc:
        raise ValueError(f"--pin {path}: {exc}") from exc
    answers: dict[str, dict[str, str]] = {}
    seen: dict[tuple[str, str], set[str]] = {}
    for s in sorted(report.samples, key=lambda s: s.repeat):
        if not s.success or s.output is None or s.case_id not in case_ids:
            continue
        answers.setdefault(s.variant_id, {}).setdefault(s.case_id, s.output)
        seen.setdefault((s.variant_id, s.case_id), set()).add(s.output)
    if not answers:
        raise ValueError(f"--pin {path}: no variant of this run answered any case of the suite "
                         f"({len(case_ids)} cases: {', '.join(sorted(case_ids)[:5])}...); pin a run of the same cases")
    unstable: dict[str, list[str]] = {}
    for (variant, case), outputs in sorted(seen.items()):
        if len(outputs) > 1:
            unstable.setdefault(variant, []).append(case)
    limit = report.config.generation.get("max_new_tokens")
    return Pins(answers, str(path), unstable, max_tokens=int(limit) if limit else None)
