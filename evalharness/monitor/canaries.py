"""`monitor --pin RUN.json` / `--pin-first`: the pins, a CanaryWatch on every target, and the
start record's description of the CUSUM's design."""

from __future__ import annotations

import argparse
from typing import Any

from evalharness.canary import pins as pinning
from evalharness.canary.cusum import design
from evalharness.canary.watch import CanaryWatch
from evalharness.monitor.loop import Target
from evalharness.reports.monitor import CanaryDesign


def canary_pins(args: argparse.Namespace, case_ids: list[str]) -> pinning.Pins | None:
    """The pins the flags ask for (None without --pin / --pin-first). ValueError names a pin file
    or variant that does not fit the suite."""
    if args.pin is None and not args.pin_first:
        if args.pin_variant:
            raise ValueError("--pin-variant needs --pin RUN.json")
        return None
    if args.pin is None:
        return pinning.first_window()
    pins = pinning.from_reports(args.pin, set(case_ids))
    if args.pin_variant and args.pin_variant not in pins.variants:
        raise ValueError(f"--pin-variant {args.pin_variant}: not a variant of {pins.source} "
                         f"(it has {', '.join(pins.variants)})")
    return pins


def attach_canaries(args: argparse.Namespace, spec: Any, pins: pinning.Pins, targets: list[Target],
                    interval_s: float) -> CanaryDesign:
    """A CanaryWatch on every target (each learns its own pins with --pin-first)."""
    d = design(spec.p0, spec.p1, 86400 / interval_s, spec.false_alarms_per_day)
    for t in targets:
        own = pinning.first_window() if pins.learn else pins
        t.canary = CanaryWatch(t.name, own, d, args.pin_variant, spec.match_window, spec.confident)
    return CanaryDesign(pins=str(pins.source), variants=list(pins.variants), cases=sorted(pins.cases()),
                        unstable=pins.unstable, reference=args.pin_variant, max_tokens=pins.max_tokens, p0=d.p0,
                        p1=d.p1, h=d.h, arl0_probes=d.arl0, arl1_probes=d.arl1, probes_per_day=d.probes_per_day,
                        false_alarms_per_day=d.false_alarms_per_day, match_window=spec.match_window,
                        confident=spec.confident)


def describe_canaries(canary: CanaryDesign, max_tokens: int) -> str:
    days = canary.arl0_probes / canary.probes_per_day
    unstable = sum(len(v) for v in canary.unstable.values())
    return (f"canaries: {len(canary.cases) or 'each'} case(s) against {len(canary.variants)} pinned "
            f"variant(s) from {canary.pins}, {max_tokens} tokens each; drift CUSUM h={canary.h:.2f}: one "
            f"false alarm per {days:,.0f} days while the reference answers like its pins {1 - canary.p0:.0%} "
            f"of the time, {canary.arl1_probes:.1f} probes to detect a change that breaks "
            f"{canary.p1:.0%} of the canaries"
            + (f"; {unstable} pinned case(s) answered differently across the run's repeats" if unstable else ""))
