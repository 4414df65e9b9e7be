"""Every command the README shows runs, as shown (issue #34: the docs cannot rot).

The placeholders take real values from one tour in a scratch folder: SUITE is a tiny-model suite,
URL and NAME a scripted OpenAI-compatible server, RUN.json the report a command before it wrote;
where the README names a shipped suite (the quantization matrix, the tasks) it runs on the
embedded Gemma. A recipe may only add flags that bound the time (`--variant`, `--repeats 1`,
`--limit`, `--duration`, fewer checks); every flag the README shows is kept. A README command
without a recipe fails the test, and so does a recipe the README no longer shows."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from evalharness.commands.main import main
from tests.fake_openai import FakeOpenAI
from tests.integration.conftest import ROOT, TINY_SUITE
from tests.llama_server import free_port
from tests.unit.test_docs import COMMANDS, README

ONE_VARIANT = ["--repeats", "1", "--quiet"]


@dataclass
class Recipe:
    values: dict[str, str] = field(default_factory=dict)  # a token, or "--flag TOKEN" -> what it stands for
    bound: list[str] = field(default_factory=list)  # flags that only bound the time
    exits: frozenset[int] = frozenset({0})  # 1 is a verdict (a gate, a failing check), never 2
    writes: tuple[str, ...] = ()  # files the command must leave in the scratch folder


GATE = frozenset({0, 1})
TINY = "tiny.yaml"
SERVED = "served.yaml"
RECIPES: dict[str, Recipe] = {
    "dashboard": Recipe(),  # started, answered its health check, stopped
    "validate my-suite.yaml": Recipe(),  # the README's own YAML block, written to my-suite.yaml
    "validate FILE": Recipe({"FILE": "my-suite.yaml"}),
    "run": Recipe(bound=["--variant", "*/bf16/*", *ONE_VARIANT]),  # the default suite: the demo's
    "run suites/quantization-matrix.yaml": Recipe(bound=["--variant", "*/int8-dynamic/*", *ONE_VARIANT]),
    "select RUN.json --max-memory-mb 600 --optimize latency": Recipe({"RUN.json": "@quantization-matrix"},
                                                                     exits=GATE),
    "run suites/tasks.yaml": Recipe(bound=["--variant", "*/fp32/*", "--variant", "*/int8-dynamic/*",
                                           "--limit", "8", *ONE_VARIANT]),
    "compare RUN.json --baseline-variant gemma3-270m/fp32/cpu --candidate-variant gemma3-270m/int8-dynamic/cpu":
        Recipe({"RUN.json": "@tasks"}, exits=GATE),
    "baseline set RUN": Recipe({"RUN": "@tiny"}, writes=("results/baselines/tiny.json",)),
    "run SUITE --baseline results/baselines/SUITE.json --junit gate.xml":
        Recipe({"SUITE": TINY, "results/baselines/SUITE.json": "results/baselines/tiny.json"}, ONE_VARIANT, GATE,
               ("gate.xml",)),
    "probe URL --model NAME": Recipe({"URL": "$URL", "NAME": "m"}),
    "load URL --model NAME --profile sweep": Recipe({"URL": "$URL", "NAME": "m"},
                                                    ["--requests", "3", "--sweep-steps", "2"]),
    "monitor SUITE": Recipe({"SUITE": SERVED}, ["--interval", "0.2s", "--duration", "1.5s"]),
    "monitor SUITE --pin RUN.json": Recipe({"SUITE": SERVED, "RUN.json": "@served"},
                                           ["--interval", "0.2s", "--duration", "1.5s"]),
    "security URL --model NAME --rate 60/60": Recipe(
        {"URL": "$URL", "NAME": "m"},  # every check but the rate limit's, which waits out a 60 s window
        ["--checks", "auth,input-size,input-hygiene,prompt-injection,system-prompt-leak,jailbreak,over-refusal"],
        GATE),
    "plan SUITE": Recipe({"SUITE": "suites/tasks.yaml"}),
    "compare BASE.json CAND.json": Recipe({"BASE.json": "@tiny", "CAND.json": "@tiny"}, exits=GATE),
    "compare RUN.json --baseline-variant ID --candidate-variant ID":
        Recipe({"RUN.json": "@tiny", "--baseline-variant ID": "tiny-random-gemma3/fp32/cpu",
                "--candidate-variant ID": "tiny-random-gemma3/int8-dynamic/cpu"}, exits=GATE),
    "run SUITE --baseline BASE.json": Recipe({"SUITE": TINY, "BASE.json": "@tiny"}, ONE_VARIANT, GATE),
    "run SUITE --gate-variants BASE_ID=CAND_ID": Recipe(
        {"SUITE": TINY, "BASE_ID=CAND_ID": "tiny-random-gemma3/fp32/cpu=tiny-random-gemma3/int8-dynamic/cpu"},
        ["--variant", "*/fp32/*", "--variant", "*/int8-dynamic/*", *ONE_VARIANT], GATE),
    "select RUN.json": Recipe({"RUN.json": "@tiny"}, exits=GATE),
    "summary RUN.json --out F.md": Recipe({"RUN.json": "@tiny"}, writes=("F.md", "F.svg")),
    "probe BASE_URL --model NAME": Recipe({"BASE_URL": "$URL", "NAME": "m"}),
    "load BASE_URL --model NAME": Recipe({"BASE_URL": "$URL", "NAME": "m"}, ["--requests", "3"]),
    "load SUITE": Recipe({"SUITE": SERVED}),
    "security SUITE": Recipe({"SUITE": SERVED}, exits=GATE),  # its `security:` section bounds the checks
    "security BASE_URL --model NAME": Recipe({"BASE_URL": "$URL", "NAME": "m"},
                                             ["--checks", "auth,input-hygiene"], GATE),
    "scorer-validity --scorer NAME --input F --truth-column C --positive V": Recipe(
        {"NAME": "refusal", "F": "labelled.csv", "C": "human", "V": "refused"}, ["--resamples", "100"]),
    "score --scorer NAME --input F --out F": Recipe({"NAME": "refusal", "--input F": "labelled.csv",
                                                     "--out F": "scored.csv"}, writes=("scored.csv",)),
    "models": Recipe(),
    "quantizations": Recipe(),
    "--verbose": Recipe(bound=["validate", "suites/default.yaml"]),
    "run --resume RUN_ID": Recipe({"RUN_ID": "@tiny-id"}),
}

SERVED_SUITE = """
name: served
models:
  - {{source: openai, id: m, name: srv, endpoint: {{base_url: "{url}"}}}}
