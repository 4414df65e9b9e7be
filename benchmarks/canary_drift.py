"""Canaries against llama-cpp-python's server, measured: false alarms on an unchanged server, how
many probes until a swapped build is named and its answers flagged, batch invariance.

    .venv/bin/python benchmarks/canary_drift.py [--unchanged 200] [--other Q8_0] [--concurrency 4]

1. `tests/canary_llama.swap_scenario`: pins from one `evalharness run` against the embedded
   Q4_K_M GGUF and the same model quantized again by llama.cpp (--other), then `evalharness monitor
   --pin` of the Q4_K_M server for --unchanged probes, then the other build on the same port.
2. `evalharness probe URL --batch-invariance N` against each build: the canary prompts alone and
   N in flight.
Prints the figures; exit 1 when the unchanged server raised an alert or the swap went unnoticed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import NormalDist

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evalharness.tasks.stats import proportion_interval  # noqa: E402
from tests.canary_llama import swap_scenario  # noqa: E402
from tests.llama_server import ALIAS, llama_cpp_server, requantized  # noqa: E402


def upper_95(failures: int, n: int) -> float:
    """The one-sided 95% upper bound on a rate: the harness's Wilson score interval at z = 1.645."""
    return proportion_interval(failures, n, z=NormalDist().inv_cdf(0.95))[1]


def batch(url: str, concurrency: int) -> str:
    proc = subprocess.run([sys.executable, "-m", "evalharness", "probe", url, "--model", ALIAS, "--max-tokens", "24",
                           "--batch-invariance", str(concurrency)], capture_output=True, text=True, cwd=ROOT)
    return (proc.stdout + proc.stderr).strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--unchanged", type=int, default=200)
    ap.add_argument("--other", default="Q8_0", help="the build swapped in (a llama.cpp ftype)")
    ap.add_argument("--concurrency", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="evalharness-canary-") as tmp:
        f = swap_scenario(Path(tmp), args.unchanged, args.other, log=lambda s: print(s, flush=True))
    c = f["start"]["canary"]
    n, exact = f["unchanged_probes"], f["unchanged_exact"]
    print(f"design: p0 {c['p0']}, p1 {c['p1']}, h {c['h']:.2f}, ARL0 {c['arl0_probes']:,.0f} probes, "
          f"ARL1 {c['arl1_probes']:.1f} probes, {c['probes_per_day']:,.0f} probes a day "
          f"-> {c['false_alarms_per_day']:.4f} false alarms a day")
    print(f"unchanged Q4_K_M server: {n} probes, {exact} as pinned, canary alerts {len(f['unchanged_alerts'])}; "
          f"mismatch rate {(n - exact) / n:.3f} (95% upper bound {upper_95(n - exact, n):.3f}, design p0 {c['p0']})")
    print(f"swapped to {args.other}: {f['swapped_probes']} probes, {f['swapped_exact']} equal to Q4_K_M's pins; "
          f"variant-changed after {f['changed_delay']} probes (now {f['changed_to']}), answers-drifted after "
          f"{f['drift_delay']} probes")
    for rule, message in f["alerts"]:
        print(f"  {rule}: {message}")
    # llama-cpp-python's server cuts a stream short when another request arrives
    # (interrupt_requests, on by default); with it off, requests queue
    for name, model, extra in (("Q4_K_M", None, ()), ("Q4_K_M, --interrupt_requests False", None,
                                                      ("--interrupt_requests", "False")),
                               (args.other, requantized(args.other), ("--interrupt_requests", "False"))):
        with llama_cpp_server(model=model, extra=extra) as url:
            print(f"{name}: {batch(url, 1)}")
            print(f"{name}: {batch(url, args.concurrency)}")
    sys.exit(0 if not f["unchanged_alerts"] and f["drift_delay"] is not None else 1)


if __name__ == "__main__":
    main()
