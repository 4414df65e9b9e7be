"""llama-cpp-python's own OpenAI-compatible server serving the embedded GGUF on loopback."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

ALIAS = "gemma3-270m"


def available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None and importlib.util.find_spec("uvicorn") is not None


@contextmanager
def llama_cpp_server(n_ctx: int = 4096) -> Iterator[str]:
    """The server's base URL (…/v1) while it runs."""
    from evalharness.models.embedded import gguf_path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path()),
                             "--model_alias", ALIAS, "--chat_format", "gemma", "--host", "127.0.0.1",
                             "--port", str(port), "--n_threads", "2", "--n_ctx", str(n_ctx)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise AssertionError("llama.cpp server did not start")
        yield base
    finally:
        stop(proc, 30)


def stop(proc: subprocess.Popen, timeout_s: float) -> None:
    """Ask a server process to end; kill it when it has not within `timeout_s`."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
