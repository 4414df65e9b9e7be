"""A scripted deployment for the security checks: a gateway with an input limit (characters,
request bytes, or only a model context window), a rate limit (sliding log, fixed window or token
bucket, per key or shared), keys, a policy for hidden characters, and a model that answers after
a time that grows with the prompt. Time is a fake clock the checks also wait on; requests cost
the time they take."""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from evalharness.security.exchange import Ask, Reply, request_body

HIDDEN = re.compile("[\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069\U000e0000-\U000e007f"
                    "\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class FakeClock:
    t: float = 1000.37  # not on a window boundary

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)


def tokens_of(text: str) -> int:
    """A tokenizer of sorts: a word of up to 14 characters, each other visible character."""
    return len(re.findall(r"\w{1,14}|[^\w\s]", text))


@dataclass
class ScriptedDeployment:
    clock: FakeClock = field(default_factory=FakeClock)
    limit: int | None = 8192
    unit: str = "characters"  # or "bytes" (of the request body), "tokens" (the model's context)
    rate: tuple[int, float] | None = None
    window: str = "sliding"  # or "fixed", "bucket"
    per_key: bool = True
    retry_after: bool = True
    keys: frozenset[str] | None = None  # None: no authentication
    hygiene: str = "pass"  # "reject", "strip" or "pass" hidden characters
    usage: bool = True
    refuse_late: bool = False  # the gateway's refusals come after the model ran
    limit_status: int = 429
    echo_key: bool = False  # every refusal quotes the Authorization header
    drops_system: bool = False  # the chat template leaves system messages out
    gen_s: float = 0.05
    requests: int = 0
    _log: dict = field(default_factory=dict)
    _bucket: dict = field(default_factory=dict)

    def _model_s(self, prompt: str) -> float:
        return self.gen_s + 2e-5 * tokens_of(prompt)

    def _out(self, status: int, ask: Ask, text: str | None = None, tokens: int | None = None,
             error: str = "", retry: str | None = None) -> Reply:
        if self.echo_key and status >= 400:
            error += f" (client: Bearer {ask.key})"
        late = self.refuse_late and status >= 400
        took = self._model_s(ask.prompt) if status < 400 or late else 0.002
        self.clock.sleep(took)
        return Reply(status, took, text=text, prompt_tokens=tokens, retry_after=retry, error=error or None,
                     body_bytes=len(request_body("m", ask)))

    def send(self, ask: Ask) -> Reply:
        self.requests += 1
        if self.keys is not None and ask.key not in self.keys:
            return self._out(401, ask, error="invalid API key")
        size = len(request_body("m", ask)) if self.unit == "bytes" else len(ask.prompt)
        if self.limit is not None and self.unit != "tokens" and size > self.limit:
            return self._out(413, ask, error="input too long")
        if self.rate is not None and not self._admit(ask.key if self.per_key else "all"):
            return self._out(self.limit_status, ask, error="slow down",
                             retry=str(math.ceil(self.rate[1])) if self.retry_after else None)
        prompt = ask.prompt
        if HIDDEN.search(prompt):
            if self.hygiene == "reject":
                return self._out(400, ask, error="hidden characters")
            if self.hygiene == "strip":
                prompt = HIDDEN.sub("", prompt)
        tokens = tokens_of(prompt) + (tokens_of(ask.system) if ask.system and not self.drops_system else 0)
        if self.unit == "tokens" and self.limit is not None and tokens > self.limit:
            return self._out(400, ask, error=f"{tokens} tokens exceed the context window of {self.limit}")
        return self._out(200, ask, text="Hello, world.", tokens=tokens if self.usage else None)

    def _admit(self, who: str | None) -> bool:
        n, w = self.rate
        t = self.clock.now()
        if self.window == "sliding":
            log = self._log.setdefault(who, deque())
            while log and log[0] <= t - w:
                log.popleft()
            if len(log) >= n:
                return False
            log.append(t)
            return True
        if self.window == "fixed":
            slot = (math.floor(t / w), who)
            used = self._log.get(slot, 0)
            self._log[slot] = used + 1
            return used < n
        level, last = self._bucket.get(who, (float(n), t))  # bucket: capacity n, refill n per w
        level = min(float(n), level + (t - last) * n / w)
        admitted = level >= 1.0
        self._bucket[who] = (level - 1.0 if admitted else level, t)
        return admitted


class RealClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


class ServedDeployment:
    """A ScriptedDeployment behind a loopback HTTP server (/v1/chat/completions), on the real
    clock: what the HTTP transport, the command and the files it writes are tested against."""

    def __init__(self, deployment: ScriptedDeployment) -> None:
        self.deployment = deployment
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                messages = body.get("messages", [])
                system = next((m["content"] for m in messages if m["role"] == "system"), None)
                auth = self.headers.get("Authorization")
                key = auth[len("Bearer "):] if auth and auth.startswith("Bearer ") else None
                ask = Ask(messages[-1]["content"], key, system, body.get("max_tokens", 1))
                with outer._lock:
                    reply = outer.deployment.send(ask)
                if reply.status == 200:
                    out = {"choices": [{"message": {"role": "assistant", "content": reply.text}}]}
                    if reply.prompt_tokens is not None:
                        out["usage"] = {"prompt_tokens": reply.prompt_tokens, "completion_tokens": 1}
                else:
                    out = {"error": {"message": reply.error}}
                data = json.dumps(out).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if reply.retry_after:
                    self.send_header("Retry-After", reply.retry_after)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> ServedDeployment:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
