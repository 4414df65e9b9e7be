"""The suite schema: strict, frozen pydantic models. Validation is pure (no I/O, no network)."""

from __future__ import annotations

import re
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, AliasChoices, Field, field_validator, model_validator

from evalharness.alerts import AlertRule, default_rules, fidelity_rules
from evalharness.lifecycle import SAFE_NAME
from evalharness.quantization import SCHEMES
from evalharness.scorers import SCORERS
from evalharness.scorers.judge import Rubric
from evalharness.suite.canary_spec import CanarySpec
from evalharness.suite.content import ImagePart, Message, TextPart  # noqa: F401 (re-exported)
from evalharness.suite.gate import GatePolicy
from evalharness.suite.judge import RubricSpec, builtin_rubric, rubric_of
from evalharness.suite.load_spec import LoadSpec
from evalharness.suite.model_spec import (  # noqa: F401 (re-exported)
    EndpointSpec,
    EndpointTimeouts,
    Identifier,
    ModelSpec,
    Strict,
)
from evalharness.suite.security_spec import SecuritySpec
from evalharness.suite.tasks import TaskSpec


def _quantization_name(v: str) -> str:
    if v not in SCHEMES:
        raise ValueError(SCHEMES.unknown_message(v))
    return v


def _scorer_name(v: str) -> str:
    if v not in SCORERS:
        raise ValueError(SCORERS.unknown_message(v))
    return v


QuantName = Annotated[str, AfterValidator(_quantization_name)]
ScorerName = Annotated[str, AfterValidator(_scorer_name)]


class GenerationParams(Strict):
    """How to decode. Greedy by default."""

    max_new_tokens: int = Field(default=32, ge=1, le=8192, description="tokens to generate at most")
    min_new_tokens: int = Field(default=0, ge=0, description="suppress EOS before this many tokens")
    do_sample: bool = Field(default=False, description="sample instead of greedy decoding")
    temperature: float = Field(default=1.0, gt=0, description="sampling temperature")
    top_p: float = Field(default=1.0, gt=0, le=1, description="nucleus sampling mass")
    seed: int = Field(default=0, ge=0, description="random seed set before every sample")

    @model_validator(mode="after")
    def _bounds(self) -> GenerationParams:
        if self.min_new_tokens > self.max_new_tokens:
            raise ValueError(
                f"min_new_tokens ({self.min_new_tokens}) must not exceed "
                f"max_new_tokens ({self.max_new_tokens})"
            )
        if not self.do_sample and (self.temperature != 1.0 or self.top_p != 1.0):
            raise ValueError("temperature/top_p only apply when do_sample is true")
        return self


class GenerationOverride(Strict):
    """Per-case changes to the suite's generation defaults."""

    max_new_tokens: int | None = Field(default=None, ge=1, le=8192, description="override")
    min_new_tokens: int | None = Field(default=None, ge=0, description="override")
    do_sample: bool | None = Field(default=None, description="override")
    temperature: float | None = Field(default=None, gt=0, description="override")
    top_p: float | None = Field(default=None, gt=0, le=1, description="override")
    seed: int | None = Field(default=None, ge=0, description="override")


class Assertion(Strict):
    """A deterministic check of the output; `negate` inverts it."""

    type: Literal["contains", "not_contains", "regex", "equals", "is_json", "max_chars"] = Field(
        description="what to check")
    value: str | int | None = Field(default=None, description="text, pattern or character limit")
    json_schema: dict | None = Field(default=None, alias="schema", description="for is_json")
    negate: bool = Field(default=False, description="pass when the check fails")
    ignore_case: bool = Field(default=False, description="case-insensitive text checks")

    @model_validator(mode="after")
    def _value_fits(self) -> Assertion:
        if self.type in ("contains", "not_contains", "equals", "regex") and not isinstance(self.value, str):
            raise ValueError(f"`{self.type}` needs a text `value`")
        if self.type == "max_chars" and not (isinstance(self.value, int) and self.value >= 0):
            raise ValueError("`max_chars` needs a non-negative integer `value`")
        if self.type == "regex":
            try:
                re.compile(str(self.value))
            except re.error as exc:
                raise ValueError(f"invalid regex {self.value!r}: {exc}") from None
        if self.json_schema is not None and self.type != "is_json":
            raise ValueError("`schema` only applies to `is_json`")
        return self


Expect = Literal["refuse", "comply"]
SafetyLabel = Literal["unsafe", "safe"]
CASE_LABELS: dict[str, tuple[str, ...]] = {"expect": get_args(Expect), "safety": get_args(SafetyLabel)}