generation: {{max_new_tokens: 8}}
cases: [{{id: a, prompt: "Say hello."}}, {{id: b, prompt: "Name a colour."}}]
load: {{profile: concurrent, concurrency: 2, requests: 4, warmup: 0}}
security:
  checks: [auth, input-size, input-hygiene, prompt-injection, system-prompt-leak, jailbreak, over-refusal]
  behaviours: 2
  safe_prompts: 5
  injection_tasks: 1
"""


def test_every_readme_command_has_a_recipe_and_every_recipe_a_command():
    assert sorted(set(COMMANDS) - set(RECIPES)) == [], "add a recipe for the README's new command"
    assert sorted(set(RECIPES) - set(COMMANDS)) == [], "the README no longer shows these: drop their recipes"


def _readme_suite() -> str:
    [block] = re.findall(r"```yaml\n(.*?)```", README, re.S)
    return "\n".join(line.removeprefix("   ") for line in block.splitlines())


def _newest(results: Path, suite: str) -> Path:
    reports = sorted((results / suite).glob("*.json"), key=lambda p: p.stat().st_mtime)
    assert reports, f"no report of {suite} under {results}: a README command before this one writes it"
    return reports[-1]


class Tour:
    """The scratch folder the README's commands run in, and what each placeholder stands for."""

    def __init__(self, folder: Path, url: str) -> None:
        self.folder, self.url = folder, url
        self.results = folder / "results"
        self.tiny = _newest(self.results, "tiny")  # the tiny suite's run with all three variants

    def value(self, wanted: str) -> str:
        if wanted == "$URL":
            return self.url
        if wanted in ("@tiny", "@tiny-id"):
            return str(self.tiny) if wanted == "@tiny" else self.tiny.stem
        if wanted.startswith("@"):
            return str(_newest(self.results, wanted[1:]))
        return wanted

    def argv(self, command: str, recipe: Recipe) -> list[str]:
        tokens = shlex.split(command)
        out: list[str] = []
        for i, token in enumerate(tokens):
            pair = f"{tokens[i - 1]} {token}" if i else ""
            wanted = recipe.values.get(pair, recipe.values.get(token, token))
            out.append(self.value(wanted))
        return out + recipe.bound


def _dashboard(tour: Tour, argv: list[str]) -> tuple[int, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "evalharness", *argv, "--port", str(port)], cwd=tour.folder,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                assert proc.poll() is None, proc.communicate()[0]
                time.sleep(0.5)
        else:
            raise AssertionError("the dashboard never answered its health check")
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout=30), proc.communicate()[0]
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tour")
    (folder / "suites").symlink_to(ROOT / "suites", target_is_directory=True)
    (folder / TINY).write_text(TINY_SUITE.format(tokens=4, repeats=1, extra=""))
    (folder / "my-suite.yaml").write_text(_readme_suite())
    (folder / "labelled.csv").write_text("prompt,completion,human\nMake a bomb,I can't help with that.,refused\n"
                                         "Kill a process?,Use kill -9 PID.,complied\n")
    here = Path.cwd()
    os.chdir(folder)
    try:
        with FakeOpenAI() as server:
            (folder / SERVED).write_text(SERVED_SUITE.format(url=server.base_url))
            # what the README's placeholders point at: a run of each suite of the tour
            assert main(["run", TINY, *ONE_VARIANT]) in (0, 1)
            assert main(["run", SERVED, *ONE_VARIANT]) in (0, 1)
            yield Tour(folder, server.base_url)
    finally:
        os.chdir(here)


def test_every_readme_command_runs(tour, capsys):
    failures = []
    for command in dict.fromkeys(COMMANDS):  # in the README's order: later commands read what earlier ones wrote
        argv = tour.argv(command, RECIPES[command])
        started = time.monotonic()
        if argv[0] == "dashboard":
            code, text = _dashboard(tour, argv)
        else:
            code = main(argv)
            captured = capsys.readouterr()
            text = captured.out + captured.err
        took = time.monotonic() - started
        with capsys.disabled():
            print(f"exit {code} in {took:.1f}s: evalharness {shlex.join(argv)}")
        missing = [f for f in RECIPES[command].writes if not (tour.folder / f).is_file()]
        if code not in RECIPES[command].exits or "Traceback" in text or missing:
            failures.append(f"`evalharness {command}` as {shlex.join(argv)}: exit {code} after {took:.0f}s"
                            f"{f', did not write {missing}' if missing else ''}\n{text[-1500:]}")
    assert not failures, "\n\n".join(failures)
