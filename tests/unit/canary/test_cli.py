"""`evalharness monitor SUITE --pin RUN.json` end to end: a run report's answers as pins, a
scripted endpoint, the series' canary figures and the printed design."""

import json

from evalharness.commands.main import main
from evalharness.reports import load_report
from tests.fake_openai import FakeOpenAI, Script
from tests.unit.test_monitor import ROOT

LEGACY = ROOT / "tests" / "fixtures" / "legacy" / "report-517a120.json"
ANSWERS = {"fp32": {"raw": "The sky is blue today.", "chat": "Hello, I am fine."},
           "bf16": {"raw": "The sky is blue today.", "chat": "Hello, I am tired."}}


def pin_report(tmp_path):
    """The legacy report with known answers: fp32 and bf16 differ on the chat case only."""
    report = load_report(LEGACY)
    samples = [s.model_copy(update={"output": ANSWERS[s.variant_id.split("/")[1]][s.case_id]})
               for s in report.samples]
    path = tmp_path / "pins.json"
    path.write_text(report.model_copy(update={"samples": samples}).model_dump_json())
    return path


def suite(tmp_path, base_url):
    path = tmp_path / "mon.yaml"
    path.write_text(f"""
name: mon
models:
  - {{source: openai, id: m, name: srv, endpoint: {{base_url: "{base_url}"}}}}
cases: [{{id: raw, prompt: sky}}, {{id: chat, prompt: how}}]
monitor: {{interval_s: 0.05, canary: {{match_window: 4}}}}
""")
    return path


def test_monitor_pins_a_run_and_names_the_serving_variant(tmp_path, capsys):
    def respond(body, _busy):
        case = "raw" if body["messages"][0]["content"] == "sky" else "chat"
        return Script(chunks=[w + " " for w in ANSWERS["bf16"][case].split()])

    with FakeOpenAI(responder=respond) as server:
        code = main(["monitor", str(suite(tmp_path, server.base_url)), "--pin", str(pin_report(tmp_path)),
                     "--duration", "1.5s", "--output-dir", str(tmp_path / "out")])
    assert code == 0
    out = capsys.readouterr().out
    assert "canaries: 2 case(s) against 2 pinned variant(s) from" in out and "8 tokens each" in out, out
    assert "one false alarm per" in out and "probes to detect" in out
    series = next((tmp_path / "out" / "monitor").glob("mon-*.jsonl"))
    records = [json.loads(x) for x in series.read_text().splitlines()]
    start = records[0]
    assert start["canary"]["h"] > 0 and start["canary"]["false_alarms_per_day"] <= 1 / 30
    probes = [r for r in records if r["kind"] == "probe"]
    assert len(probes) >= 6
    assert probes[-1]["matched_variant"] == "tiny-random-gemma3/bf16/cpu" and probes[-1]["match_confidence"] > 0.9
    assert probes[-1]["pinned_exact"] is True and probes[-1]["reference"] == "tiny-random-gemma3/bf16/cpu"
    assert not [r for r in records if r["kind"] == "alert" and r["rule"] in ("answers-drifted", "variant-changed")]


def test_a_pin_variant_that_is_not_in_the_run_is_named(tmp_path, capsys):
    code = main(["monitor", str(suite(tmp_path, "http://127.0.0.1:9/v1")), "--pin", str(pin_report(tmp_path)),
                 "--pin-variant", "nope", "--duration", "1s", "--output-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "--pin-variant nope: not a variant of" in err and "tiny-random-gemma3/fp32/cpu" in err


def test_a_run_of_other_cases_is_refused(tmp_path, capsys):
    report = pin_report(tmp_path)
    other = tmp_path / "other.yaml"
    other.write_text(suite(tmp_path, "http://127.0.0.1:9/v1").read_text().replace("id: raw", "id: zz")
                     .replace("id: chat", "id: yy"))
    code = main(["monitor", str(other), "--pin", str(report), "--duration", "1s",
                 "--output-dir", str(tmp_path / "out")])
    assert code == 2 and "answered any case of the suite" in capsys.readouterr().err


def test_pins_from_several_runs_merge_their_variants(tmp_path):
    from evalharness.canary.pins import from_reports

    first = pin_report(tmp_path)
    report = load_report(first)
    renamed = [s.model_copy(update={"variant_id": "served/q8_0/remote"}) for s in report.samples
               if s.variant_id.endswith("/fp32/cpu")]
    second = tmp_path / "served.json"
    second.write_text(report.model_copy(update={"samples": renamed}).model_dump_json())
    pins = from_reports([first, second], {"raw", "chat"})
    assert set(pins.variants) == {"tiny-random-gemma3/fp32/cpu", "tiny-random-gemma3/bf16/cpu", "served/q8_0/remote"}
    assert pins.max_tokens == 8


def test_the_same_variant_pinned_twice_is_refused(tmp_path, capsys):
    report = pin_report(tmp_path)
    code = main(["monitor", str(suite(tmp_path, "http://127.0.0.1:9/v1")), "--pin", str(report), "--pin", str(report),
                 "--duration", "1s", "--output-dir", str(tmp_path / "out")])
    assert code == 2 and "is in more than one of the runs" in capsys.readouterr().err
