"""When requests are sent: the arrival processes of open-loop load (pure, seeded).

Constant rate: one request every 1/rate seconds. Gamma arrivals (vLLM's `burstiness`):
inter-arrival times drawn from Gamma(shape=burstiness, scale=1/(rate*burstiness)), mean 1/rate
whatever the burstiness; burstiness 1 is a Poisson process (exponential gaps, coefficient of
variation 1), below 1 burstier (CV = 1/sqrt(burstiness)), above 1 more regular.
"""

from __future__ import annotations

import random


def constant_offsets(rate: float, n: int) -> list[float]:
    """Send times (seconds from the stage's start) of `n` requests at a constant rate."""
    if rate <= 0:
        raise ValueError("the rate must be above 0 requests/s")
    return [i / rate for i in range(n)]


def gamma_offsets(rate: float, n: int, burstiness: float = 1.0, seed: int = 0) -> list[float]:
    """Send times of `n` requests whose gaps are Gamma(burstiness, 1/(rate*burstiness)); the
    first request goes at 0."""
    if rate <= 0:
        raise ValueError("the rate must be above 0 requests/s")
    if burstiness <= 0:
        raise ValueError("burstiness must be above 0 (1 = Poisson)")
    rng = random.Random(seed)
    out, t = [], 0.0
    for _ in range(n):
        out.append(t)
        t += rng.gammavariate(burstiness, 1.0 / (rate * burstiness))
    return out