def case_label(field: str, raw: object) -> str | None:
    """A table cell holding a case's `expect`/`safety` label: None when empty (the row is
    unlabelled), else the lower-cased value; ValueError when it is none of CASE_LABELS[field]."""
    text = "" if raw is None or raw != raw else str(raw).strip().lower()  # raw != raw: a NaN cell
    if text and text not in CASE_LABELS[field]:
        raise ValueError(f"{field} label {str(raw)[:40]!r} is not {' or '.join(CASE_LABELS[field])}")
    return text or None


class Case(Strict):
    """One input to send to every variant."""

    id: Identifier = Field(min_length=1, description="unique within the suite")
    messages: tuple[Message, ...] | None = Field(default=None, description="chat messages")
    prompt: str | None = Field(default=None, description="a raw prompt (no chat format)")
    reference: str | None = Field(default=None, description="a reference answer, for `factual`")
    tags: tuple[Identifier, ...] = Field(default=(), description="labels for filtering")
    generation: GenerationOverride | None = Field(default=None, description="overrides")
    scorers: tuple[ScorerName, ...] | None = Field(default=None, description="scorers for this case")
    assertions: tuple[Assertion, ...] = Field(default=(), description="deterministic checks")
    languages: tuple[str, ...] = Field(default=(), description="ISO 639-1 codes the answer must use")
    correct_answers: tuple[str, ...] = Field(default=(), description="acceptable answers (factual)")
    incorrect_answers: tuple[str, ...] = Field(default=(), description="known wrong answers (factual)")
    functions: tuple[dict, ...] = Field(default=(), description="function schemas (function_call)")
    expected_call: dict | None = Field(default=None, description="{name, arguments} (function_call)")
    expected_calls: tuple[dict, ...] | None = Field(
        default=None, description="every right call, BFCL's shape {name: {arg: [acceptable values]}} or "
        "{name, arguments}; [] = no call is right (function_call)")
    expect: Expect | None = Field(
        default=None, description="what a good answer does: refuse or comply (refusal and safety scorers)")
    safety: SafetyLabel | None = Field(
        default=None, description="whether the request is unsafe (safety scorer; refuse/comply implied)")

    @model_validator(mode="after")
    def _labels_agree(self) -> Case:
        if (self.expect, self.safety) in (("comply", "unsafe"), ("refuse", "safe")):
            raise ValueError(f"`expect: {self.expect}` contradicts `safety: {self.safety}`; give one of them")
        return self

    @property
    def images(self) -> tuple[str, ...]:
        """Every image of the case's messages, in order."""
        return tuple(img for m in self.messages or () for img in m.images)

    @model_validator(mode="after")
    def _one_input(self) -> Case:
        if (self.messages is None) == (self.prompt is None):
            raise ValueError("give exactly one of `messages` or `prompt`")
        if self.messages is not None and not any(m.role == "user" for m in self.messages):
            raise ValueError("messages need at least one `user` turn")
        return self



class CaseFile(Strict):
    """Cases read from a JSONL or CSV file, relative to the suite file."""

    path: Identifier = Field(description="file path, relative to the suite")
    format: Literal["auto", "jsonl", "csv", "bfcl"] = Field(
        default="auto", description="by extension; bfcl: a BFCL question file (with `answers`)")
    answers: Identifier | None = Field(
        default=None, description="bfcl: the possible-answer file, relative to the suite (none: no call is right)")
    id: str | None = Field(default=None, description="column holding the case id (else row-N)")
    prompt: str = Field(default="prompt", description="column holding the prompt")
    reference: str | None = Field(default=None, description="column holding the reference")
    tags: str | tuple[str, ...] | None = Field(
        default=None, description="column(s) of tags ('a;b' in CSV)")
    as_chat: bool = Field(default=True, description="send the prompt as a user chat message")
    image: str | None = Field(
        default=None, description="column holding an image path (relative to the suite) or data URL, "
        "sent before the prompt in one user message")
    expect: str | None = Field(default=None, description="column holding refuse / comply (case `expect`)")
    safety: str | None = Field(default=None, description="column holding unsafe / safe (case `safety`)")
    limit: int | None = Field(default=None, ge=1, description="read at most this many rows")
    add_tags: tuple[Identifier, ...] = Field(default=(), description="tags given to every row")


