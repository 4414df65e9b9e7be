"""Apply scorers to saved samples, after generation (never inside a timed block)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from evalharness.judging import runtime_client
from evalharness.reports.schema import Sample, ScoreDetail
from evalharness.scorers import SCORERS, ModelClient, Score, Scorer, ScorerSetup, ScoringInput, safe_score
from evalharness.suite.schema import Case


class OpenScorers:
    """The scorers of one run, file or load test, each opened once on first use with the settings
    of the section it names (`Scorer.settings_section`) and closed by `close` (or `with`).

    `settings(section)` gives a section's settings or None (a suite: its attribute of that name);
    relative paths in them start at `base`."""

    def __init__(self, settings: Callable[[str], Any] | None = None, base: Path | None = None,
                 model_client: Callable[[Any], ModelClient] = runtime_client) -> None:
        self._settings = settings or (lambda section: None)
        self._base = base
        self._model_client = model_client
        self._open: dict[str, Scorer] = {}

    @classmethod
    def of_suite(cls, suite: Any, base: Path | None, **kw: Any) -> OpenScorers:
        return cls(lambda section: getattr(suite, section, None), base, **kw)

    def get(self, name: str) -> Scorer:
        if name not in self._open:
            scorer = SCORERS.get(name)
            section = scorer.settings_section
            setup = ScorerSetup(settings=self._settings(section) if section else None, base=self._base,
                                model_client=self._model_client)
            self._open[name] = scorer.open(setup)
        return self._open[name]

    def close(self) -> None:
        for scorer in self._open.values():
            scorer.close()
        self._open.clear()

    def __enter__(self) -> OpenScorers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def case_question(case: Case) -> str:
    """What the user asked: the user turns of a chat case, or the raw prompt."""
    if case.messages is None:
        return case.prompt or ""
    return "\n".join(m.text for m in case.messages if m.role == "user")


def scoring_input(case: Case) -> ScoringInput:
    return ScoringInput(
        prompt=case_question(case), reference=case.reference, tags=case.tags, expect=case.expect,
        safety=case.safety, assertions=tuple(case.assertions or ()), languages=tuple(case.languages or ()),
        correct_answers=tuple(case.correct_answers or ()), incorrect_answers=tuple(case.incorrect_answers or ()),
        functions=tuple(case.functions or ()), expected_call=case.expected_call,
        expected_calls=tuple(case.expected_calls) if case.expected_calls is not None else None,
    )


def score_samples(
    samples: Iterable[Sample], cases: Mapping[str, Case], default_scorers: Sequence[str],
    tag_scorers: Mapping[str, Sequence[str]] | None = None, scorers: OpenScorers | None = None,
) -> list[Sample]:
    """Samples with `scores` and `score_details` filled for every successful generation."""
    out: list[Sample] = []
    for sample in samples:
        case = cases.get(sample.case_id)
        if not sample.success or sample.output is None or case is None:
            out.append(sample)
            continue
        scores, details = score_output(case, sample.output, default_scorers, tag_scorers, scorers)
        out.append(sample.model_copy(update={"scores": scores, "score_details": details}))
    return out


def scorer_names(case: Case, default_scorers: Sequence[str],
                 tag_scorers: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """The case's scorers (or the suite's), then its tags' scorers, then every scorer that a field
    the case fills always brings (`Scorer.always_for`: a case's `assertions` are always checked)."""
    names = list(case.scorers if case.scorers is not None else default_scorers)
    for tag in case.tags:
        names += [n for n in (tag_scorers or {}).get(tag, ()) if n not in names]
    for name in SCORERS.names():
        field = SCORERS.get(name).always_for
        if field is not None and getattr(case, field, None) and name not in names:
            names.append(name)
    return names


def score_output(case: Case, output: str, default_scorers: Sequence[str],
                 tag_scorers: Mapping[str, Sequence[str]] | None = None, scorers: OpenScorers | None = None,
                 ) -> tuple[dict[str, float | None], dict[str, ScoreDetail]]:
    """One answer to `case` under every scorer that applies: values and details by scorer name.
    Scorers come from `scorers` (opened with their settings), else as registered."""
    inp = scoring_input(case)
    scores: dict[str, float | None] = {}
    details: dict[str, ScoreDetail] = {}
    for name in scorer_names(case, default_scorers, tag_scorers):
        result = safe_score(scorers.get(name) if scorers is not None else name, inp, output)
        scores[name] = result.value
        details[name] = detail(result)
    return scores, details


def detail(result: Score) -> ScoreDetail:
    """What a report keeps of a score besides its value (a judge's raw answer and identity too)."""
    return ScoreDetail(label=result.label, reason=result.reason, decided_by=result.decided_by,
                       raw=getattr(result, "raw", None), judge=getattr(result, "judge", None))
