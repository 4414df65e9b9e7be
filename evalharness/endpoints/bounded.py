"""HTTP that a hostile server cannot hold or flood: a hard deadline on every socket operation and
byte budgets on every body, decompression included.

httpx's own timeouts bound each socket read, so a server sending one byte a second keeps a
request alive for ever, and `Response.read()` inflates a gzip bomb in full. Here a thread's
deadline (`deadline(seconds)`) caps the timeout of every connect, read and write that thread
makes, so a request ends within its deadline whatever the server sends; bodies are read raw and
decoded by `BoundedBody`, which never produces more than its budget.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

_local = threading.local()

# an error body is for a message, never for data
ERROR_BODY_BYTES = 4096


class BodyTooLarge(Exception):
    """A body (or one line of it) grew past its byte budget."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every socket operation of this thread ends by now + `seconds` (an outer deadline that
    comes sooner still holds)."""
    outer = getattr(_local, "deadline", None)
    mine = time.monotonic() + max(seconds, 0.0)
    _local.deadline = mine if outer is None else min(outer, mine)
    try:
        yield
    finally:
        _local.deadline = outer


def deadline_passed() -> bool:
    due = getattr(_local, "deadline", None)
    return due is not None and time.monotonic() >= due


def _capped(timeout: float | None, error: type[Exception]) -> float | None:
    due = getattr(_local, "deadline", None)
    if due is None:
        return timeout
    left = due - time.monotonic()
    if left <= 0:
        raise error("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _capped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _capped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _capped(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_tcp(host, port, _capped(timeout, httpcore.ConnectTimeout),
                                               local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, _capped(timeout, httpcore.ConnectTimeout),
                                                       socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _Transport(httpx.HTTPTransport):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        pool = self._pool
        if not hasattr(pool, "_network_backend"):  # pragma: no cover - an httpcore that moved it
            raise RuntimeError("httpcore has no _network_backend on its pool: the deadline cannot be enforced")
        pool._network_backend = _Backend(pool._network_backend)


def bounded_client(max_connections: int = 4, max_keepalive: int | None = None) -> httpx.Client:
    """An httpx client whose sockets obey the calling thread's `deadline`; it asks for bodies
    without compression (a server that compresses anyway is decoded within the budget)."""
    limits = httpx.Limits(max_connections=max_connections,
                          max_keepalive_connections=max_connections if max_keepalive is None else max_keepalive)
    return httpx.Client(transport=_Transport(limits=limits), headers={"Accept-Encoding": "identity"})


class BoundedBody:
    """A response body's decoded bytes, chunk by chunk, never more than `limit` in all: the raw
    bytes are inflated here (gzip, deflate) with a cap on the output, so a small compressed body
    cannot expand past the budget. Other encodings are refused."""

    def __init__(self, resp: httpx.Response, limit: int) -> None:
        self.resp = resp
        self.limit = limit
        self.size = 0
        encoding = resp.headers.get("content-encoding", "identity").strip().lower()
        if encoding in ("", "identity"):
            self._inflate = None
        elif encoding in ("gzip", "x-gzip", "deflate"):
            self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header
        else:
            raise httpx.DecodingError(f"unsupported content encoding {encoding[:40]!r}")

    def chunks(self, truncate: bool = False) -> Iterator[bytes]:
        """The decoded bytes; past the budget BodyTooLarge, or with `truncate` the part of the last
        piece that fits, then the end (nothing more is read)."""
        for piece in self._decoded():
            room = self.limit - self.size
            if len(piece) > room:
                if not truncate:
                    raise BodyTooLarge(f"the body is larger than {self.limit} bytes")
                if room:
                    yield piece[:room]
                return
            self.size += len(piece)
            yield piece

    def _decoded(self) -> Iterator[bytes]:
        for raw in self.resp.iter_raw():
            if self._inflate is None:
                yield raw
                continue
            data = raw
            while data:
                try:  # never more output than the budget has room for, plus one byte to see it overflow
                    out = self._inflate.decompress(data, self.limit - self.size + 1)
                except zlib.error as exc:
                    raise httpx.DecodingError(f"a compressed body that does not inflate: {exc}") from None
                yield out
                data = self._inflate.unconsumed_tail


def read_capped(resp: httpx.Response, limit: int = ERROR_BODY_BYTES) -> str:
    """At most `limit` bytes of a body as text (an error message): the rest is never read."""
    got = bytearray()
    try:
        for chunk in BoundedBody(resp, limit).chunks(truncate=True):  # inflation capped at the limit too
            got += chunk
    except httpx.DecodingError:
        pass
    return bytes(got).decode("utf-8", "replace")


def lines(resp: httpx.Response, max_line: int, max_body: int) -> Iterator[str]:
    """The body's lines (CR, LF or CRLF ends), each at most `max_line` bytes, `max_body` in all;
    a longer line raises BodyTooLarge as soon as it is too long, not when it ends."""
    buf = bytearray()
    for chunk in BoundedBody(resp, max_body).chunks():
        buf += chunk
        if b"\n" in chunk or b"\r" in chunk:
            parts = bytes(buf).splitlines(keepends=True)
            rest = parts.pop() if parts and not parts[-1].endswith((b"\n", b"\r")) else b""
            buf = bytearray(rest)
            for part in parts:
                yield part.rstrip(b"\r\n").decode("utf-8", "replace")
        if len(buf) > max_line:
            raise BodyTooLarge(f"a line longer than {max_line} bytes")
    if buf:
        yield bytes(buf).decode("utf-8", "replace")
