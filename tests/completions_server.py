"""An OpenAI-compatible `/completions` server on loopback that serves a real (tiny) transformers
model: prompt log-probs with `echo` + `logprobs` computed by a forward pass, greedy text; and the
ways real servers fall short (llama.cpp's: `echo` refused, or the generated token's log-prob only)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import torch

MODES = ("echo", "bos-text", "bos-dropped", "unspelled", "generated-only", "refuse-echo", "no-usage")


class CompletionsServer:
    """`mode`: echo (as vLLM), bos-text (the BOS token's text "<bos>" counted in the offsets),
    bos-dropped (as llama-cpp-python: no BOS entry, but BOS counted in usage), unspelled (token
    texts that do not spell the prompt, as split characters give; only text_offset is right),
    generated-only (llama.cpp: echo ignored, one log-prob), refuse-echo (llama.cpp: HTTP 400),
    no-usage (echo without a usage report)."""

    def __init__(self, model: Any, tokenizer: Any, mode: str = "echo") -> None:
        assert mode in MODES
        self.model, self.tokenizer, self.mode = model, tokenizer, mode
        self.requests: list[dict] = []
        self._lock = threading.Lock()  # one forward pass at a time
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                server.requests.append(body)
                status, answer = server.answer(body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> CompletionsServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, body: dict) -> tuple[int, dict]:
        if body.get("echo") and self.mode == "refuse-echo":
            return 400, {"error": {"code": 400, "message": "Only no echo is supported",
                                   "type": "invalid_request_error"}}
        ids = list(self.tokenizer.encode(body["prompt"]))
        with self._lock, torch.inference_mode():
            if body.get("echo") and body.get("logprobs") is not None:
                return 200, self._echoed(ids, body)
            return 200, self._generated(ids, body)

    def _token(self, i: int) -> str:
        return self.tokenizer.decode([i])

    def _echoed(self, ids: list[int], body: dict) -> dict:
        logp = self.model(input_ids=torch.tensor([ids])).logits[0].float().log_softmax(-1)
        nxt = int(logp[-1].argmax())
        tokens = [("<bos>" if self.mode == "bos-text" and k == 0 else self._token(t)) for k, t in enumerate(ids)]
        values: list[float | None] = [None] + [float(logp[k - 1, ids[k]]) for k in range(1, len(ids))]
        tops: list[dict | None] = [None] + [{self._token(int(logp[k - 1].argmax())): float(logp[k - 1].max()),
                                             tokens[k]: values[k]} for k in range(1, len(ids))]
        tokens.append(self._token(nxt))
        values.append(float(logp[-1, nxt]))
        tops.append({tokens[-1]: values[-1]})
        offsets, at = [], 0
        for tok in tokens:
            offsets.append(at)
            at += len(tok)
        if self.mode == "bos-dropped":
            tokens, values, tops, offsets = tokens[1:], [None] + values[2:], [None] + tops[2:], offsets[1:]
        if self.mode == "unspelled":
            tokens = ["\ufffd"] * len(tokens)
        if self.mode == "generated-only":
            tokens, values, tops, offsets = tokens[-1:], values[-1:], tops[-1:], [0]
        logprobs = {"tokens": tokens, "token_logprobs": values, "top_logprobs": tops, "text_offset": offsets}
        out = {"object": "text_completion", "model": body.get("model"),
               "choices": [{"index": 0, "text": body["prompt"] + tokens[-1], "logprobs": logprobs,
                            "finish_reason": "length"}]}
        if self.mode != "no-usage":
            out["usage"] = {"prompt_tokens": len(ids), "completion_tokens": 1, "total_tokens": len(ids) + 1}
        return out

    def _generated(self, ids: list[int], body: dict) -> dict:
        out = self.model.generate(input_ids=torch.tensor([ids]), max_new_tokens=int(body.get("max_tokens", 16)),
                                  do_sample=False, pad_token_id=0)
        text = self.tokenizer.decode(out[0, len(ids):].tolist(), skip_special_tokens=True)
        for stop in body.get("stop") or []:
            text = text.split(stop)[0]
        return {"object": "text_completion", "choices": [{"index": 0, "text": text, "finish_reason": "stop"}]}
