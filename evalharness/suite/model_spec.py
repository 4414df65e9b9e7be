"""The suite's models: where each comes from, its server (endpoint models), its adapter."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from evalharness.models.sources import SOURCES
from evalharness.text import check_identifier

# text that names something (a model, a case, a tag, a file) and reaches terminals, reports and
# file names: printable, no control characters (evalharness/text.py)
Identifier = Annotated[str, AfterValidator(check_identifier)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class EndpointTimeouts(Strict):
    """Seconds to wait before a request counts as failed."""

    connect_s: float = Field(default=5.0, gt=0, description="to open the connection")
    first_token_s: float = Field(default=30.0, gt=0, description="to the first chunk, and any stall after")
    total_s: float = Field(default=120.0, gt=0, description="for the whole answer")


class EndpointSpec(Strict):
    """An OpenAI-compatible server (vLLM, llama.cpp, Ollama, TGI, ...)."""

    base_url: Identifier = Field(pattern=r"^https?://", description="as clients take it, e.g. http://127.0.0.1:8080/v1")
    api_key_env: Identifier | None = Field(default=None, description="environment variable holding the API key")
    timeouts: EndpointTimeouts = Field(default_factory=EndpointTimeouts, description="request timeouts")
    tokenizer: Identifier | None = Field(
        default=None, description="count tokens locally when the server reports no usage: 'embedded' or an HF id")


class ModelSpec(Strict):
    """One model to evaluate."""

    source: str = Field(description="where the model comes from: embedded, hf or tiny-random")
    id: Identifier = Field(min_length=1, description="model id within the source (hub id, folder, ...)")
    name: Identifier | None = Field(default=None, description="short label used in variant ids")
    revision: Identifier | None = Field(default=None, description="hub revision (hf source only)")
    endpoint: EndpointSpec | None = Field(default=None, description="the server (openai source only)")
    adapter: Identifier | None = Field(
        default=None, min_length=1,
        description="a PEFT (LoRA) adapter folder applied to the model, relative to the suite; the "
        "variants then compare with the base model's reference when the suite lists the base too")

    @field_validator("source")
    @classmethod
    def _known_source(cls, v: str) -> str:
        if v not in SOURCES:
            raise ValueError(SOURCES.unknown_message(v))
        return v

    @model_validator(mode="after")
    def _id_fits_source(self) -> ModelSpec:
        problem = SOURCES.get(self.source).check_id(self.id)
        if problem:
            raise ValueError(problem)
        source = SOURCES.get(self.source)
        if source.needs_endpoint != (self.endpoint is not None):
            needing = ", ".join(f"`{n}`" for n, s in SOURCES.items() if s.needs_endpoint)
            raise ValueError(f"give `endpoint` with source {needing}, and only there")
        if self.adapter is not None and source.needs_endpoint:
            raise ValueError("an adapter is applied to a model loaded here; a served model has its own")
        return self

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        base = self.id.rstrip("/").split("/")[-1]
        return f"{base}+{self.adapter.rstrip('/').split('/')[-1]}" if self.adapter else base

    @property
    def base(self) -> tuple[str, str, str | None]:
        """What the adapter (if any) is applied to: source, id, revision."""
        return (self.source, self.id, self.revision)
