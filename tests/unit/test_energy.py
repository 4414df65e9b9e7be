"""Energy from real counters: NVML (a fake driver here), RAPL (a fake powercap tree), and null
with the reason where the machine has neither."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from evalharness.measure import energy
from evalharness.measure.energy import EnergyWindow, RaplEnergy, Unavailable, counter_for, rapl_domains
from evalharness.reports.schema import Sample
from evalharness.runner.assemble import energy_summary


class FakeNVMLError(Exception):
    pass


def fake_nvml(readings_mj: list[int], supported: bool = True) -> SimpleNamespace:
    it = iter(readings_mj)

    def total(handle: str) -> int:
        if not supported:
            raise FakeNVMLError("Not Supported")
        assert handle == "h1"
        return next(it)

    return SimpleNamespace(NVMLError=FakeNVMLError, nvmlDeviceGetHandleByIndex=lambda i: f"h{i}",
                           nvmlDeviceGetTotalEnergyConsumption=total)


def test_nvml_counter_gives_joules_of_the_window_on_the_variants_gpu():
    # first reading: the probe at construction; then the window's start and end (mJ since load)
    counter = counter_for("cuda:1", nvml=fake_nvml([5_000_000, 5_000_100, 5_012_600]))
    assert not isinstance(counter, Unavailable)
    with EnergyWindow(counter) as window:
        pass
    assert window.figure.joules == pytest.approx(12.5)
    assert window.figure.method == "nvml total energy (cuda:1)"
    assert window.figure.missing is None


def test_nvml_without_the_energy_counter_is_null_with_the_reason():
    counter = counter_for("cuda:1", nvml=fake_nvml([], supported=False))
    assert isinstance(counter, Unavailable)
    assert "Not Supported" in counter.reason
    with EnergyWindow(counter) as window:
        pass
    assert window.figure.joules is None and "Volta" in window.figure.missing


def write_zone(folder: Path, name: str, energy_uj: int, max_uj: int = 1_000_000) -> None:
    folder.mkdir(parents=True)
    (folder / "name").write_text(name + "\n")
    (folder / "energy_uj").write_text(f"{energy_uj}\n")
    (folder / "max_energy_range_uj").write_text(f"{max_uj}\n")


def test_rapl_sums_packages_and_dram_and_unwraps(tmp_path):
    write_zone(tmp_path / "intel-rapl:0", "package-0", 999_000)
    write_zone(tmp_path / "intel-rapl:0" / "intel-rapl:0:0", "core", 10)  # inside the package's count
    write_zone(tmp_path / "intel-rapl:0" / "intel-rapl:0:1", "dram", 100)
    write_zone(tmp_path / "intel-rapl:1", "package-1", 0)
    counter = counter_for("cpu", root=tmp_path)
    assert isinstance(counter, RaplEnergy)
    assert counter.method == "rapl package-0+dram+package-1"
    with EnergyWindow(counter) as window:
        (tmp_path / "intel-rapl:0" / "energy_uj").write_text("1000\n")  # wrapped: +2000 uJ
        (tmp_path / "intel-rapl:0" / "intel-rapl:0:0" / "energy_uj").write_text("900000\n")  # not counted
        (tmp_path / "intel-rapl:0" / "intel-rapl:0:1" / "energy_uj").write_text("600\n")  # +500
        (tmp_path / "intel-rapl:1" / "energy_uj").write_text("3000000\n")  # +3 J
    assert window.figure.joules == pytest.approx(0.002 + 0.0005 + 3.0)


def test_rapl_missing_or_root_only_is_null_with_the_reason(tmp_path, monkeypatch):
    missing = rapl_domains(tmp_path / "nothing")
    assert isinstance(missing, Unavailable) and "no RAPL counters" in missing.reason
    write_zone(tmp_path / "intel-rapl:0", "package-0", 5)
    real_read = Path.read_text

    def root_only(path: Path, *a, **k) -> str:
        if path.name == "energy_uj":
            raise PermissionError(13, "Permission denied")
        return real_read(path, *a, **k)

    monkeypatch.setattr(Path, "read_text", root_only)
    denied = rapl_domains(tmp_path)
    assert isinstance(denied, Unavailable) and "root only" in denied.reason


def test_this_machine_reports_a_real_counter_or_the_reason():
    counter = counter_for("cpu")
    if isinstance(counter, Unavailable):
        assert counter.reason  # e.g. "this machine has no RAPL counters (/sys/class/powercap ...)"
        return
    before = counter.joules()
    sum(i * i for i in range(2_000_000))
    assert counter.joules() >= before


def sample(j: float | None, tokens: int, method: str | None = "rapl package-0", missing: str | None = None) -> Sample:
    return Sample(variant_id="v", case_id="c", repeat=0, prompt="p", success=True, error=None, output="x",
                  output_tokens=tokens, latency_s=1.0, ttft_s=0.1, prefill_tokens_per_s=None,
                  decode_tokens_per_s=None, peak_rss_mb=None, gpu_peak_mb=None, energy_j=j,
                  energy_method=method if j is not None else None, energy_missing=missing)


def test_variant_energy_is_the_sum_over_answers_per_output_token():
    summary = energy_summary([sample(3.0, 10), sample(1.0, 30)])
    assert summary.energy_j == pytest.approx(4.0)
    assert summary.energy_j_per_token == pytest.approx(0.1)  # 4 J / 40 tokens, not the mean of ratios
    assert summary.energy_method == "rapl package-0"


def test_variant_energy_is_null_when_any_answer_was_not_measured():
    none = energy_summary([sample(None, 10, missing="no RAPL here")] * 2)
    assert none.energy_j is None and none.energy_missing == "no RAPL here"
    part = energy_summary([sample(2.0, 10), sample(None, 10, missing="counter stopped")])
    assert part.energy_j is None and part.energy_missing.startswith("1 of 2 answers")


def test_switched_off_by_environment(monkeypatch):
    monkeypatch.setenv("EVALHARNESS_NO_ENERGY", "1")
    assert isinstance(energy.counter_for("cpu"), Unavailable)


def test_a_run_reports_each_variants_energy_from_the_counter(write_suite, tmp_path, monkeypatch):
    """Through the runner: every sample's window is read, the variant sums them per output token."""
    from evalharness.reports import load_report
    from evalharness.runner import Runner, RunOptions
    from evalharness.suite import load_suite
    from tests.unit.test_runner import SUITE, Factory

    write_zone(tmp_path / "rapl" / "intel-rapl:0", "package-0", 0, max_uj=10**12)
    monkeypatch.setattr(energy, "POWERCAP", tmp_path / "rapl")
    reads = iter(range(0, 10**9, 250_000))  # every read 0.25 J later than the one before
    monkeypatch.setattr(energy.RaplDomain, "read_uj", lambda self: next(reads))
    outcome = Runner(load_suite(write_suite(SUITE)), RunOptions(output_dir=tmp_path / "r", isolation="none"),
                     factory=Factory()).run(run_id="e1")
    report = load_report(outcome.report_path)
    ok = [s for s in report.samples if s.success]
    assert ok and all(s.energy_j == pytest.approx(0.25) and s.energy_method == "rapl package-0" for s in ok)
    for v in report.variants:
        mine = [s for s in ok if s.variant_id == v.id]
        assert v.energy.energy_j == pytest.approx(0.25 * len(mine))
        assert v.energy.energy_j_per_token == pytest.approx(0.25 * len(mine) / sum(s.output_tokens for s in mine))
