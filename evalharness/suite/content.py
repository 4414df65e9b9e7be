"""Chat messages and their content: plain text, or parts (text and images) as OpenAI-style
chat APIs and Gemma 3's processor take them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from evalharness.models.images import data_url_problem, is_data_url
from evalharness.suite.model_spec import Strict


class TextPart(Strict):
    """Text inside a message's content parts."""

    type: Literal["text"] = Field(description="text")
    text: str = Field(description="what is said")


class ImagePart(Strict):
    """An image inside a message's content parts."""

    type: Literal["image"] = Field(description="image")
    image: str = Field(min_length=1, description="an image file, relative to the suite, or a data:image/...;base64 URL")

    @field_validator("image")
    @classmethod
    def _data_url(cls, v: str) -> str:
        problem = data_url_problem(v) if is_data_url(v) else None
        if problem:
            raise ValueError(problem)
        if "\x00" in v:
            raise ValueError("the path contains a NUL character")
        return v


ContentPart = Annotated[TextPart | ImagePart, Field(discriminator="type")]
PART_TYPES: dict[str, type[Strict]] = {"text": TextPart, "image": ImagePart}


class Message(Strict):
    """One chat turn: text, or content parts (`{type: text, text}` / `{type: image, image}`)."""

    role: Literal["system", "user", "assistant"] = Field(description="who speaks")
    content: str | tuple[ContentPart, ...] = Field(description="what is said: text, or a list of parts")

    @field_validator("content", mode="before")
    @classmethod
    def _each_part(cls, v: Any) -> Any:
        """Parts validated one by one, so that a bad part gets one message naming it (not one per
        branch of the text-or-parts union)."""
        if not isinstance(v, (list, tuple)):
            return v
        out, problems = [], []
        for k, item in enumerate(v):
            kind = item.get("type") if isinstance(item, dict) else None
            model = PART_TYPES.get(kind) if isinstance(kind, str) else None
            if model is None:
                problems.append(f"content[{k}]: a part is {{type: text, text: ...}} or {{type: image, image: ...}}")
                continue
            try:
                out.append(model.model_validate(item))
            except ValidationError as exc:
                problems.extend(f"content[{k}].{'.'.join(str(p) for p in e['loc'])}: "
                                f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors())
        if problems:
            raise ValueError("; ".join(problems))
        return tuple(out)

    @model_validator(mode="after")
    def _parts(self) -> Message:
        if isinstance(self.content, tuple):
            if not self.content:
                raise ValueError("content parts must not be empty")
            if self.images and self.role != "user":
                raise ValueError(f"images go in user turns, not in a {self.role} turn")
        return self

    @property
    def text(self) -> str:
        """The text of the turn (text parts joined by newlines; images left out)."""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(p.text for p in self.content if isinstance(p, TextPart))

    @property
    def images(self) -> tuple[str, ...]:
        if isinstance(self.content, str):
            return ()
        return tuple(p.image for p in self.content if isinstance(p, ImagePart))
