import mmap
import time
from types import SimpleNamespace

import pytest

from evalharness.measure import memory
from evalharness.measure.clock import Timer
from evalharness.measure.gpu import device_index, nvml_reading, torch_peak_allocated_mb
from evalharness.measure.memory import PeakRSSSampler


def test_sampler_catches_a_peak_between_entry_and_exit():
    readings = iter([100, 100, 900, 100] + [100] * 10_000)
    values = []

    def fake_rss() -> int:
        v = next(readings)
        values.append(v)
        return v

    with PeakRSSSampler(interval_s=0.001, read_rss=fake_rss) as s:
        deadline = time.monotonic() + 2
        while len(values) < 5 and time.monotonic() < deadline:
            time.sleep(0.001)
    # the entry and exit readings were 100: only in-phase background sampling saw 900
    assert s.peak_bytes == 900
    assert s.samples >= 5


def test_timer_uses_injected_clock():
    ticks = iter([10.0, 12.5])
    with Timer(clock=lambda: next(ticks)) as t:
        pass
    assert t.seconds == 2.5


class FakeNVMLError(Exception):
    pass


def fake_nvml(procs):
    return SimpleNamespace(
        NVMLError=FakeNVMLError,
        nvmlDeviceGetHandleByIndex=lambda i: f"h{i}",
        nvmlDeviceGetMemoryInfo=lambda h: SimpleNamespace(used=3 * 1024**3, total=80 * 1024**3),
        nvmlDeviceGetName=lambda h: b"NVIDIA H200",
        nvmlSystemGetDriverVersion=lambda: "560.1",
        nvmlDeviceGetComputeRunningProcesses=lambda h: procs,
    )


def test_nvml_reading_device_and_process_share():
    procs = [SimpleNamespace(pid=42, usedGpuMemory=512 * 1024**2),
             SimpleNamespace(pid=7, usedGpuMemory=1024**3)]
    r = nvml_reading(0, pid=42, nvml=fake_nvml(procs))
    assert r is not None
    assert r.device_used_mb == 3072 and r.device_total_mb == 80 * 1024
    assert r.process_used_mb == 512 and r.name == "NVIDIA H200" and r.driver == "560.1"


def test_nvml_errors_give_none_not_zero():
    nv = fake_nvml([])

    def boom(i):
        raise FakeNVMLError("gone")

    nv.nvmlDeviceGetHandleByIndex = boom
    assert nvml_reading(0, nvml=nv) is None


def test_no_gpu_figures_are_none_on_cpu():
    assert torch_peak_allocated_mb("cpu") is None
    assert nvml_reading(0) is None or nvml_reading(0).device_total_mb > 0
    assert device_index("cuda") == 0 and device_index("cuda:3") == 3


def _touch(mb: int) -> None:
    # an anonymous mapping of its own, every page made resident, then unmapped: no allocator
    # (glibc's moving mmap threshold) can keep it resident after the call
    block = mmap.mmap(-1, mb * 1024 * 1024)
    for offset in range(0, len(block), mmap.PAGESIZE):
        block[offset] = 1
    block.close()


@pytest.mark.skipif(type(memory.peak_rss()) is not memory.KernelPeakRSS,
                    reason="the kernel here does not let a process reset its high-water mark")
def test_kernel_peak_sees_a_transient_allocation_and_keeps_the_lifetime_peak():
    _touch(120)  # the lifetime peak now holds 120 MB more than today's RSS
    lifetime_before = memory.high_water_mark_mb()
    with memory.peak_rss() as outer:
        base = memory.current_rss_bytes() / memory.MB
        with memory.peak_rss() as inner:
            _touch(40)  # freed before the block ends: no reading on exit sees it
        _touch(20)
    assert 38 <= inner.peak_mb - base <= 60
    assert 38 <= outer.peak_mb - base <= 60  # the inner reset did not lose the outer block's 40 MB
    with memory.peak_rss() as later:
        later_base = memory.current_rss_bytes() / memory.MB  # other threads may have grown RSS
        _touch(10)
    assert 8 <= later.peak_mb - later_base <= 25  # reset again: not the 40 MB of before
    assert memory.high_water_mark_mb() >= lifetime_before  # since the process started, still
