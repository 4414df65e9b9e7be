"""Shards with the real tiny Gemma through the CLI, each in its own worker processes: three
shard jobs merged equal the unsharded run in every field that is not a timing."""

from pathlib import Path

from evalharness.reports import load_report
from tests.integration.conftest import cli

TIMING = {"latency_s", "ttft_s", "prefill_tokens_per_s", "decode_tokens_per_s", "inter_token_latency_s",
          "peak_rss_mb", "gpu_peak_mb", "gpu_device_used_mb"}
EXTRA = """
    scorers: [factual, refusal, coherence]
    alerts:
      - {name: short, metric: output_tokens, op: "<", threshold: 100, severity: info}
"""


def _report(result) -> Path:
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.split("report: ")[1].split()[0])


def test_three_shards_merged_equal_the_unsharded_run(tiny_suite, tmp_path):
    suite = tiny_suite(tokens=8, repeats=2, extra=EXTRA)
    out = tmp_path / "out"
    common = ("--output-dir", str(out), "--quiet", "--variant", "*/fp32/*", "--variant", "*/int8-dynamic/*")
    whole = load_report(_report(cli("run", str(suite), *common)))
    shards = [_report(cli("run", str(suite), *common, "--shard", f"{k}/3")) for k in (1, 2, 3)]
    merged_path = tmp_path / "merged.json"
    done = cli("merge", *map(str, shards), "--out", str(merged_path))
    assert done.returncode == 0, done.stderr
    merged = load_report(merged_path)
    assert [s.key for s in merged.samples] == [s.key for s in whole.samples] and len(whole.samples) == 8
    for a, b in zip(whole.samples, merged.samples):
        assert a.model_dump(exclude=TIMING) == b.model_dump(exclude=TIMING)  # token for token
    for a, b in zip(whole.variants, merged.variants):
        assert (a.id, a.status, a.scores, a.success_rate) == (b.id, b.status, b.scores, b.success_rate)
        assert a.fidelity == b.fidelity
    assert [x.model_dump() for x in whole.alerts] == [x.model_dump() for x in merged.alerts]
    assert len(merged.shards) == 3 and all(s.environment.python for s in merged.shards)
    twice = cli("merge", str(shards[0]), str(shards[0]), "--out", str(tmp_path / "bad.json"))
    assert twice.returncode == 2 and "both measured" in twice.stderr
