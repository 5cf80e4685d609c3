"""spotq-default's state survives a JSON round trip: a policy rebuilt from a snapshot after every
decision (as the AWS scaler is, once a minute) decides exactly what one long-lived policy does."""

from __future__ import annotations

import json
import random

from spotq.scaling.base import Observation
from spotq.scaling.spotq_default import SpotqDefaultPolicy


def _observations(seed: int, ticks: int) -> list[Observation]:
    rng = random.Random(seed)
    arrived, visible, workers = 0, 0, 0
    out = []
    for tick in range(ticks):
        new = rng.choice([0, 0, 0, 1, 3, 8]) if tick < ticks * 2 // 3 else 0
        arrived += new
        visible = max(0, visible + new - workers)
        in_flight = min(workers, visible + new)
        out.append(Observation(tick * 15.0, visible, in_flight, workers, 0, in_flight, arrived))
        workers = rng.randint(0, 6)
    return out


def test_restored_policy_decides_like_the_long_lived_one() -> None:
    params = {"target_backlog_per_worker": 2.0, "startup_s": 45.0, "max_workers": 8}
    steady = SpotqDefaultPolicy(**params)  # type: ignore[arg-type]
    saved = None
    measured = False
    for obs in _observations(seed=3, ticks=300):
        fresh = SpotqDefaultPolicy(**params)  # type: ignore[arg-type]
        if saved is not None:
            fresh.restore(json.loads(saved))
        assert fresh.desired(obs) == steady.desired(obs), obs
        assert fresh.reason == steady.reason
        saved = json.dumps(fresh.snapshot())
        measured = measured or steady.rates.job_s is not None
    assert measured  # the run did carry measured rates across restores


def test_reasons_name_each_kind_of_decision() -> None:
    policy = SpotqDefaultPolicy(idle_to_zero_s=30.0, scale_in_cooldown_s=30.0)
    policy.desired(Observation(0.0, 3, 0, 0))
    assert policy.reason == "from-zero"
    policy.desired(Observation(15.0, 0, 0, 3))
    assert policy.reason == "idle-hold"
    policy.desired(Observation(45.0, 0, 0, 3))
    assert policy.reason == "idle-to-min"
