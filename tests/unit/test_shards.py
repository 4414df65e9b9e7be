"""CI shards: a deterministic split of the (case, repeat) units, and the merge of the parts into
the report an unsharded run writes (statistics from the raw samples), or a clear refusal."""

import json

import pytest

from evalharness.commands.main import main
from evalharness.reports import load_report
from evalharness.reports.schema import RunConfig
from evalharness.runner import Runner, RunOptions
from evalharness.runner.merge import MergeError, merge_reports, missing_shards
from evalharness.runner.plan import in_shard, parse_shard
from evalharness.suite import load_suite
from tests.unit.test_runner import SUITE, Factory

TIMING = {"latency_s", "ttft_s", "prefill_tokens_per_s", "decode_tokens_per_s", "inter_token_latency_s",
          "peak_rss_mb", "gpu_peak_mb", "gpu_device_used_mb"}
# five cases x three repeats: shards of uneven size, and a p95 that averaging shards would get wrong
MANY = SUITE.replace("repeats: 2", "repeats: 3").replace("""  - id: count
    messages: [{role: user, content: "count to three"}]""", """  - id: count
    messages: [{role: user, content: "count to three"}]
  - {id: c3, prompt: "three"}
  - {id: c4, prompt: "four"}
  - {id: c5, prompt: "five"}""")


@pytest.mark.parametrize("cases,repeats,n", [(2, 2, 3), (5, 3, 4), (1, 1, 3), (7, 2, 1)])
def test_every_unit_is_in_exactly_one_shard_and_shards_are_even(cases, repeats, n):
    counts = []
    for k in range(1, n + 1):
        mine = [(i, r) for i in range(cases) for r in range(repeats) if in_shard(f"{k}/{n}", i, r, cases)]
        counts.append(len(mine))
    assert sum(counts) == cases * repeats and max(counts) - min(counts) <= 1
    for i in range(cases):
        for r in range(repeats):
            assert sum(in_shard(f"{k}/{n}", i, r, cases) for k in range(1, n + 1)) == 1


@pytest.mark.parametrize("bad", ["0/3", "4/3", "3", "a/b", "1/0", "-1/2"])
def test_bad_shards_are_refused_with_the_form(bad):
    with pytest.raises(ValueError, match="K/N"):
        parse_shard(bad)


def test_planned_samples_count_a_shard():
    from evalharness.reports.schema import RunHeader

    cfg = RunConfig(warmup=0, repeats=3, generation={}, scorers=[], cases=5, shard="2/4")
    header = RunHeader.model_construct(plan=[object(), object()], config=cfg)
    assert header.planned_samples == 2 * sum(in_shard("2/4", i, r, 5) for i in range(5) for r in range(3))


def _runs(write_suite, tmp_path, text=MANY, n=4):
    loaded = load_suite(write_suite(text))
    def run(shard, rid):
        opts = RunOptions(output_dir=tmp_path / "results", isolation="none", shard=shard)
        return Runner(loaded, opts, factory=Factory()).run(run_id=rid)
    whole = run(None, "whole")
    parts = [run(f"{k}/{n}", f"part{k}") for k in range(1, n + 1)]
    return loaded, whole, parts


def test_merged_shards_equal_the_unsharded_run(write_suite, tmp_path):
    loaded, whole, parts = _runs(write_suite, tmp_path)
    assert [len(p.report.samples) for p in parts] == [16, 16, 16, 12]  # 15 units in 4 shards x 4 variants
    merged = merge_reports([p.report for p in parts], ["p1", "p2", "p3", "p4"], loaded)
    a, b = whole.report, merged
    assert [s.key for s in a.samples] == [s.key for s in b.samples]
    for x, y in zip(a.samples, b.samples):
        assert x.model_dump(exclude=TIMING) == y.model_dump(exclude=TIMING)
    for x, y in zip(a.variants, b.variants):
        assert x.scores == y.scores and x.success_rate == y.success_rate and x.status == y.status
        assert x.fidelity == y.fidelity
        # percentiles recomputed from every raw sample, as one run does (the fake clock is exact)
        assert x.summary["latency_s"] == y.summary["latency_s"]
    assert [al.model_dump() for al in a.alerts] == [al.model_dump() for al in b.alerts]
    assert b.status == "complete" and b.config.shard is None and a.config == b.config
    assert [s.shard for s in b.shards] == ["1/4", "2/4", "3/4", "4/4"]
    assert [s.run_id for s in b.shards] == ["part1", "part2", "part3", "part4"]


def test_a_shard_twice_another_suite_or_another_split_is_refused(write_suite, tmp_path):
    loaded, whole, parts = _runs(write_suite, tmp_path)
    reports = [p.report for p in parts]
    with pytest.raises(MergeError, match="p1 and p1b both measured variant 'a/fp32/cpu'"):
        merge_reports([reports[0], reports[0]], ["p1", "p1b"], loaded)
    with pytest.raises(MergeError, match="both measured"):
        merge_reports([whole.report, reports[1]], ["whole", "p2"], loaded)
    other = reports[1].model_copy(update={"suite": reports[1].suite.model_copy(update={"sha256": "f" * 64})})
    with pytest.raises(MergeError, match="merge parts of one suite only"):
        merge_reports([reports[0], other], ["p1", "p2"], loaded)
    split = reports[1].model_copy(update={"config": reports[1].config.model_copy(update={"shard": "2/5"})})
    with pytest.raises(MergeError, match="different splits"):
        merge_reports([reports[0], split], ["p1", "p2"], loaded)
    repeats = reports[1].model_copy(update={"config": reports[1].config.model_copy(update={"repeats": 9})})
    with pytest.raises(MergeError, match="differ in repeats"):
        merge_reports([reports[0], repeats], ["p1", "p2"], loaded)


def test_missing_shards_make_a_partial_report(write_suite, tmp_path):
    loaded, _, parts = _runs(write_suite, tmp_path)
    reports = [parts[0].report, parts[2].report, parts[3].report]
    assert missing_shards(reports) == ["2/4"]
    assert merge_reports(reports, ["p1", "p3", "p4"], loaded).status == "partial"


def test_merge_command_writes_the_report_and_exits_2_on_overlap(write_suite, tmp_path, capsys):
    _, _, parts = _runs(write_suite, tmp_path)
    out = tmp_path / "merged.json"
    paths = [str(p.report_path) for p in parts]
    assert main(["merge", *paths, "--out", str(out)]) == 0
    assert len(load_report(out).samples) == 60 and json.loads(out.read_text())["shards"]
    assert main(["merge", paths[0], paths[0], "--out", str(tmp_path / "x.json")]) == 2
    assert "both measured" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()
    assert main(["run", "--shard", "4/3", "--output-dir", str(tmp_path)]) == 2
    assert "--shard '4/3'" in capsys.readouterr().err
