"""A suite's `judge:` rubric, when it is not a built-in one (scorers/judge.py has those)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from evalharness.scorers.judge import RUBRICS, Rubric, Verdict


class VerdictSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    score: float = Field(ge=0, le=1, description="the score this verdict gives (1 = the good / yes end)")
    label: str = Field(min_length=1, description="the label it gives, e.g. harmful-compliance")


class RubricSpec(BaseModel):
    """A rubric of the suite's own: a template with {prompt} and {answer}, and its verdicts."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(min_length=1, description="names the rubric in reports and the verdict cache")
    template: str = Field(description="the text the judge reads; {prompt} and {answer} are filled in")
    verdicts: dict[str, VerdictSpec] = Field(min_length=2, description="the judge's first word -> score")

    @field_validator("template")
    @classmethod
    def _placeholders(cls, v: str) -> str:
        missing = [p for p in ("{prompt}", "{answer}") if p not in v]
        if missing:
            raise ValueError(f"the template has no {missing[0]} placeholder")
        return v

    @field_validator("verdicts")
    @classmethod
    def _single_words(cls, v: dict[str, VerdictSpec]) -> dict[str, VerdictSpec]:
        for word in v:
            if not word.isalnum():
                raise ValueError(f"verdict {word!r} must be one word of letters or digits")
        return {w.lower(): s for w, s in v.items()}

    def rubric(self) -> Rubric:
        return Rubric(self.name, self.template, {w: Verdict(s.score, s.label) for w, s in self.verdicts.items()})


def rubric_of(value: str | RubricSpec) -> Rubric:
    if isinstance(value, RubricSpec):
        return value.rubric()
    return RUBRICS[value]


def builtin_rubric(v: str | RubricSpec) -> str | RubricSpec:
    if isinstance(v, str) and v not in RUBRICS:
        raise ValueError(f"unknown rubric {v!r}: use one of {', '.join(RUBRICS)} or give "
                         "{name, template, verdicts}")
    return v
