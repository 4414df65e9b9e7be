"""Do `evalharness load`'s TTFT and ITL agree with guidellm's against the same server?

llama-cpp-python's OpenAI server serves the embedded GGUF on loopback (one thread, so the load
generator has the other core; `--interrupt_requests False`, so concurrent requests queue instead
of cutting each other short). At each fixed concurrency, in the order A-B-A:
- A: `evalharness load SUITE --profile concurrent` (a temporary suite with the server as its
  endpoint model, the prompts as its cases);
- B: `guidellm run --profile concurrent` (guidellm 0.8: a benchmark dependency, installed in its
  own environment; give its executable with --guidellm) over the same prompts in the same order;
Both send the same request body: the prompt as a text content part (guidellm always sends
parts), `max_tokens` = `min_tokens` = N (so every answer has N tokens), temperature 0, seed 0.
Both define TTFT as request start to the first content chunk and ITL as (last chunk - first
chunk) / (output tokens - 1).

Prints per concurrency the medians of each run, the ratios guidellm / evalharness (over both A
runs' requests pooled) and evalharness's own run-to-run ratio (A2 / A1: the noise floor), then
`agreement: min X max Y` over the guidellm/evalharness ratios (target 0.90 <= X <= Y <= 1.10).

    python3 -m venv /tmp/glvenv && /tmp/glvenv/bin/pip install -r benchmarks/requirements-guidellm.txt
    .venv/bin/python benchmarks/load_agreement.py --guidellm /tmp/glvenv/bin/guidellm \
        [--concurrency 1,2] [--requests 24] [--tokens 32]

Measured trap (llama-cpp-python 0.3.36): its `gemma` chat format renders only string content;
a text part loses its text (the same question: 18 prompt tokens as a string, 7 as a part). The
prompts therefore reach the model as an empty user turn for both tools alike; the comparison is
of the two clients timing the same server work, not of a realistic prompt.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = ("Write a short story about a lighthouse keeper.", "Explain how rain forms, step by step.",
           "Describe a busy market in the morning.", "List some ideas for a weekend trip.")
MODEL = "gemma3-270m"


@contextmanager
def llama_server(threads: int):
    from evalharness.models.embedded import gguf_path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path()),
                             "--model_alias", MODEL, "--chat_format", "gemma", "--host", "127.0.0.1",
                             "--port", str(port), "--n_threads", str(threads), "--n_ctx", "2048",
                             "--interrupt_requests", "False"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the llama.cpp server did not start") from None
                time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def write_inputs(folder: Path, base: str, requests: int, tokens: int) -> tuple[Path, Path]:
    cases = "\n".join(f"  - id: p{i}\n    messages: [{{role: user, content: [{{type: text, text: {json.dumps(p)}}}]}}]"
                      for i, p in enumerate(PROMPTS))
    suite = folder / "load-agreement.yaml"
    suite.write_text(f"""name: load-agreement
models:
  - {{source: openai, id: {MODEL}, name: server, endpoint: {{base_url: "{base}", timeouts: {{total_s: 300}}}}}}
