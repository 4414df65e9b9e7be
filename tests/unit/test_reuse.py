"""--reuse: unchanged cells are taken from earlier runs (nothing generated), a changed case is
generated again, timings are taken only with --reuse-timings, scores are recomputed."""

import pytest

from evalharness.commands.main import main
from evalharness.runner import Runner, RunOptions
from evalharness.runner.reuse import reuse_key
from evalharness.suite import load_suite
from tests.unit.test_runner import SUITE, Factory

PINNED = SUITE.replace("id: org/model-a\n", "id: org/model-a\n    revision: abc123\n").replace(
    "id: org/model-b\n", "id: org/model-b\n    revision: abc123\n")


def _run(write_suite, tmp_path, text=PINNED, **options):
    factory = Factory()
    loaded = load_suite(write_suite(text))
    opts = RunOptions(output_dir=tmp_path / "results", isolation="none", **options)
    return Runner(loaded, opts, factory=factory).run(), factory


def test_an_unchanged_suite_generates_nothing_and_scores_anew(write_suite, tmp_path):
    first, made = _run(write_suite, tmp_path)
    assert made.generated == 4 * (1 + 2 * 2)
    assert all(s.reuse_key for s in first.report.samples)
    again, factory = _run(write_suite, tmp_path, reuse=True)
    assert factory.generated == 0  # no warm-up either
    report = again.report
    assert len(report.samples) == 16 and {s.reused_from for s in report.samples} == {first.report.run_id}
    for old, new in zip(first.report.samples, report.samples):
        assert (new.output, new.output_ids, new.output_tokens) == (old.output, old.output_ids, old.output_tokens)
        assert new.scores == old.scores and new.scores  # recomputed by the current scorers
        assert new.latency_s is None and new.ttft_s is None and new.peak_rss_mb is None
    v = report.variants[0]
    assert v.summary["latency_s"].n == 0 and v.success_rate == 1.0 and v.scores == first.report.variants[0].scores
    assert v.load.seconds is not None  # the variant was loaded: load figures are measured anew
    # a run reusing a reused sample names the run that generated it
    third, factory = _run(write_suite, tmp_path, reuse=True)
    assert factory.generated == 0 and {s.reused_from for s in third.report.samples} == {first.report.run_id}


def test_changing_one_case_generates_only_it(write_suite, tmp_path):
    first, _ = _run(write_suite, tmp_path)
    changed = PINNED.replace('prompt: "The capital of France is"', 'prompt: "The capital of Italy is"')
    again, factory = _run(write_suite, tmp_path, text=changed, reuse=True)
    assert factory.generated == 4 * (1 + 2)  # each variant: a warm-up and the changed case's 2 repeats
    fresh = [s for s in again.report.samples if s.reused_from is None]
    assert {s.case_id for s in fresh} == {"paris"} and len(fresh) == 8
    assert all(s.latency_s is not None for s in fresh)


def test_reuse_timings_takes_the_earlier_timings(write_suite, tmp_path):
    first, _ = _run(write_suite, tmp_path)
    again, factory = _run(write_suite, tmp_path, reuse=True, reuse_timings=True)
    assert factory.generated == 0
    assert [s.latency_s for s in again.report.samples] == [s.latency_s for s in first.report.samples]
    assert again.report.variants[0].summary["latency_s"].n == 4


def test_a_model_without_a_fingerprint_is_always_generated(write_suite, tmp_path):
    _run(write_suite, tmp_path, text=SUITE)  # hub ids without a revision: the weights may change
    again, factory = _run(write_suite, tmp_path, text=SUITE, reuse=True)
    assert factory.generated == 4 * (1 + 2 * 2)
    assert all(s.reuse_key is None and s.reused_from is None for s in again.report.samples)


def test_the_key_changes_with_everything_that_decides_the_output(write_suite):
    from evalharness.runner.plan import plan_variants
    from evalharness.runtimes import GenParams

    plans = plan_variants(load_suite(write_suite(PINNED)).suite, "cpu")
    params = GenParams(max_new_tokens=6, min_new_tokens=0, do_sample=False, temperature=1.0, top_p=1.0, seed=0)
    base = reuse_key(plans[0], "w", params, [1, 2, 3], 0)
    assert base == reuse_key(plans[0], "w", params, [1, 2, 3], 0)
    others = [reuse_key(plans[1], "w", params, [1, 2, 3], 0), reuse_key(plans[0], "w2", params, [1, 2, 3], 0),
              reuse_key(plans[0], "w", GenParams(7, 0, False, 1.0, 1.0, 0), [1, 2, 3], 0),
              reuse_key(plans[0], "w", params, [1, 2, 4], 0), reuse_key(plans[0], "w", params, [1, 2, 3], 1)]
    assert len({base, *others}) == 6
    assert reuse_key(plans[0], None, params, [1], 0) is None


def test_the_cli_says_what_it_reused(tiny_cli_suite, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(tiny_cli_suite), "--output-dir", str(out), "--quiet", "--isolation", "none",
                 "--variant", "*/fp32/*", "--reuse"]) == 0
    assert "reuse: 0 of 2 samples reused from earlier runs; 2 generated" in capsys.readouterr().out
    assert main(["run", str(tiny_cli_suite), "--output-dir", str(out), "--quiet", "--isolation", "none",
                 "--variant", "*/fp32/*", "--reuse"]) == 0
    said = capsys.readouterr().out
    assert "reuse: 2 of 2 samples reused from earlier runs (from " in said and "; nothing new generated" in said


@pytest.fixture
def tiny_cli_suite(write_suite):
    return write_suite("""
    name: tinyreuse
    models: [{source: tiny-random, id: tiny-random-gemma3}]
    quantizations: [fp32]
    device: cpu
    generation: {max_new_tokens: 4}
    warmup: 1
    repeats: 1
    cases:
      - {id: a, prompt: "Hello there"}
      - {id: b, prompt: "Count to three"}
    """)


def test_every_measured_field_is_kept_or_generated_and_no_metric_slips_through():
    """A new field on Measurement must be declared: taken from the earlier output (KEPT) or
    measured by a generation (Measured / GENERATED, null on a reused sample). Every per-sample
    metric of metrics.py that is not an output count is generated."""
    from evalharness import metrics
    from evalharness.reports.schema import Measurement, generated_fields
    from evalharness.runner.reuse import KEPT

    generated = set(generated_fields())
    assert not generated & set(KEPT)
    assert set(Measurement.model_fields) == generated | set(KEPT)
    for field in metrics.sample_fields():
        assert field in generated or field in KEPT, field
    assert {"latency_s", "ttft_s", "decode_tokens_per_s", "peak_rss_mb", "energy_j", "energy_method"} <= generated


def test_a_reused_sample_leaves_every_generated_figure_null():
    from evalharness.reports.schema import Sample, generated_fields
    from evalharness.runner.reuse import reused

    figures = {f: 1.0 for f in generated_fields()} | {"energy_method": "rapl"}
    earlier = Sample(variant_id="v", case_id="c", repeat=0, prompt="p", success=True, error=None, output="x",
                     output_tokens=3, **figures)
    again = reused(earlier, {"repeat": 1}, timings=False)
    assert all(getattr(again, f) is None for f in generated_fields())
    assert (again.output, again.output_tokens, again.repeat) == ("x", 3, 1)
    assert reused(earlier, {}, timings=True).energy_j == 1.0
