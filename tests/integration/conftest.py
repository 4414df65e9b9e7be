from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

TINY_SUITE = """
name: tiny
models:
  - source: tiny-random
    id: tiny-random-gemma3
quantizations: [fp32, bf16, int8-dynamic]
device: cpu
generation: {{max_new_tokens: {tokens}, min_new_tokens: {tokens}}}
warmup: 1
repeats: {repeats}
cases:
  - id: raw
    prompt: "Hello there, tiny model"
    reference: "Hello"
  - id: chat
    messages:
      - role: system
        content: "Be brief."
      - role: user
        content: "Say hi."
{extra}
"""


@pytest.fixture
def tiny_suite(tmp_path: Path):
    def make(tokens: int = 8, repeats: int = 2, extra: str = "") -> Path:
        path = tmp_path / "tiny.yaml"
        path.write_text(TINY_SUITE.format(tokens=tokens, repeats=repeats, extra=textwrap.dedent(extra)))
        return path

    return make


def cli(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    env = {**(os.environ if env is None else env), "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "evalharness", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=600, **kw)


def cli_popen(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "evalharness", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
