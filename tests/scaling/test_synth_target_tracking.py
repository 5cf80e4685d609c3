"""The model of what synth's aws-target-tracking engine deploys: late 1-minute datapoints, a step
alarm for 0→1, 3/15-datapoint target tracking, and the wake-up delay of an inactive queue."""

from __future__ import annotations

from spotq.scaling.base import Observation
from spotq.scaling.synth_target_tracking import SynthTargetTrackingPolicy


def _first_start_s(policy: SynthTargetTrackingPolicy, job_at_s: float) -> float:
    """Tick every 15 s with nothing to do until `job_at_s`, then one waiting message."""
    t = 0.0
    while True:
        visible = 1 if t >= job_at_s else 0
        if policy.desired(Observation(t, visible, 0, 0)) > 0:
            return t - job_at_s
        t += 15.0


def test_first_job_waits_for_a_late_datapoint() -> None:
    waited = _first_start_s(SynthTargetTrackingPolicy(), job_at_s=600.0)
    assert 90.0 <= waited <= 180.0  # next minute's datapoint, published 90 s late


def test_a_queue_idle_for_six_hours_wakes_fifteen_minutes_late() -> None:
    waited = _first_start_s(SynthTargetTrackingPolicy(), job_at_s=7 * 3600.0)
    assert waited >= 15 * 60.0


def test_scale_in_takes_fifteen_low_datapoints() -> None:
    policy = SynthTargetTrackingPolicy(target_backlog_per_worker=1.0)
    t, workers = 0.0, 3
    policy.desired(Observation(t, 0, 3, workers, busy=3))
    while workers == 3:
        t += 15.0
        workers = policy.desired(Observation(t, 0, 0, 3))
    assert t >= 15 * 60.0
