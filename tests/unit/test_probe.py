import json

from evalharness.commands.main import main
from evalharness.endpoints.probe import run_probe
from tests.fake_openai import FakeOpenAI, Script


def test_probe_cli_table_and_json(tmp_path, capsys):
    with FakeOpenAI() as server:
        server.default = Script(first_delay_s=0.05, gap_s=0.01)
        out = tmp_path / "p.json"
        rc = main(["probe", server.base_url, "--model", "m", "--requests", "3", "--json", str(out)])
        assert rc == 0
        data = json.loads(out.read_text())
        assert len(data["requests"]) == 3 and data["summary"]["succeeded"] == 3
        r = data["requests"][0]
        for key in ("ttft_s", "inter_token_latency_s", "latency_s", "output_tokens", "decode_tokens_per_s",
                    "success"):
            assert key in r
        assert 0.03 < r["ttft_s"] < 0.2
        from evalharness.reports.endpoint import read_probe_report  # the file is the typed report

        report = read_probe_report(out)
        assert report.kind == "evalharness-probe" and report.summary.succeeded == 3
        assert report.requests[0].ttft_s == r["ttft_s"] and report.requests[0].chunks >= 1
        server.queue.append(Script(mode="http500"))
        assert main(["probe", server.base_url, "--model", "m", "--requests", "2"]) == 1
        assert "HTTP 500" in capsys.readouterr().out


def test_load_mode_counts_throughput_and_failures():
    with FakeOpenAI() as server:
        server.default = Script(first_delay_s=0.1, gap_s=0.02)
        server.queue.extend([Script(mode="http500")])
        results, summ = run_probe(server.base_url, "m", "hi", requests=8, concurrency=4)
    assert summ.requests == 8 and summ.succeeded == 7 and summ.failures == {"http_5xx": 1}
    # 8 requests of ~0.18 s, 4 at a time: well under the 1.4 s a serial run would take
    assert summ.wall_s < 1.0
    assert summ.requests_per_s > 8 / 1.4
    assert summ.latency_s.n == 7
