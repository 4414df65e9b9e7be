"""GPU code paths, exercised with a fake torch.cuda on this CPU-only machine."""

import pytest
import torch

from evalharness.measure import gpu
from evalharness.measure.clock import clock_for_device, cuda_synchronized_clock, monotonic_clock


class FakeCuda:
    def __init__(self):
        self.calls = []
        self.peak = 0

    def synchronize(self, device=None):
        self.calls.append(("sync", device))

    def reset_peak_memory_stats(self, device=None):
        self.calls.append(("reset", device))
        self.peak = 0

    def max_memory_allocated(self, device=None):
        return self.peak

    def is_available(self):
        return True


@pytest.fixture
def fake_cuda(monkeypatch):
    fake = FakeCuda()
    for name in ("synchronize", "reset_peak_memory_stats", "max_memory_allocated", "is_available"):
        monkeypatch.setattr(torch.cuda, name, getattr(fake, name))
    return fake


def test_peak_is_reset_per_phase_and_read_after_sync(fake_cuda):
    gpu.reset_peak("cuda:0")
    fake_cuda.peak = 512 * 1024 * 1024
    assert gpu.torch_peak_allocated_mb("cuda:0") == 512
    assert fake_cuda.calls == [("sync", "cuda:0"), ("reset", "cuda:0"), ("sync", "cuda:0")]
    gpu.reset_peak("cuda:0")
    assert gpu.torch_peak_allocated_mb("cuda:0") == 0


def test_cuda_clock_synchronizes_before_reading(fake_cuda):
    clock = clock_for_device("cuda:1")
    t1, t2 = clock(), clock()
    assert t2 >= t1
    assert fake_cuda.calls == [("sync", "cuda:1"), ("sync", "cuda:1")]
    assert clock_for_device("cpu") is monotonic_clock
    assert cuda_synchronized_clock("cuda")() > 0


def test_cpu_device_never_touches_cuda(fake_cuda):
    gpu.reset_peak("cpu")
    assert gpu.torch_peak_allocated_mb("cpu") is None
    assert fake_cuda.calls == []


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_real_gpu_peak_memory():
    gpu.reset_peak("cuda")
    x = torch.empty(64 * 1024 * 1024, dtype=torch.uint8, device="cuda")
    assert gpu.torch_peak_allocated_mb("cuda") >= 64
    del x
