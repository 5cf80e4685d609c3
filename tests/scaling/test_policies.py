"""Each policy's documented rule, and each peer's documented failure."""

from __future__ import annotations

import pytest

from spotq.errors import ConfigError
from spotq.scaling import (
    ALL_POLICY_NAMES,
    POLICY_NAMES,
    Observation,
    ScalingPolicy,
    make_policy,
    tasks_for_backlog,
)


def drive(policy: ScalingPolicy, seconds: float, step_s: float = 15.0, **fields: int) -> list[int]:
    """Feed the same observation every step; return the desired counts."""
    out = []
    t = 0.0
    while t < seconds:
        out.append(policy.desired(Observation(now_s=t, **fields)))  # type: ignore[arg-type]
        t += step_s
    return out


def first_change_s(policy: ScalingPolicy, seconds: float, start: int, **fields: int) -> float:
    """Seconds until the desired count first differs from `start` (inf if never)."""
    for i, value in enumerate(drive(policy, seconds, **fields)):
        if value != start:
            return i * 15.0
    return float("inf")


@pytest.mark.parametrize(
    ("backlog", "workers"),
    [(0, 0), (1, 1), (5, 1), (6, 2), (10, 2), (11, 3), (15, 3)],
)
def test_tasks_for_backlog_matches_ml_worker_seed_table(backlog: int, workers: int) -> None:
    assert tasks_for_backlog(backlog, 5) == workers


def test_tasks_for_backlog_rejects_nonpositive_target() -> None:
    with pytest.raises(ValueError, match="target"):
        tasks_for_backlog(3, 0)


def test_registry_builds_every_policy_by_name() -> None:
    for name in ALL_POLICY_NAMES:
        assert make_policy(name).name == name
    assert POLICY_NAMES[0] == "spotq-default"


def test_registry_names_bad_names_and_parameters() -> None:
    with pytest.raises(ConfigError, match="unknown scaling policy 'nope'"):
        make_policy("nope")
    with pytest.raises(ConfigError, match="unknown parameter"):
        make_policy("keda-sqs", queue_lenght=3)


def test_spotq_default_leaves_zero_on_one_message_at_once() -> None:
    policy = make_policy("spotq-default", scale_out_cooldown_s=600)
    assert policy.desired(Observation(now_s=0.0, visible=1, in_flight=0, running=0)) == 1


def test_spotq_default_scales_out_to_backlog_over_target() -> None:
    policy = make_policy("spotq-default", target_backlog_per_worker=5, max_workers=10)
    assert policy.desired(Observation(now_s=0.0, visible=12, in_flight=0, running=0)) == 3


def test_spotq_default_scale_in_never_below_busy_and_idle_only() -> None:
    policy = make_policy("spotq-default", scale_in_cooldown_s=60)
    assert policy.idle_only_scale_in is True
    # 5 workers, 2 busy with the only 2 messages: wait out the cooldown, then keep the 2 busy.
    seen = drive(policy, 120, visible=0, in_flight=2, running=5, busy=2)
    assert seen[0] == 5
    assert seen[-1] == 2
    assert min(seen) == 2


def test_spotq_default_goes_to_zero_after_idle_period() -> None:
    policy = make_policy("spotq-default", idle_to_zero_s=90)
    seen = drive(policy, 200, visible=0, in_flight=0, running=2)
    assert seen[:6] == [2] * 6  # 0..75 s
    assert seen[-1] == 0


def test_copilot_single_message_never_leaves_zero() -> None:
    # copilot-cli #3376: BacklogPerTask > target never fires for one message.
    policy = make_policy("copilot-latency", acceptable_latency_s=30, msg_processing_time_s=30)
    assert set(drive(policy, 3 * 3600, visible=1, in_flight=0, running=0)) == {0}


def test_copilot_scales_once_backlog_exceeds_target_after_three_datapoints() -> None:
    policy = make_policy("copilot-latency", acceptable_latency_s=30, msg_processing_time_s=30)
    assert first_change_s(policy, 900, 0, visible=2, in_flight=0, running=0) >= 180


def test_aws_target_tracking_takes_at_least_three_minutes_to_scale_out() -> None:
    policy = make_policy("aws-target-tracking", min_workers=1)
    changed = first_change_s(policy, 1800, 1, visible=10, in_flight=0, running=1)
    assert 180 <= changed <= 360


def test_aws_target_tracking_takes_fifteen_minutes_to_scale_in() -> None:
    policy = make_policy("aws-target-tracking", min_workers=0)
    policy.desired(Observation(now_s=0.0, visible=0, in_flight=0, running=4))
    assert first_change_s(policy, 3600, 4, visible=0, in_flight=0, running=4) >= 900


def test_aws_target_tracking_never_leaves_zero_without_a_task() -> None:
    policy = make_policy("aws-target-tracking", min_workers=0)
    assert set(drive(policy, 3600, visible=50, in_flight=0, running=0)) == {0}


def test_cdk_steps_ignore_fewer_than_100_messages() -> None:
    policy = make_policy("cdk-steps", cpu_target_pct=None)
    assert set(drive(policy, 3600, visible=99, in_flight=0, running=1)) == {1}


def test_cdk_steps_add_one_task_at_100_and_five_at_500() -> None:
    for visible, first_step in ((100, 2), (500, 6)):
        policy = make_policy("cdk-steps", cpu_target_pct=None)
        seen = drive(policy, 900, visible=visible, in_flight=0, running=1)
        assert next(v for v in seen if v != 1) == first_step


def test_keda_counts_in_flight_and_activates_on_poll() -> None:
    policy = make_policy("keda-sqs")
    assert policy.desired(Observation(now_s=0.0, visible=0, in_flight=12, running=0)) == 3


def test_keda_waits_cooldown_period_before_zero() -> None:
    policy = make_policy("keda-sqs")
    policy.desired(Observation(now_s=0.0, visible=3, in_flight=0, running=1))
    assert first_change_s(policy, 900, 1, visible=0, in_flight=0, running=1) >= 300


def test_seed_target_tracking_scale_out_cooldown() -> None:
    policy = make_policy("seed-target-tracking")
    assert policy.desired(Observation(now_s=0.0, visible=1, in_flight=0, running=0)) == 1
    assert policy.desired(Observation(now_s=30.0, visible=3, in_flight=0, running=1)) == 1
    assert policy.desired(Observation(now_s=60.0, visible=3, in_flight=0, running=1)) == 3
    assert policy.idle_only_scale_in is False


def _trickle(policy: ScalingPolicy, startup_s: float) -> list[int]:
    """A message every 20 s, picked up at once; observed every 5 s for 20 minutes."""
    out, arrived = [], 0
    for step in range(240):
        waiting = int(step % 4 == 0)
        arrived += waiting
        obs = Observation(step * 5.0, waiting, 0, 1, arrived=arrived, startup_s=startup_s)
        out.append(policy.desired(obs))
    return out


def test_spotq_default_uses_the_measured_start_up() -> None:
    # One job every 20 s. With the configured 60 s start-up a cold start costs more than staying
    # up (rate × start-up = 3 >= 1): keep warm. A fleet that measures 2 s start-ups (0.1 < 1)
    # goes back to zero between jobs, after idle_to_zero_s.
    kwargs = {"idle_to_zero_s": 10, "keep_warm_s": 600, "startup_s": 60.0}
    assert 0 not in _trickle(make_policy("spotq-default", **kwargs), startup_s=0.0)[-40:]
    measured = make_policy("spotq-default", **kwargs)
    assert 0 in _trickle(measured, startup_s=2.0)[-40:]
    assert measured.startup_s == 2.0  # type: ignore[attr-defined]
