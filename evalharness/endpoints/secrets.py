"""Keep an API key out of everything we write: the key and the forms a server may echo it in.

A server may quote the key in an error (`invalid key: sk-...`), URL-encode it, JSON-escape it,
or echo the Authorization header in base64 (of the key, of `Bearer <key>`, of `user:<key>`).
Base64 of the key inside a longer base64 text depends on where the key starts modulo 3, so the
three alignments are searched, each by the characters that only the key's bytes decide.
Redaction runs on whole texts, before anything is cut to length, so no part of a key survives
at a cut.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import quote, quote_plus

MASK = "[redacted]"
_MIN_FRAGMENT = 8  # shorter base64 fragments would match by chance


def _b64_fragments(secret: bytes) -> set[str]:
    """For each alignment of `secret` in a byte string, the run of base64 characters that the
    secret's bytes alone decide (standard and URL-safe alphabets)."""
    out: set[str] = set()
    n = len(secret)
    for lead in range(3):
        encoded = base64.b64encode(b"\0" * lead + secret + b"\0\0\0").decode()
        # character j holds bits 6j..6j+5: bytes 6j//8 .. (6j+5)//8
        own = [j for j in range(len(encoded)) if 6 * j // 8 >= lead and (6 * j + 5) // 8 < lead + n]
        if not own:
            continue
        fragment = encoded[own[0]:own[-1] + 1]
        if len(fragment) >= _MIN_FRAGMENT:
            out.add(fragment)
            out.add(fragment.replace("+", "-").replace("/", "_"))
    return out


class Redactor:
    """Replaces every known form of one secret in a text with `[redacted]`."""

    def __init__(self, secret: str | None) -> None:
        self._pattern: re.Pattern[str] | None = None
        if not secret or len(secret.strip()) < 4:
            return
        key = secret.strip()
        raw = key.encode("utf-8")
        plain = {key, quote(key, safe=""), quote_plus(key), key.replace("/", "\\/"), raw.hex()}
        encoded = _b64_fragments(raw)
        # base64 of the key is covered above at every alignment, which includes the key inside
        # "Bearer <key>" or "user:<key>"; hex of the header form too
        plain.add(f"Bearer {key}".encode().hex())
        alternatives = [re.escape(f) for f in sorted(plain, key=len, reverse=True) if len(f) >= 4]
        exact = [re.escape(f) for f in sorted(encoded, key=len, reverse=True)]
        self._pattern = re.compile("|".join(
            [f"(?i:{a})" for a in alternatives] + exact))

    def __call__(self, text: str | None) -> str | None:
        if text is None or self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)

    def clip(self, text: str | None, limit: int) -> str | None:
        """Redacted first, then cut to `limit` characters."""
        cleaned = self(text)
        return cleaned if cleaned is None or len(cleaned) <= limit else cleaned[:limit] + "…"
