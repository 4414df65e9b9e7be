"""Fuzz every reader of untrusted input and count tracebacks (exceptions other than the reader's
own clear error).

    .venv/bin/python benchmarks/fuzz.py [--inputs 10000] [--seed 0]

Readers: suites (YAML), case files (CSV/JSONL), reports (JSON), samples logs (JSONL),
server-sent events of an OpenAI-compatible stream, and scoring of hostile answers. Inputs are
mutations of real files from this repository (the shipped suites, the legacy report fixture)
plus generated JSON/YAML values. The last line is `fuzz: N inputs, T tracebacks`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evalharness.endpoints.client import _Stream, consume_events  # noqa: E402
from evalharness.reports import ReportError, load_report, read_samples_log  # noqa: E402
from evalharness.reports.schema import Sample  # noqa: E402
from evalharness.scorers import SCORERS, ScoringInput  # noqa: E402
from evalharness.scoring import score_samples  # noqa: E402
from evalharness.suite import Case, SuiteError, load_suite  # noqa: E402

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
        read_samples_log(self._file("l.samples.jsonl", data))

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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--inputs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    tracebacks: Counter = Counter()
    examples: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="evalharness-fuzz-") as tmp:
        fz = Fuzzer(args.seed, Path(tmp))
        readers: list[tuple[str, Callable[[], None]]] = [
            ("suite", fz.suite), ("case_file", fz.case_file), ("report", fz.report_file),
            ("samples_log", fz.samples_log), ("sse", fz.sse), ("scoring", fz.scoring)]
        seconds: Counter = Counter()
        for i in range(args.inputs):
            name, reader = readers[i % len(readers)]
            start = time.perf_counter()
            try:
                reader()
            except Exception:
                tracebacks[name] += 1
                examples.setdefault(name, traceback.format_exc(limit=3))
            seconds[name] += time.perf_counter() - start
    for name, _ in readers:
        print(f"  {name}: {args.inputs // len(readers)} inputs, {tracebacks[name]} tracebacks "
              f"({seconds[name]:.1f} s)")
    for name, tb in examples.items():
        print(f"first traceback in {name}:\n{tb}")
    if Fuzzer.caught:
        print("scorer exceptions caught by safe scoring (recorded as null, the run goes on): "
              + ", ".join(f"{k} {v}" for k, v in sorted(Fuzzer.caught.items())))
    print(f"fuzz: {args.inputs} inputs, {sum(tracebacks.values())} tracebacks")


if __name__ == "__main__":
    main()
