"""A hostile HTTP server on loopback, byte by byte: slow-loris, endless lines, decompression
bombs, and key echoes in the encodings a server may use. Every session ends by itself within
`max_s` (the client closing ends it sooner), so no test leaves a thread sending."""

from __future__ import annotations

import base64
import json
import socket
import socketserver
import threading
import time
import zlib
from dataclasses import dataclass
from urllib.parse import quote

MODES = ("slow_headers", "slow_body", "slow_line", "flood", "huge_line", "gzip_error", "big_error", "gzip_stream",
         "echo_401", "echo_answer", "echo_event_error", "stall_after_token", "ok")

_BOMBS: dict[int, bytes] = {}


def gzip_bomb(mib: int) -> bytes:
    """gzip of `mib` MiB of zeros (about 1/1000 of that on the wire), made once."""
    if mib not in _BOMBS:
        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = b"\0" * (1 << 20)
        _BOMBS[mib] = b"".join(z.compress(block) for _ in range(mib)) + z.flush()
    return _BOMBS[mib]


def key_forms(key: str) -> list[str]:
    """The echoes a server may make of a key: raw, URL-encoded, base64 of the key and of
    `Bearer <key>` and `user:<key>` (standard and URL-safe), hex, JSON-escaped."""
    forms = [key, quote(key, safe=""), key.encode().hex(), key.replace("/", "\\/")]
    for text in (key, f"Bearer {key}", f"user:{key}", f"x{key}", f"xy{key}"):
        forms.append(base64.b64encode(text.encode()).decode())
        forms.append(base64.urlsafe_b64encode(text.encode()).decode())
    return forms


@dataclass
class Behaviour:
    mode: str = "ok"
    gap_s: float = 0.2  # between the slow bytes
    max_s: float = 30.0  # the server gives up sending after this long
    bomb_mib: int = 256
    echo: str = "raw"  # which of key_forms (by index) an echo mode uses; "all" joins them


class HostileServer:
    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.behaviour = behaviour or Behaviour()
        self.sessions = 0
        self.auth: list[str | None] = []
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                server.sessions += 1
                try:
                    auth = _read_request(self.request)
                    server.auth.append(auth)
                    server.act(self.request, auth)
                except OSError:
                    pass  # the client hung up: that is how most sessions end

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.tcp = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.tcp.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.tcp.server_address[1]}/v1"

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.tcp.shutdown()
        self.tcp.server_close()

    def act(self, sock: socket.socket, auth: str | None) -> None:
        b = self.behaviour
        until = time.monotonic() + b.max_s
        key = (auth or "").removeprefix("Bearer ")
        echo = self._echo(key)
        sse = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n"
        if b.mode == "slow_headers":
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100000:
                if time.monotonic() > until:
                    return
                sock.sendall(bytes([byte]))
                time.sleep(b.gap_s)
        elif b.mode in ("slow_body", "slow_line"):
            sock.sendall(sse + b"\r\n")
            if b.mode == "slow_line":
                sock.sendall(_event({"choices": [{"delta": {"content": "Hi"}}]}))
            sock.sendall(b"data: ")
            while time.monotonic() < until:
                sock.sendall(b"x")
                time.sleep(b.gap_s)
        elif b.mode == "flood":
            sock.sendall(sse + b"\r\n")
            block = b"y" * (1 << 16)
            while time.monotonic() < until:
                sock.sendall(block)
        elif b.mode == "huge_line":
            sock.sendall(sse + b"\r\n" + b"data: " + b"z" * (8 << 20) + b"\n\n")
        elif b.mode == "gzip_error":
            body = gzip_bomb(b.bomb_mib)
            sock.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Encoding: gzip\r\n"
                         b"Content-Type: text/plain\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        elif b.mode == "big_error":  # an ordinary error with a long body, sent in one piece
            body = b'{"error": "' + b"overloaded " * 2000 + b'"}'
            sock.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        elif b.mode == "gzip_stream":
            body = gzip_bomb(b.bomb_mib)
            sock.sendall(sse + b"Content-Encoding: gzip\r\n\r\n" + body)
        elif b.mode == "echo_401":
            body = json.dumps({"error": {"message": "x" * 150 + f" invalid credentials {echo}"}}).encode()
            sock.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
        elif b.mode == "echo_event_error":
            sock.sendall(sse + b"\r\n" + _event({"error": {"message": "y" * 140 + f" bad key {echo}"}}))
        elif b.mode == "echo_answer":
            sock.sendall(sse + b"\r\n")
            text = f"Your key is {echo} ok."
            for i in range(0, len(text), 5):  # the key split across chunks
                sock.sendall(_event({"choices": [{"delta": {"content": text[i:i + 5]}}]}))
            sock.sendall(_event({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 9}}))
            sock.sendall(b"data: [DONE]\n\n")
        elif b.mode == "stall_after_token":
            sock.sendall(sse + b"\r\n" + _event({"choices": [{"delta": {"content": "Hi"}}]}))
            time.sleep(min(b.max_s, 60))
        else:
            sock.sendall(sse + b"\r\n" + _event({"choices": [{"delta": {"content": "Hello"}}]})
                         + b"data: [DONE]\n\n")

    def _echo(self, key: str) -> str:
        forms = key_forms(key) if key else [""]
        if self.behaviour.echo == "all":
            return " ".join(forms)
        if self.behaviour.echo == "raw":
            return forms[0]
        return forms[int(self.behaviour.echo) % len(forms)]


def _event(obj) -> bytes:
    return f"data: {json.dumps(obj)}\n\n".encode()


def _read_request(sock: socket.socket) -> str | None:
    """Read one request (headers and a Content-Length body); its Authorization header."""
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        got = sock.recv(65536)
        if not got:
            raise OSError("closed")
        data += got
    head, _, rest = data.partition(b"\r\n\r\n")
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode()] = value.strip().decode("latin-1")
    need = int(headers.get("content-length", "0")) - len(rest)
    while need > 0:
        got = sock.recv(min(need, 65536))
        if not got:
            break
        need -= len(got)
    return headers.get("authorization")
