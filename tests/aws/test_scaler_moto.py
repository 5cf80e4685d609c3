"""spotq's scaler loop against moto server's SQS, ECS and DynamoDB: from zero on the first job,
the policy's count for a backlog, back to zero after the hold, state kept between invocations,
and a failed or throttled call leaving the desired count alone with the reason logged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from spotq.aws.scaler import store
from spotq.aws.scaler.loop import Clients, Scaler, run_invocation
from spotq.aws.session import AwsConfig

from .scaler_env import FakeClock, ScalerEnv, make_env


@pytest.fixture
def env(aws_env: AwsConfig, unique_name: str) -> ScalerEnv:
    return make_env(aws_env, unique_name, policy_params={"target_backlog_per_worker": 2.0})


def _invoke(env: ScalerEnv, clock: FakeClock, lines: list[str] | None = None) -> list[Any]:
    sink = lines if lines is not None else []
    return run_invocation(
        env.cfg, env.clients, clock=clock, sleep=clock.sleep, remaining_s=lambda: 60.0,
        emit=sink.append,
    )  # fmt: skip


def test_first_job_starts_a_task_at_the_first_tick(env: ScalerEnv) -> None:
    env.send(1)
    lines: list[str] = []
    record = Scaler(env.cfg, env.clients, store.ScalerState(), lines.append).tick(1000.0)
    assert (record["desired"], record["previous"], record["reason"]) == (1, 0, "from-zero")
    assert env.desired() == 1
    logged = json.loads(lines[0])
    assert logged["DesiredTasks"] == 1 and logged["Backlog"] == 1
    assert logged["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "spotq"


def test_backlog_across_both_queues_gets_the_policy_count(env: ScalerEnv) -> None:
    env.send(5)
    env.send(2, env.cfg.queue_urls[1])
    Scaler(env.cfg, env.clients, store.ScalerState(), lambda _: None).tick(1000.0)
    assert env.desired() == 4  # ceil(7 / 2)


def test_invocation_ticks_each_interval_and_goes_to_zero_after_the_hold(env: ScalerEnv) -> None:
    clock = FakeClock()
    env.send(3)
    start_s = clock.now_s
    first = _invoke(env, clock)
    assert [r["at_s"] for r in first] == [start_s + 15 * i for i in range(4)]
    assert env.desired() == 2
    handles = env.receive(3)
    env.delete(handles)  # the work is done; the queue is idle
    clock.sleep(15.0)  # the next scheduled invocation
    second = _invoke(env, clock)
    assert [r["reason"] for r in second] == ["idle-hold"] * 4
    assert env.desired() == 2  # idle for 45 s: held (idle_to_zero_s is 60)
    clock.sleep(15.0)
    third = _invoke(env, clock)
    assert third[0]["reason"] == "idle-to-min"
    assert env.desired() == 0
    saved = store.load(env.clients.dynamodb, env.cfg.table, env.cfg.state_key)
    assert saved.policy is not None and saved.policy["idle_since_s"] is not None


def test_arrivals_are_counted_from_the_job_table(env: ScalerEnv) -> None:
    clock = FakeClock()
    _invoke(env, clock)  # starts the count (nothing submitted before it is counted)
    clock.sleep(15.0)
    env.submit(clock.now_s - 10.0, clock.now_s - 5.0, clock.now_s + 100.0)
    records = _invoke(env, clock)
    assert records[0]["arrived"] == 2  # the one stamped in the future is counted later
    assert records[-1]["arrived"] == 2
    clock.sleep(100.0)
    assert _invoke(env, clock)[0]["arrived"] == 3


class _Failing:
    """A client whose `method` raises the given AWS error code; everything else goes through."""

    def __init__(self, inner: Any, method: str, code: str) -> None:
        self._inner, self._method, self._code = inner, method, code

    def __getattr__(self, name: str) -> Any:
        if name == self._method:

            def fail(**_: Any) -> Any:
                raise ClientError({"Error": {"Code": self._code, "Message": "slow down"}}, name)

            return fail
        return getattr(self._inner, name)


@pytest.mark.parametrize(
    ("service", "method"),
    [("ecs", "describe_services"), ("sqs", "get_queue_attributes"), ("dynamodb", "query")],
)
def test_a_throttled_read_leaves_the_count_and_says_why(
    env: ScalerEnv, service: str, method: str
) -> None:
    env.set_desired(3)
    env.send(20)
    clients = {"sqs": env.clients.sqs, "ecs": env.clients.ecs, "dynamodb": env.clients.dynamodb}
    clients[service] = _Failing(clients[service], method, "ThrottlingException")
    lines: list[str] = []
    state = store.ScalerState(counted_to_s=900.0)
    record = Scaler(env.cfg, Clients(**clients), state, lines.append).tick(1000.0)
    assert record["event"] == "skip"
    assert "ThrottlingException" in record["reason"]
    assert json.loads(lines[0])["reason"] == record["reason"]
    assert env.desired() == 3


def test_a_missing_queue_or_service_leaves_the_count(env: ScalerEnv) -> None:
    from dataclasses import replace

    env.set_desired(2)
    for cfg in (
        replace(env.cfg, queue_urls=(env.cfg.queue_urls[0] + "-gone",)),
        replace(env.cfg, service="no-such-service"),
    ):
        record = Scaler(cfg, env.clients, store.ScalerState(), lambda _: None).tick(1000.0)
        assert record["event"] == "skip", record
    assert env.desired() == 2


def test_a_failed_update_is_logged_and_retried_next_tick(env: ScalerEnv) -> None:
    env.send(4)
    failing = Clients(env.clients.sqs, _Failing(env.clients.ecs, "update_service", "AccessDenied"),
                      env.clients.dynamodb)  # fmt: skip
    scaler = Scaler(env.cfg, failing, store.ScalerState(), lambda _: None)
    record = scaler.tick(1000.0)
    assert record["applied"] is False and "AccessDenied" in record["error"]
    assert env.desired() == 0
    scaler.clients = env.clients
    assert scaler.tick(1015.0)["applied"] is True
    assert env.desired() == 2
