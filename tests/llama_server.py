"""llama-cpp-python's own OpenAI-compatible server serving the embedded GGUF on loopback."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ALIAS = "gemma3-270m"


def available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None and importlib.util.find_spec("uvicorn") is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def requantized(ftype: str) -> Path:
    """The embedded Q4_K_M GGUF quantized again to `ftype` (e.g. "Q8_0", "Q3_K_M") with llama.cpp's
    own quantizer, kept beside it in the cache: another build of the same model."""
    import ctypes

    import llama_cpp

    from evalharness.models.embedded import gguf_path

    source = gguf_path()
    target = source.with_name(f"{source.stem}-requantized-{ftype.lower()}.gguf")
    if not target.exists():
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{ftype.upper()}")
        params.allow_requantize = True
        params.nthread = 2
        partial = target.with_suffix(".partial")
        if llama_cpp.llama_model_quantize(str(source).encode(), str(partial).encode(), ctypes.byref(params)) != 0:
            raise AssertionError(f"llama.cpp could not quantize {source.name} to {ftype}")
        partial.rename(target)
    return target


@contextmanager
def llama_cpp_server(n_ctx: int = 4096, model: Path | None = None, port: int | None = None,
                     extra: tuple[str, ...] = ()) -> Iterator[str]:
    """The server's base URL (…/v1) while it runs: the embedded GGUF, or `model`, on `port` (a free
    one when not given), with `extra` server flags."""
    from evalharness.models.embedded import gguf_path

    port = port or free_port()
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model or gguf_path()),
                             "--model_alias", ALIAS, "--chat_format", "gemma", "--host", "127.0.0.1",
                             "--port", str(port), "--n_threads", "2", "--n_ctx", str(n_ctx), *extra],
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
