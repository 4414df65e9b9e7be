"""No encoding of the API key reaches any output, whatever a server echoes (issue 29): stdout and
stderr, the run report, the samples log, the probe JSON, the load JSON, the monitor's JSONL.
The server echoes the key raw, URL-encoded, hex, JSON-escaped and in base64 (of the key,
`Bearer <key>`, `user:<key>`, at every alignment), in 401 bodies, stream errors and answers."""

import pytest

from evalharness.commands.main import main
from tests.hostile_server import Behaviour, HostileServer, key_forms

KEY = "sk-proj-7Hq2WmZ0xLr9Ct4Vb8Np1Ks6"
SUITE = """name: leak
models:
  - source: openai
    id: m
    endpoint: {{base_url: "{url}", api_key_env: EH_LEAK_KEY, timeouts: {{total_s: 5}}}}
generation: {{max_new_tokens: 8}}
warmup: 0
repeats: 1
scorers: [coherence]
monitor: {{interval_s: 0.2, max_tokens: 8}}
cases:
  - {{id: a, prompt: "hello"}}
"""


def everything_written(tmp_path, capsys) -> str:
    out = capsys.readouterr()
    files = [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    return "\n".join([out.out, out.err, *files])


def assert_no_key(text: str) -> None:
    for form in key_forms(KEY):
        assert form not in text, form
    assert KEY[:12] not in text and KEY[-12:] not in text


@pytest.mark.parametrize("mode", ["echo_401", "echo_event_error", "echo_answer"])
def test_no_output_of_any_command_holds_the_key(tmp_path, capsys, monkeypatch, mode):
    monkeypatch.setenv("EH_LEAK_KEY", KEY)
    monkeypatch.chdir(tmp_path)
    with HostileServer(Behaviour(mode=mode, echo="all")) as srv:
        suite = tmp_path / "leak.yaml"
        suite.write_text(SUITE.format(url=srv.base_url))
        main(["probe", srv.base_url, "--model", "m", "--api-key-env", "EH_LEAK_KEY", "--requests", "2",
              "--json", str(tmp_path / "probe.json")])
        main(["run", str(suite), "--output-dir", str(tmp_path / "results"), "--isolation", "none"])
        main(["load", srv.base_url, "--model", "m", "--api-key-env", "EH_LEAK_KEY", "--requests", "2",
              "--warmup", "0", "--timeout", "5", "--json", str(tmp_path / "load.json")])
        main(["load", str(suite), "--requests", "2", "--warmup", "0", "--results-dir", str(tmp_path / "lr")])
        main(["monitor", str(suite), "--duration", "3s", "--interval", "0.3s",
              "--output-dir", str(tmp_path / "mon")])
        assert len(srv.auth) >= 7 and all(a == f"Bearer {KEY}" for a in srv.auth)  # the key was sent
    written = everything_written(tmp_path, capsys)
    assert "[redacted]" in written
    assert_no_key(written)
    assert any(p.suffix == ".jsonl" for p in (tmp_path / "mon").rglob("*"))  # the monitor wrote its series
