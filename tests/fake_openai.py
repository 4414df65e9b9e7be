"""A scripted OpenAI-compatible server on loopback: exact timings and every kind of fault."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Script:
    """What the next request gets. `mode`: ok, http500, http429, garbage, truncate, stall, empty,
    drop (close the connection without answering), error_event, raw (send `events` as they are,
    then [DONE]), echo401 (a 401 whose body echoes the Authorization header)."""

    mode: str = "ok"
    first_delay_s: float = 0.0
    gap_s: float = 0.0
    chunks: list[str] = field(default_factory=lambda: ["Hello", " there", ",", " friend", "."])
    usage: bool = True
    stall_s: float = 5.0
    events: list[str] = field(default_factory=list)
    usage_tokens: int | None = None  # completion_tokens to report (default: one per chunk)


def usage(s: Script, chunks: list[str]) -> dict[str, int]:
    """The token counts an answer reports: one per chunk unless the script says otherwise."""
    return {"prompt_tokens": 7, "completion_tokens": len(chunks) if s.usage_tokens is None else s.usage_tokens}


class FakeOpenAI:
    def __init__(self, capacity: int | None = None,
                 responder: Callable[[dict, int], Script] | None = None) -> None:
        # at most `capacity` answers at a time (a server that saturates); None: no limit
        self.slots = threading.Semaphore(capacity) if capacity else None
        # the script from the request body and the requests in flight (this one included): a
        # server whose answers change under load; None: the queue, then `default`
        self.responder = responder
        self.in_flight = 0
        self._lock = threading.Lock()
        self.queue: deque[Script] = deque()
        self.default = Script()
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append({"body": body, "auth": self.headers.get("Authorization")})
                with server._lock:  # a request arriving now sees the ones still being answered
                    server.in_flight += 1
                    busy = server.in_flight
                self.counted = True
                script = (server.responder(body, busy) if server.responder
                          else server.queue.popleft() if server.queue else server.default)
                self.auth = self.headers.get("Authorization")
                try:
                    server.serve(self, script)
                finally:
                    server.release(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def release(self, h: BaseHTTPRequestHandler) -> None:
        """This request is no longer in flight: before its [DONE] goes out (a client's next
        request may follow at once), or when its handler ends."""
        with self._lock:
            if getattr(h, "counted", False):
                h.counted = False
                self.in_flight -= 1

    def serve(self, h: BaseHTTPRequestHandler, script: Script) -> None:
        if self.slots is None:
            self.respond(h, script)
            return
        with self.slots:
            self.respond(h, script)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer_whole(self, h: BaseHTTPRequestHandler, s: Script) -> None:
        """A request with `"stream": false`: one JSON completion, as OpenAI's API answers it."""
        time.sleep(s.first_delay_s)
        body = json.dumps({"object": "chat.completion", "choices": [{
            "index": 0, "message": {"role": "assistant", "content": "".join(s.chunks)}, "finish_reason": "stop"}],
            **({"usage": usage(s, s.chunks)} if s.usage else {})}).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def respond(self, h: BaseHTTPRequestHandler, s: Script) -> None:
        if s.mode == "drop":
            h.close_connection = True
            h.connection.shutdown(2)
            return
        if s.mode in ("http500", "http429", "echo401"):
            body = b'{"error": "scripted"}'
            if s.mode == "echo401":
                body = json.dumps({"error": f"invalid credentials: {h.auth}"}).encode()
            h.send_response({"http500": 500, "http429": 429, "echo401": 401}[s.mode])
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return
        if s.mode == "ok" and h.body.get("stream") is False:
            self.answer_whole(h, s)
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True

        def send(obj) -> None:
            data = obj if isinstance(obj, str) else json.dumps(obj)
            h.wfile.write(f"data: {data}\n\n".encode())
            h.wfile.flush()

        time.sleep(s.first_delay_s)
        if s.mode == "stall":
            time.sleep(s.stall_s)
        if s.mode == "garbage":
            send("{not json")
            return
        if s.mode == "raw":
            for event in s.events:
                send(event)
            send("[DONE]")
            return
        if s.mode == "error_event":
            send({"error": {"message": "model overloaded"}})
            return
        chunks = [] if s.mode == "empty" else s.chunks
        for i, text in enumerate(chunks):
            if i:
                time.sleep(s.gap_s)
            send({"choices": [{"index": 0, "delta": {"content": text}}]})
            if s.mode == "truncate" and i == 1:
                return
        if s.usage:
            send({"choices": [], "usage": usage(s, chunks)})
        self.release(h)
        send("[DONE]")