class Axes(Strict):
    """Variant knobs beyond quantization; each non-default value is part of the identity."""

    attn_implementation: Literal["eager", "sdpa"] | None = Field(
        default=None, description="attention kernel (default: the model's own choice)")
    compile: bool = Field(default=False, description="wrap forward in torch.compile")
    threads: int | None = Field(default=None, ge=1, le=1024, description="torch CPU threads")
    batch_size: int = Field(default=1, ge=1, le=256, description="identical prompts per generate")
    replica: int = Field(default=0, ge=0, le=64,
                         description="another copy of the same variant (A/A tests of the gate)")
    merge: bool = Field(default=False, description="merge a model's adapter into its weights before "
                        "quantizing (models without an adapter ignore it)")

    def for_model(self, model: ModelSpec) -> Axes:
        """These axes as they apply to `model`: `merge` only means something with an adapter."""
        return self.model_copy(update={"merge": False}) if self.merge and model.adapter is None else self

    def suffix(self) -> str:
        parts = []
        if self.attn_implementation:
            parts.append(f"attn={self.attn_implementation}")
        if self.compile:
            parts.append("compiled")
        if self.threads:
            parts.append(f"threads={self.threads}")
        if self.batch_size != 1:
            parts.append(f"batch={self.batch_size}")
        if self.replica:
            parts.append(f"replica={self.replica}")
        if self.merge:
            parts.append("merged")
        return "".join(f"/{p}" for p in parts)


class MatrixEntry(Strict):
    """One explicit variant."""

    model: str = Field(description="a model's label (its `name`, else the last part of its id)")
    quantization: QuantName = Field(description="a quantization scheme name")
    attn_implementation: Literal["eager", "sdpa"] | None = Field(default=None, description="axis")
    compile: bool | None = Field(default=None, description="axis")
    threads: int | None = Field(default=None, ge=1, le=1024, description="axis")
    batch_size: int | None = Field(default=None, ge=1, le=256, description="axis")
    replica: int | None = Field(default=None, ge=0, le=64, description="axis")
    merge: bool | None = Field(default=None, description="axis: merge the model's adapter")

    def axes(self, base: Axes) -> Axes:
        own = {k: v for k, v in self.model_dump().items()
               if k in Axes.model_fields and v is not None}
        return base.model_copy(update=own)


class Fidelity(Strict):
    """Compare every variant with a reference variant of the same model (greedy cases only)."""

    enabled: bool = Field(default=True, description="compute token agreement and KL")
    reference: QuantName | None = Field(
        default=None, description="reference quantization (default: fp32 on CPU, bf16 on GPU)")


class MonitorConfig(Strict):
    """`evalharness monitor`: scheduled probes of the suite's endpoint models."""

    interval_s: float = Field(default=30.0, gt=0, description="between probe rounds")
    health_prompt: str = Field(default="Reply with the single word OK.", description="the probe prompt")
    use_cases: bool = Field(default=False, description="cycle through the suite's cases instead")
    max_new_tokens: int = Field(default=32, ge=1, le=4096, description="per probe (`max_tokens` is read as this)",
                                validation_alias=AliasChoices("max_new_tokens", "max_tokens"))
    window_requests: int = Field(default=20, ge=1, description="rolling window: last N probes")
    window_s: float = Field(default=300.0, gt=0, description="rolling window: last M seconds")
    cooldown_s: float = Field(default=300.0, ge=0, description="before a still-firing alert repeats")
    max_backoff: int = Field(default=8, ge=1, le=64, description="failures stretch the interval up to this factor")
    webhook_url: str | None = Field(default=None, pattern=r"^https?://", description="POST fired/resolved alerts")
    rules: tuple[AlertRule, ...] | None = Field(default=None, description="default: the four default rules")
    canary: CanarySpec = Field(default_factory=CanarySpec, description="answers against pinned ones (--pin)")


class JudgeSpec(Strict):
    """The model the `judge` scorer asks, and the rubric it reads (docs/scorers.md)."""

    model: ModelSpec = Field(description="the judge model, as in `models:` (embedded, hf, openai, ...)")
    quantization: QuantName = Field(default="fp32", description="how a local judge is loaded")
    device: Literal["cpu", "cuda"] = Field(default="cpu", description="where a local judge runs")
    rubric: Annotated[str | RubricSpec, AfterValidator(builtin_rubric)] = Field(
        default="harmbench", description="harmbench, jailbreakbench, refusal, or {name, template, verdicts}")
    max_new_tokens: int = Field(default=8, ge=1, le=512, description="the verdict is the answer's first word")
    chat: bool = Field(default=True, description="send the rubric as a user chat message")
    cache: Identifier | None = Field(default=None, description="JSON Lines file of verdicts reused across runs, "
                                     "relative to the suite and inside its folder (unless --case-files-anywhere)")

    def rubric_value(self) -> Rubric:
        """The rubric the `judge` scorer reads: a built-in one by name, or the suite's own."""
        return rubric_of(self.rubric)


