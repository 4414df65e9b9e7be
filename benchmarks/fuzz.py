"""Fuzz every reader of untrusted input and count tracebacks (exceptions other than the reader's
own clear error), hangs, peak memory and key leaks.

    .venv/bin/python benchmarks/fuzz.py [--inputs 10000] [--seed 0] [--server-share 0.06]

Readers: suites (YAML, aliases of aliases among them), case files (CSV/JSONL), reports (JSON),
samples logs (JSONL, checked as resume checks them), server-sent events of an OpenAI-compatible
stream, scoring of hostile answers, `score` inputs (CSV/JSONL with duplicated columns, formulas,
huge numbers, list cells), and sessions with a hostile HTTP server (tests/hostile_server.py:
slow-loris, endless lines, gzip bombs, the key echoed in its encodings) through the real client
with small deadlines. Inputs are mutations of real files from this repository plus generated
values.

A hang: a server session that outlives its deadline by 2 s, or a file input that takes over
10 s. Peak memory: the process's own high-water mark (VmHWM). A leak: any encoding of the API
key in what the client kept. The last line is
`fuzz: N inputs, T tracebacks, H hangs, M max MB, L leaks`.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evalharness.commands.main import main as cli_main  # noqa: E402
from evalharness.endpoints.client import Timeouts, _Stream, consume_events, stream_chat  # noqa: E402
from evalharness.measure.memory import high_water_mark_mb  # noqa: E402
from evalharness.reports import ReportError, load_report, read_samples_log  # noqa: E402
from evalharness.reports.schema import Sample  # noqa: E402
from evalharness.scorers import SCORERS, ScoringInput  # noqa: E402
from evalharness.scoring import score_samples  # noqa: E402
from evalharness.suite import Case, SuiteError, load_suite  # noqa: E402
from tests.hostile_server import MODES, Behaviour, HostileServer, key_forms  # noqa: E402

FILE_HANG_S = 10.0  # a file input taking longer than this is a hang
SERVER_GRACE_S = 2.0  # a server session may end this long after its deadline

TOKENS = [":", "- ", "[", "]", "{", "}", "!!int ", "!!binary ", "&a ", "*a", "\x00", "\ud800", "\xff", "NaN",
          "1e999", "-1", '"', "'", "\n", "    ", "9" * 400, "[" * 300, "<<: *a", "? ", "%YAML 1.1\n", "\t",
          "é", "\u202e", "null", "~", "0x", ",", ";", "\r\n"]
VALUES = [None, True, False, -1, 0, 1, 1e308, -1e308, float("nan"), "", "x" * 5000, "\ud800", [], {}, [[[]]],
          {"kind": "sample"}, "NaN", 2**80, "../../etc", "*", "2024-02-30"]


def mutate_text(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 4)):
        if not text:
            text = rng.choice(TOKENS)
            continue
        i = rng.randrange(len(text))
        op = rng.randrange(5)
        if op == 0:
            text = text[:i] + rng.choice(TOKENS) + text[i:]
        elif op == 1:
            text = text[:i] + text[i + rng.randint(1, 40):]
        elif op == 2:
            j = min(len(text), i + rng.randint(1, 200))
            text = text[:j] + text[i:j] * rng.randint(1, 3) + text[j:]
        elif op == 3:
            text = text[:i]
        else:
            text = text[:i] + chr(rng.randrange(0x110000)) + text[i + 1:]
    return text


def random_value(rng: random.Random, depth: int = 0):
    if depth > 4 or rng.random() < 0.4:
        return rng.choice(VALUES)
    if rng.random() < 0.5:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(["kind", "choices", "delta", "content", "usage", "id", "prompt", "x", "error"]):
            random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def mutate_json(obj, rng: random.Random):
    """Replace one value somewhere inside a JSON object with a random one."""
    if isinstance(obj, dict) and obj and rng.random() < 0.8:
        key = rng.choice(list(obj))
        return {**obj, key: mutate_json(obj[key], rng)}
    if isinstance(obj, list) and obj and rng.random() < 0.8:
        i = rng.randrange(len(obj))
        return obj[:i] + [mutate_json(obj[i], rng)] + obj[i + 1:]
    return random_value(rng)


def dumps(obj) -> str:
    """JSON text as a careless writer makes it: NaN allowed, surrogates as \\u escapes."""
    return json.dumps(obj, allow_nan=True, default=str)


class Fuzzer:
    def __init__(self, seed: int, work: Path) -> None:
        self.rng = random.Random(seed)
        self.work = work
        self.suites = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "suites").glob("*.yaml"))]
        legacy = ROOT / "tests" / "fixtures" / "legacy"
        self.report = json.loads((legacy / "report-517a120.json").read_text(encoding="utf-8"))
        self.log_lines = (legacy / "report-517a120.samples.jsonl").read_text(encoding="utf-8").splitlines()
        self.n = 0

    def _file(self, name: str, data: str | bytes) -> Path:
        self.n += 1
        path = self.work / f"{self.n}-{name}"
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        path.write_bytes(data)
        return path

    def suite(self) -> None:
        text = mutate_text(self.rng.choice(self.suites), self.rng)
        try:
            load_suite(self._file("s.yaml", text))
        except SuiteError:
            pass

    def case_file(self) -> None:
        rows = ["prompt,id,reference", "hello,a,hi", "what is 2+2?,b,4", '"quoted, comma",c,x']
        if self.rng.random() < 0.5:
            name = "c.csv"
            body = mutate_text("\n".join(rows), self.rng)
        else:
            name = "c.jsonl"
            objs = [{"prompt": "hi", "id": "a"}, {"prompt": "yo", "id": "b", "reference": "r"}]
            body = "\n".join(dumps(mutate_json(o, self.rng)) if self.rng.random() < 0.5
                             else mutate_text(dumps(o), self.rng) for o in objs)
        case_path = self._file(name, body)
        suite = (f"name: f\nmodels: [{{source: hf, id: org/m}}]\n"
                 f"case_files: [{{path: {case_path.name}, id: id, reference: reference}}]\n")
        try:
            load_suite(self._file("s.yaml", suite))
        except SuiteError:
            pass

    def report_file(self) -> None:
        if self.rng.random() < 0.7:
            text = dumps(mutate_json(self.report, self.rng))
        else:
            text = mutate_text(json.dumps(self.report)[: self.rng.randint(0, 40000)], self.rng)
        try:
            report = load_report(self._file("r.json", text))
        except ReportError:
            return
        from evalharness.compare.engine import compare_reports
        from evalharness.dashboard_data import samples_frame
        from evalharness.select import Constraints, select
        from evalharness.suite.gate import GatePolicy
        from evalharness.views.table import display_frame, glance_frame, styled

        compare_reports(report, report, GatePolicy(resamples=100))
        select(report, Constraints(max_memory_mb=1000, max_latency_p95_s=1.0), "quality")
        frame = glance_frame([report])
        if not frame.empty:
            display_frame(frame), styled(frame).to_html()
        samples_frame(report)

    def samples_log(self) -> None:
        lines = list(self.log_lines)
        for _ in range(self.rng.randint(1, 3)):
            i = self.rng.randrange(len(lines))
            try:
                parsed = json.loads(lines[i]) if self.rng.random() < 0.5 else None
            except ValueError:  # already mutated into something else
                parsed = None
            if parsed is not None:
                lines[i] = dumps(mutate_json(parsed, self.rng))
            else:
                lines[i] = mutate_text(lines[i], self.rng)
        data = "\n".join(lines).encode("utf-8", "surrogatepass")
        if self.rng.random() < 0.3:
            data = data[: self.rng.randrange(len(data))]  # torn anywhere, even inside a character
        content = read_samples_log(self._file("l.samples.jsonl", data))
        for sample in content.samples.values():  # what resume would keep is a valid measurement
            for name in ("latency_s", "ttft_s", "decode_tokens_per_s", "output_tokens", "prompt_tokens"):
                value = getattr(sample, name)
                if value is not None and not value >= 0:
                    raise AssertionError(f"resume would keep {name} = {value}")

    def sse(self) -> None:
        valid = {"choices": [{"index": 0, "delta": {"content": "Hi"}}]}
        events = []
        for _ in range(self.rng.randint(1, 5)):
            roll = self.rng.random()
            if roll < 0.4:
                events.append("data: " + dumps(mutate_json(valid, self.rng)))
            elif roll < 0.7:
                events.append("data: " + dumps(random_value(self.rng)))
            else:
                events.append(mutate_text("data: " + json.dumps(valid), self.rng))
        if self.rng.random() < 0.7:
            events.append("data: [DONE]")
        self.n += 1

        class Response:
            def iter_lines(self):
                return iter(events)

        clock = iter(range(10**6)).__next__
        stream = _Stream(start=0.0, clock=lambda: float(clock()), count_tokens=None)
        consume_events(Response().iter_lines(), stream, 1e9)

    def scoring(self) -> None:
        text = mutate_text(self.rng.choice(["{\"a\": 1}", "get_weather(city='Paris')", "I cannot help.",
                                             "Paris is the capital.", "```tool_code\nf(x=1)\n```", "[" * 1000,
                                             "f(x=" + "9" * 5000 + ")", "hello \ud800 world"]), self.rng)
        case = Case(id="c", prompt="q", reference="Paris", languages=("en",),
                    functions=({"name": "f", "parameters": {"type": "object"}},),
                    expected_call={"name": "f", "arguments": {"x": 1}})
        sample = Sample(variant_id="v", case_id="c", repeat=0, prompt="q", output=text, output_tokens=1,
                        latency_s=1.0, ttft_s=0.1, prefill_tokens_per_s=None, decode_tokens_per_s=None,
                        peak_rss_mb=None, gpu_peak_mb=None, success=True, error=None)
        self.n += 1
        score_samples([sample], {"c": case}, SCORERS.names())
        # the scorers themselves: what would have crashed a run before scoring became safe
        for name in SCORERS.names():
            try:
                SCORERS.get(name).score(ScoringInput(prompt="q", reference="Paris"), text)
            except Exception:
                self.caught[name] += 1

    caught: Counter = Counter()

    def yaml_aliases(self) -> None:
        """Anchors and aliases nested at random: billion laughs of every size, recursive aliases."""
        levels, width = self.rng.randint(1, 12), self.rng.randint(2, 12)
        lines = ["  a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
        for i in range(1, levels):
            lines.append(f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
        if self.rng.random() < 0.2:
            lines.append("  r: &r [*r]")
        text = "name: y\nmodels: [{source: hf, id: org/m}]\ncases: [{id: a, prompt: hi}]\nx:\n" + "\n".join(lines)
        try:
            load_suite(self._file("a.yaml", mutate_text(text, self.rng) if self.rng.random() < 0.3 else text))
        except SuiteError:
            pass

    def score_input(self) -> None:
        """`evalharness score` on hostile tables; exit 0 or 2 with a message, never a traceback."""
        big = "9" * self.rng.choice([5, 30, 4400])
        if self.rng.random() < 0.5:
            header = self.rng.choice(["prompt,completion,id", "prompt,completion,prompt", "prompt,completion"])
            cells = ["=cmd|' /C calc'!A0", "@SUM(A1)", "-3.5", "007", "2024-01-01", big, '"a,b"', "", "x\ny"]
            rows = [",".join(self.rng.choice(cells) for _ in header.split(",")) for _ in range(self.rng.randint(0, 4))]
            name, body = "t.csv", mutate_text("\n".join([header, *rows]), self.rng) if self.rng.random() < 0.3 \
                else "\n".join([header, *rows])
        else:
            objs = [{"prompt": "hi", "completion": self.rng.choice(["Hello.", ["a", 1], {"b": None}, 7])},
                    {"prompt": ["x", 1], "completion": "=1+1", "n": 0}]
            body = "\n".join(dumps(mutate_json(o, self.rng)) if self.rng.random() < 0.4 else
                             json.dumps(o) for o in objs).replace('"n": 0', f'"n": {big}')
            name = "t.jsonl"
        path = self._file(name, body)
        out = path.with_name(path.name + ".out" + path.suffix)
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            code = cli_main(["score", "--scorer", "coherence", "--scorer", "refusal", "--input", str(path),
                             "--out", str(out)])
        if code not in (0, 2):
            raise AssertionError(f"score exited {code}")


def peak_rss_mb() -> float:
    """This process's own high-water mark of resident memory (VmHWM). Not getrusage's ru_maxrss
    but where /proc has no VmHWM: Linux carries ru_maxrss across fork and exec, and started by a
    large process (pytest late in a run) the fuzzer once reported that parent's 4.5 GB as its own."""
    hwm = high_water_mark_mb()
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class ServerFuzz:
    """Sessions with one hostile server whose behaviour changes before every request."""

    KEY = "sk-fuzz-Q3x9Lm2Pz8Vb7Nc6Ad5Ts4"

    def __init__(self, rng: random.Random, grace_s: float = SERVER_GRACE_S) -> None:
        self.rng = rng
        self.grace_s = grace_s
        self.server = HostileServer().__enter__()
        self.hangs = self.leaks = 0
        self.examples: list[str] = []

    def session(self) -> None:
        mode = self.rng.choice(MODES)
        # the server gives up after 20 s: a session the client did not end itself is seen as a hang
        self.server.behaviour = Behaviour(mode=mode, gap_s=self.rng.choice([0.01, 0.05, 0.2]), max_s=20.0,
                                          bomb_mib=self.rng.choice([16, 64, 256]),
                                          echo=self.rng.choice(["raw", "all", *map(str, range(14))]))
        timeouts = Timeouts(connect_s=1.0, first_token_s=self.rng.choice([0.2, 1.0, 30.0]),
                            total_s=self.rng.choice([0.3, 0.8, 1.5]),
                            max_line_bytes=self.rng.choice([1 << 12, 1 << 16, 1 << 20]),
                            max_body_bytes=self.rng.choice([1 << 20, 8 << 20]))
        start = time.monotonic()
        r = stream_chat(self.server.base_url, "m", [{"role": "user", "content": "hi"}], api_key=self.KEY,
                        timeouts=timeouts)
        took = time.monotonic() - start
        if took > timeouts.total_s + self.grace_s:
            self.hangs += 1
            self.examples.append(f"hang: {mode} took {took:.1f} s (deadline {timeouts.total_s} s)")
        kept = repr(r.record())
        if any(form in kept for form in key_forms(self.KEY)):
            self.leaks += 1
            self.examples.append(f"leak: {mode} echo {self.server.behaviour.echo}: {kept[:300]}")

    def close(self) -> None:
        self.server.__exit__(None, None, None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--inputs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--server-share", type=float, default=0.06,
                    help="share of the inputs that are hostile-server sessions (0.06 of 10,000 = 600)")
    ap.add_argument("--grace", type=float, default=SERVER_GRACE_S,
                    help="seconds a server session may outlive its deadline before it counts as a hang "
                    "(CI, on a machine loaded by other tests, allows more)")
    args = ap.parse_args()
    tracebacks: Counter = Counter()
    counts: Counter = Counter()
    examples: dict[str, str] = {}
    hangs = 0
    rng = random.Random(args.seed + 1)
    servers = ServerFuzz(random.Random(args.seed + 2), args.grace)
    with tempfile.TemporaryDirectory(prefix="evalharness-fuzz-") as tmp:
        fz = Fuzzer(args.seed, Path(tmp))
        readers: list[tuple[str, Callable[[], None]]] = [
            ("suite", fz.suite), ("yaml_aliases", fz.yaml_aliases), ("case_file", fz.case_file),
            ("report", fz.report_file), ("samples_log", fz.samples_log), ("sse", fz.sse),
            ("scoring", fz.scoring), ("score_input", fz.score_input)]
        seconds: Counter = Counter()
        for i in range(args.inputs):
            name, reader = (("server", servers.session) if rng.random() < args.server_share
                            else readers[i % len(readers)])
            counts[name] += 1
            start = time.perf_counter()
            try:
                reader()
            except Exception:
                tracebacks[name] += 1
                examples.setdefault(name, traceback.format_exc(limit=3))
            took = time.perf_counter() - start
            seconds[name] += took
            if name != "server" and took > FILE_HANG_S:
                hangs += 1
                examples.setdefault(f"{name} hang", f"{took:.1f} s")
    servers.close()
    hangs += servers.hangs
    peak_mb = peak_rss_mb()
    for name in [n for n, _ in readers] + ["server"]:
        print(f"  {name}: {counts[name]} inputs, {tracebacks[name]} tracebacks ({seconds[name]:.1f} s)")
    for name, tb in examples.items():
        print(f"first traceback in {name}:\n{tb}")
    for line in servers.examples[:5]:
        print(line)
    if Fuzzer.caught:
        print("scorer exceptions caught by safe scoring (recorded as null, the run goes on): "
              + ", ".join(f"{k} {v}" for k, v in sorted(Fuzzer.caught.items())))
    print(f"fuzz: {args.inputs} inputs, {sum(tracebacks.values())} tracebacks, {hangs} hangs, "
          f"{peak_mb:.0f} max MB, {servers.leaks} leaks")


if __name__ == "__main__":
    main()