generation: {{max_new_tokens: {tokens}, min_new_tokens: {tokens}, seed: 0}}
scorers: []
cases:
{cases}
""")
    data = folder / "prompts.jsonl"  # request i gets prompt i mod 4 in both tools
    data.write_text("".join(json.dumps({"prompt": PROMPTS[i % len(PROMPTS)]}) + "\n" for i in range(requests)))
    return suite, data


def run_evalharness(suite: Path, concurrency: int, requests: int, out: Path) -> dict:
    cmd = [sys.executable, "-m", "evalharness", "load", str(suite), "--profile", "concurrent",
           "--concurrency", str(concurrency), "--requests", str(requests), "--warmup", "0", "--json", str(out)]
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    [stage] = json.loads(out.read_text())["stages"]
    ok = [r for r in stage["requests"] if r["success"]]
    return {"ttft": [r["ttft_s"] for r in ok], "itl": [r["inter_token_latency_s"] for r in ok],
            "tokens": [r["output_tokens"] for r in ok], "failed": len(stage["requests"]) - len(ok)}


def run_guidellm(exe: str, base: str, data: Path, tokenizer: Path, concurrency: int, requests: int,
                 tokens: int, out: Path) -> dict:
    backend = {"kind": "openai_http", "target": base.removesuffix("/v1"), "model": MODEL, "validate_backend": False,
               "extras": {"body": {"max_tokens": tokens, "min_tokens": tokens, "temperature": 0, "seed": 0}}}
    cmd = [exe, "run", "--backend", json.dumps(backend),
           "--profile", json.dumps({"kind": "concurrent", "streams": concurrency}),
           "--data", json.dumps({"kind": "json_file", "path": str(data)}),
           "--constraint", json.dumps({"kind": "max_requests", "count": requests}),
           "--tokenizer", json.dumps({"kind": "hf_auto", "model": str(tokenizer)}),
           "--output", json.dumps({"kind": "json", "path": str(out)}), "--disable-progress"]
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    if done.returncode != 0:
        raise SystemExit(f"guidellm failed ({done.returncode}):\n{done.stderr[-3000:]}")
    [bench] = json.loads(out.read_text())["benchmarks"]
    ok = bench["requests"]["successful"]
    m = bench["metrics"]
    return {"ttft": [r["time_to_first_token_ms"] / 1000 for r in ok], "tokens": [r["output_tokens"] for r in ok],
            "failed": len(bench["requests"]["errored"] or []),
            "ttft_median": m["time_to_first_token_ms"]["successful"]["median"] / 1000,
            "itl_median": m["inter_token_latency_ms"]["successful"]["median"] / 1000}


def median(values: list) -> float:
    return statistics.median(v for v in values if v is not None)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--guidellm", default=shutil.which("guidellm"), help="the guidellm executable")
    ap.add_argument("--concurrency", default="1,2")
    ap.add_argument("--requests", type=int, default=24)
    ap.add_argument("--tokens", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1, help="the server's threads")
    args = ap.parse_args()
    if not args.guidellm:
        raise SystemExit("guidellm not found: install it in its own environment (python3 -m venv V && "
                         "V/bin/pip install -r benchmarks/requirements-guidellm.txt) and give --guidellm "
                         "V/bin/guidellm")
    from evalharness.models.sources import SOURCES

    tokenizer = SOURCES.get("embedded").tokenizer_folder()
    ratios: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, llama_server(args.threads) as base:
        folder = Path(tmp)
        suite, data = write_inputs(folder, base, args.requests, args.tokens)
        httpx.post(f"{base}/chat/completions", json={"model": MODEL, "max_tokens": 4,
                                                     "messages": [{"role": "user", "content": "hi"}]}, timeout=120)
        print(f"server: llama-cpp-python, embedded GGUF, {args.threads} thread(s); {args.requests} requests per run, "
              f"{args.tokens} tokens per answer")
        print("conc | run         | TTFT p50 s | ITL p50 s | tokens/answer | failed")
        for c in (int(x) for x in args.concurrency.split(",")):
            a1 = run_evalharness(suite, c, args.requests, folder / f"a1-{c}.json")
            b = run_guidellm(args.guidellm, base, data, tokenizer, c, args.requests, args.tokens,
                             folder / f"b-{c}.json")
            a2 = run_evalharness(suite, c, args.requests, folder / f"a2-{c}.json")
            for name, r in (("evalharness", a1), ("guidellm", b), ("evalharness", a2)):
                itl = r["itl_median"] if "itl_median" in r else median(r["itl"])
                print(f"{c:4d} | {name:11s} | {median(r['ttft']):10.4f} | {itl:9.5f} | "
                      f"{statistics.mean(t for t in r['tokens'] if t is not None):13.1f} | {r['failed']}")
            pooled_ttft, pooled_itl = median(a1["ttft"] + a2["ttft"]), median(a1["itl"] + a2["itl"])
            pair = (b["ttft_median"] / pooled_ttft, b["itl_median"] / pooled_itl)
            noise = (median(a2["ttft"]) / median(a1["ttft"]), median(a2["itl"]) / median(a1["itl"]))
            ratios += pair
            print(f"     guidellm / evalharness: TTFT {pair[0]:.3f}, ITL {pair[1]:.3f}; "
                  f"evalharness run 2 / run 1: TTFT {noise[0]:.3f}, ITL {noise[1]:.3f}")
    print(f"agreement: min {min(ratios):.3f} max {max(ratios):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
