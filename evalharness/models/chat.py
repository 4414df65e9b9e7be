"""Turning a case's messages into prompt text: the tokenizer's template, else Gemma's turns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class Message(Protocol):
    role: str
    content: str


def gemma_turns(messages: Sequence[Message]) -> str:
    """Gemma's turn format, as its official chat template renders it (without the leading BOS).

    Gemma has no system role: a system message is prepended to the first user turn.
    The assistant role is called `model`. The text ends by opening the model's turn.
    """
    parts: list[str] = []
    pending_system = ""
    for msg in messages:
        if msg.role == "system":
            pending_system += msg.content.strip() + "\n\n"
            continue
        role = "model" if msg.role == "assistant" else "user"
        content = msg.content
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
            as_dicts = [{"role": m.role, "content": m.content} for m in messages]
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
    return "\n".join(f"{m.role}: {m.content}" for m in messages)