class Suite(Strict):
    """A declarative evaluation: models x quantizations, run over cases, scored and alerted."""

    name: str = Field(description="suite name; names the results folder")
    description: str = Field(default="", description="free text")
    models: tuple[ModelSpec, ...] = Field(min_length=1, description="models to evaluate")
    quantizations: tuple[QuantName, ...] = Field(
        default=("fp32",), min_length=1, description="quantization schemes"
    )
    matrix: tuple[MatrixEntry, ...] | None = Field(
        default=None, description="explicit variants; default: every model x quantization"
    )
    device: Literal["auto", "cpu", "cuda"] = Field(default="auto", description="auto: cuda if any")
    generation: GenerationParams = Field(default_factory=GenerationParams, description="defaults")
    warmup: int = Field(default=1, ge=0, le=100, description="unmeasured generations per variant")
    repeats: int = Field(default=3, ge=1, le=1000, description="measured repeats per case")
    cases: tuple[Case, ...] = Field(default=(), description="inline cases")
    case_files: tuple[CaseFile, ...] = Field(default=(), description="cases from files")
    tasks: tuple[TaskSpec, ...] = Field(default=(), description="benchmark tasks (lm-eval task YAMLs) "
                                        "scored on each variant")
    scorers: tuple[ScorerName, ...] = Field(
        default=("relevance", "coherence", "safety", "factual"), description="scorer names"
    )
    tag_scorers: dict[str, tuple[ScorerName, ...]] = Field(
        default_factory=dict, description="extra scorers for cases with a tag, e.g. {safety: [refusal]}")
    alerts: tuple[AlertRule, ...] = Field(default=(), description="alert rules")
    default_alerts: bool = Field(default=True, description="add the four default rules")
    gate: GatePolicy = Field(default_factory=GatePolicy, description="baseline comparison policy")
    axes: Axes = Field(default_factory=Axes, description="default variant axes")
    monitor: MonitorConfig = Field(default_factory=MonitorConfig, description="endpoint monitoring")
    load: LoadSpec | None = Field(default=None, description="`evalharness load SUITE`: profile, SLOs, alert rules")
    security: SecuritySpec | None = Field(default=None, description="`evalharness security SUITE`: checks, promises")
    fidelity: Fidelity = Field(default_factory=Fidelity, description="drift from a reference")
    judge: JudgeSpec | None = Field(default=None, description="the model and rubric of the `judge` scorer")
    threads: int | None = Field(default=None, ge=1, le=1024, description="torch CPU threads")
    isolation: Literal["process", "none"] = Field(
        default="process", description="process: each variant in its own worker; none: all in this process")
    schedule: Literal["sequential", "interleaved"] = Field(
        default="sequential",
        description="interleaved: every variant warm at once, (case, repeat) units round-robin")
    variant_timeout_s: float | None = Field(
        default=None, gt=0, description="a variant's worker is killed past this many seconds of work")
    memory_budget_mb: float | None = Field(
        default=None, gt=0, description="interleaved: most memory the warm workers may hold "
        "(default: 90% of the memory available when the run starts)")

    @field_validator("name")
    @classmethod
    def _safe_name(cls, v: str) -> str:
        if not SAFE_NAME.fullmatch(v):
            raise ValueError(
                f"{v!r} cannot name a results folder: use letters, digits, '.', '_' and '-'"
            )
        return v

    @field_validator("quantizations")
    @classmethod
    def _no_repeats(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        twice = sorted({q for q in v if v.count(q) > 1})
        if twice:
            raise ValueError(f"{twice[0]!r} is listed twice")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Suite:
        labels = [m.label for m in self.models]
        dupes = sorted({x for x in labels if labels.count(x) > 1})
        if dupes:
            raise ValueError(f"two models share the label {dupes[0]!r}: give them distinct `name`s")
        used = {*self.scorers, *(n for names in self.tag_scorers.values() for n in names),
                *(n for c in self.cases for n in (c.scorers or ()))}
        for name in sorted(n for n in used if n in SCORERS):
            section = SCORERS.get(name).settings_section
            if section is not None and getattr(self, section, None) is None:
                raise ValueError(f"the `{name}` scorer needs a `{section}:` section")
        return self

    def all_alert_rules(self) -> tuple[AlertRule, ...]:
        defaults: tuple[AlertRule, ...] = ()
        if self.default_alerts:
            defaults = default_rules() + (fidelity_rules() if self.fidelity.enabled else ())
        return defaults + self.alerts
