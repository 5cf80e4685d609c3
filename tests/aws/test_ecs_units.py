"""The ECS pieces against the fake IMDS and fake ECS agent, without a worker."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from spotq.app import AppOptions
from spotq.aws.ecs.integration import EcsEnvironment, EcsSettings, detect, ecs_hooks
from spotq.aws.ecs.protection import (
    ProtectionError,
    TaskProtectionClient,
    TaskProtectionHooks,
    expires_in_minutes,
)
from spotq.aws.ecs.spot import Imds, SpotInterruptionWatcher, check_notice
from spotq.clock import SystemClock

from .fakes import fake_ecs_agent, fake_imds


def wait_for(predicate: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def test_imds_reads_use_a_v2_token() -> None:
    with fake_imds() as (url, state):
        imds = Imds(url, clock=SystemClock())
        assert check_notice(imds) is None
        assert check_notice(imds) is None
        assert state.token_puts == 1  # one token, reused
        assert state.rejected == 0 and state.gets == 4


def test_an_expired_token_is_renewed_on_401() -> None:
    with fake_imds() as (url, state):
        imds = Imds(url, clock=SystemClock())
        assert check_notice(imds) is None
        state.revoke_tokens()
        state.instance_action = {"action": "terminate", "time": "2026-11-23T10:00:00Z"}
        assert check_notice(imds) == (
            'spot-interruption: {"action": "terminate", "time": "2026-11-23T10:00:00Z"}'
        )
        assert state.token_puts == 2


def test_rebalance_recommendation_drains_only_when_asked() -> None:
    with fake_imds() as (url, state):
        imds = Imds(url, clock=SystemClock())
        state.rebalance = {"noticeTime": "2026-11-23T10:00:00Z"}
        assert check_notice(imds, drain_on_rebalance=False) is None
        reason = check_notice(imds)
        assert reason is not None and reason.startswith("spot-rebalance-recommendation")


def test_watcher_drains_once_on_the_first_notice() -> None:
    drains: list[str] = []
    events: list[tuple[str, dict[str, Any]]] = []
    with fake_imds() as (url, state):
        watcher = SpotInterruptionWatcher(
            drains.append, imds_url=url, interval_s=0.02, emit=lambda e, **f: events.append((e, f))
        )
        watcher.on_start("demo", 1)
        time.sleep(0.1)
        assert drains == []
        state.instance_action = {"action": "stop", "time": "2026-11-23T10:00:00Z"}
        wait_for(lambda: drains)
        time.sleep(0.1)  # the watcher stops after acting: no second drain request
        watcher.on_stop("drained", 0)
    assert len(drains) == 1 and '"stop"' in drains[0]
    assert [e for e, _ in events] == ["spot_notice"]


def test_watcher_survives_an_unreachable_imds_and_reports_once() -> None:
    events: list[str] = []
    with fake_imds() as (url, _):
        dead_url = url  # the server closes when this block ends
    watcher = SpotInterruptionWatcher(
        lambda r: None, imds_url=dead_url, interval_s=0.01, emit=lambda e, **f: events.append(e)
    )
    watcher.start()
    time.sleep(0.2)
    watcher.stop()
    assert events == ["spot_watch_error"]
    assert watcher.notice is None


@pytest.mark.parametrize("visibility_s", [1, 59, 60, 61, 119, 120, 900, 43_200])
def test_protection_outlasts_the_visibility_timeout(visibility_s: int) -> None:
    minutes = expires_in_minutes(visibility_s)
    assert minutes * 60 > visibility_s
    assert 1 <= minutes <= 2880


def test_protection_client_sends_the_documented_body() -> None:
    with fake_ecs_agent() as (env, agent):
        client = TaskProtectionClient(env["ECS_AGENT_URI"])
        client.set(True, 5)
        client.set(False, 5)
        assert agent.puts == [
            {"ProtectionEnabled": True, "ExpiresInMinutes": 5},
            {"ProtectionEnabled": False},
        ]
        agent.fail_with = "TASK_NOT_VALID"
        with pytest.raises(ProtectionError, match="TASK_NOT_VALID"):
            client.set(True, 5)


def test_protection_hooks_follow_busy_and_idle_and_survive_agent_failures() -> None:
    events: list[str] = []
    with fake_ecs_agent() as (env, agent):
        hooks = TaskProtectionHooks(
            TaskProtectionClient(env["ECS_AGENT_URI"]),
            expires_minutes=3,
            emit=lambda e, **f: events.append(e),
        )
        hooks.on_busy()
        assert hooks.protected and agent.protected
        hooks.on_idle()
        assert not hooks.protected and not agent.protected
        agent.fail_with = "agent says no"
        hooks.on_busy()  # must not raise: the worker carries on unprotected
        assert not hooks.protected
        hooks.on_stop("drained", 0)
    assert events == ["task_protection", "task_protection", "task_protection_error"]


def test_protection_is_renewed_while_busy_and_not_after() -> None:
    with fake_ecs_agent() as (env, agent):
        hooks = TaskProtectionHooks(
            TaskProtectionClient(env["ECS_AGENT_URI"]), expires_minutes=2, renew_every_s=0.05
        )
        hooks.on_busy()
        wait_for(lambda: len(agent.puts) >= 3)
        hooks.on_idle()
        settled = len(agent.puts)
        time.sleep(0.2)
        hooks.on_stop("drained", 0)
        assert len(agent.puts) == settled
        history = agent.enabled_history()
        assert history[-1] is False and all(history[:-1])


def test_detect_reads_the_task_metadata_launch_type() -> None:
    with fake_ecs_agent(launch_type="FARGATE") as (env, _):
        found = detect(env)
        assert found is not None and found.launch_type == "FARGATE"
        assert found.agent_uri == env["ECS_AGENT_URI"]
        assert detect(env, on_ecs=False) is None
    assert detect({}) is None
    assert detect({}, on_ecs=True) == EcsEnvironment()


def test_hooks_fit_the_launch_type() -> None:
    options = AppOptions(visibility_timeout_s=300)
    relay: list[str] = []
    fargate = ecs_hooks(EcsEnvironment("http://agent", None, "FARGATE"), options, relay.append)
    ec2 = ecs_hooks(EcsEnvironment("http://agent", None, "EC2"), options, relay.append)
    watched = ecs_hooks(
        EcsEnvironment("http://agent", None, "EC2"),
        options,
        relay.append,
        settings=EcsSettings(imds_watch_on_ec2=True),
    )
    bare = ecs_hooks(EcsEnvironment(), options, relay.append, settings=EcsSettings())
    assert [type(h).__name__ for h in fargate] == ["TaskProtectionHooks"]
    # The synthesized hosts keep IMDS from containers (hop limit 1): SIGTERM is the notice.
    assert [type(h).__name__ for h in ec2] == ["TaskProtectionHooks"]
    assert [type(h).__name__ for h in watched] == ["TaskProtectionHooks", "SpotInterruptionWatcher"]
    assert [type(h).__name__ for h in bare] == ["SpotInterruptionWatcher"]
    assert threading.active_count() >= 1
