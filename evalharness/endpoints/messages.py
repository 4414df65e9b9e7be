"""What endpoint callers share: a case as chat messages, a local token counter, and what a
suite's endpoint spec gives a client (API key, timeouts, token counter)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evalharness.endpoints.client import Timeouts, api_key_from_env


def case_messages(case: Any) -> list[dict[str, Any]]:
    """The case as OpenAI chat messages; image parts become `image_url` parts with a data URL
    (servers cannot read the suite's files)."""
    if case.messages is not None:
        return [{"role": m.role, "content": _content(m.content)} for m in case.messages]
    return [{"role": "user", "content": case.prompt}]


def _content(content: Any) -> Any:
    if isinstance(content, str):
        return content
    from evalharness.models.images import as_data_url

    return [{"type": "text", "text": p.text} if p.type == "text"
            else {"type": "image_url", "image_url": {"url": as_data_url(p.image)}} for p in content]


def local_counter(tokenizer: str | None) -> Callable[[str], int] | None:
    """A local token counter for servers that report no usage: a model source's name (its
    tokenizer, e.g. 'embedded') or an HF id/folder."""
    if tokenizer is None:
        return None
    from transformers import AutoTokenizer

    from evalharness.models.sources import SOURCES

    if tokenizer in SOURCES:
        folder = SOURCES.get(tokenizer).tokenizer_folder()
        if folder is None:
            raise ValueError(f"model source {tokenizer!r} has no tokenizer of its own; give an HF id or folder")
        tokenizer = str(folder)
    tok = AutoTokenizer.from_pretrained(tokenizer)
    return lambda text: len(tok(text, add_special_tokens=False)["input_ids"])


@dataclass(frozen=True)
class ClientSettings:
    api_key: str | None
    timeouts: Timeouts
    count_tokens: Callable[[str], int] | None


def client_settings(endpoint: Any) -> ClientSettings:
    """An endpoint spec (suite `endpoint:`) as a client uses it: the key read from its environment
    variable (ValueError when it is not set), its timeouts, its local token counter."""
    t = endpoint.timeouts
    return ClientSettings(api_key_from_env(endpoint.api_key_env), Timeouts(t.connect_s, t.first_token_s, t.total_s),
                          local_counter(endpoint.tokenizer))
