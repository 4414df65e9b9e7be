"""The base of every report record: readers ignore fields added by newer minor versions, types stay
strict, and text from models, case files or servers is made storable on the way in."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


def storable(text: str) -> str:
    """Text that can be written as UTF-8: lone surrogates become visible escapes (\\ud800)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _storable_values(value: Any) -> Any:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, list) and any(isinstance(v, str) for v in value):
        return [storable(v) if isinstance(v, str) else v for v in value]
    if isinstance(value, dict):
        return {storable(k) if isinstance(k, str) else k: storable(v) if isinstance(v, str) else v
                for k, v in value.items()}
    return value


class Record(BaseModel):
    """Every record: readers ignore fields added by newer minor versions; types stay strict;
    text from models, case files or servers is made storable on the way in."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {storable(k) if isinstance(k, str) else k: _storable_values(v) for k, v in data.items()}
