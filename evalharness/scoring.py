"""Apply scorers to saved samples, after generation (never inside a timed block)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from evalharness.reports.schema import Sample, ScoreDetail
from evalharness.scorers import Score, ScoringInput, safe_score
from evalharness.scorers.judge import JudgeBinding
from evalharness.suite.schema import Case


def case_question(case: Case) -> str:
    """What the user asked: the user turns of a chat case, or the raw prompt."""
    if case.messages is None:
        return case.prompt or ""
    return "\n".join(m.text for m in case.messages if m.role == "user")


def scoring_input(case: Case, judge: JudgeBinding | None = None) -> ScoringInput:
    return ScoringInput(
        prompt=case_question(case),
        reference=case.reference,
        tags=case.tags,
        extra={"assertions": case.assertions, "languages": case.languages,
               "correct_answers": case.correct_answers, "incorrect_answers": case.incorrect_answers,
               "functions": case.functions, "expected_call": case.expected_call,
               "expected_calls": case.expected_calls, "judge": judge},
        expect=case.expect,
        safety=case.safety,
    )


def score_samples(
    samples: Iterable[Sample], cases: Mapping[str, Case], default_scorers: Sequence[str],
    tag_scorers: Mapping[str, Sequence[str]] | None = None, judge: JudgeBinding | None = None,
) -> list[Sample]:
    """Samples with `scores` and `score_details` filled for every successful generation."""
    out: list[Sample] = []
    for sample in samples:
        case = cases.get(sample.case_id)
        if not sample.success or sample.output is None or case is None:
            out.append(sample)
            continue
        scores, details = score_output(case, sample.output, default_scorers, tag_scorers, judge)
        out.append(sample.model_copy(update={"scores": scores, "score_details": details}))
    return out


def scorer_names(case: Case, default_scorers: Sequence[str],
                 tag_scorers: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """The case's scorers (or the suite's), then its tags' scorers, then `assertions` when the
    case has assertions (they are always checked)."""
    names = list(case.scorers if case.scorers is not None else default_scorers)
    for tag in case.tags:
        names += [n for n in (tag_scorers or {}).get(tag, ()) if n not in names]
    if case.assertions and "assertions" not in names:
        names.append("assertions")
    return names


def score_output(case: Case, output: str, default_scorers: Sequence[str],
                 tag_scorers: Mapping[str, Sequence[str]] | None = None, judge: JudgeBinding | None = None,
                 ) -> tuple[dict[str, float | None], dict[str, ScoreDetail]]:
    """One answer to `case` under every scorer that applies: values and details by scorer name."""
    inp = scoring_input(case, judge)
    scores: dict[str, float | None] = {}
    details: dict[str, ScoreDetail] = {}
    for name in scorer_names(case, default_scorers, tag_scorers):
        result = safe_score(name, inp, output)
        scores[name] = result.value
        details[name] = detail(result)
    return scores, details


def detail(result: Score) -> ScoreDetail:
    """What a report keeps of a score besides its value (a judge's raw answer and identity too)."""
    return ScoreDetail(label=result.label, reason=result.reason, decided_by=result.decided_by,
                       raw=getattr(result, "raw", None), judge=getattr(result, "judge", None))
