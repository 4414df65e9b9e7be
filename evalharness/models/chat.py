"""Turning a case's messages into prompt text: the tokenizer's template, else Gemma's turns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class Message(Protocol):
    role: str
    content: Any  # text, or content parts with `type` text (`text`) or image (`image`)


def message_text(msg: Message, image_marker: str | None = None) -> str:
    """The turn's text; with content parts, as Gemma's chat template joins them: each text part
    trimmed, each image as `image_marker` (left out when None)."""
    if isinstance(msg.content, str):
        return msg.content
    out = []
    for part in msg.content:
        if part.type == "text":
            out.append(part.text.strip())
        elif image_marker is not None:
            out.append(image_marker)
    return "".join(out)


def gemma_turns(messages: Sequence[Message], image_marker: str | None = None) -> str:
    """Gemma's turn format, as its official chat template renders it (without the leading BOS).

    Gemma has no system role: a system message is prepended to the first user turn.
    The assistant role is called `model`. The text ends by opening the model's turn. Images
    become `image_marker` (Gemma 3: `<start_of_image>`, which its processor expands).
    """
    parts: list[str] = []
    pending_system = ""
    for msg in messages:
        if msg.role == "system":
            pending_system += message_text(msg).strip() + "\n\n"
            continue
        role = "model" if msg.role == "assistant" else "user"
        content = message_text(msg, image_marker)
        if role == "user" and pending_system:
            content = pending_system + content
            pending_system = ""
        parts.append(f"<start_of_turn>{role}\n{content.strip()}<end_of_turn>\n")
    if pending_system:
        parts.append(f"<start_of_turn>user\n{pending_system.strip()}<end_of_turn>\n")
    parts.append("<start_of_turn>model\n")
    return "".join(parts)


def prompt_ids(tokenizer: Any, messages: Sequence[Message] | None, prompt: str | None) -> list[int]:
    """Token ids of a case's input, BOS included exactly once."""
    if messages is not None:
        if getattr(tokenizer, "chat_template", None):
            as_dicts = [{"role": m.role, "content": message_text(m)} for m in messages]
            text = tokenizer.apply_chat_template(as_dicts, add_generation_prompt=True, tokenize=False)
            return list(tokenizer(text, add_special_tokens=False)["input_ids"])
        text = gemma_turns(messages)
    else:
        assert prompt is not None
        text = prompt
    return list(tokenizer(text, add_special_tokens=True)["input_ids"])


def render_prompt(messages: Sequence[Message] | None, prompt: str | None) -> str:
    """The case's input as one string, for reports and scorers."""
    if messages is None:
        return prompt or ""
    return "\n".join(f"{m.role}: {_shown(m)}" for m in messages)


def _shown(msg: Message) -> str:
    if isinstance(msg.content, str):
        return msg.content
    return " ".join(p.text if p.type == "text" else f"[image: {image_name(p.image)}]" for p in msg.content)


def image_name(ref: str) -> str:
    """How a report names an image: a file's name, or a data URL's type and size."""
    if ref.startswith("data:"):
        return f"{ref[5:].partition(';')[0]} data URL, {len(ref)} characters"
    return ref.replace("\\", "/").rsplit("/", 1)[-1]
