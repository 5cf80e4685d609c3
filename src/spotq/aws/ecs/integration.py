"""Turning the ECS integration on: detect the task, then add the hooks that fit it.

Called from the worker CLI at start-up (never at import). Detection reads the variables the ECS
agent sets in every task container: `ECS_CONTAINER_METADATA_URI_V4` (task metadata, which names
the launch type) and `ECS_AGENT_URI` (the agent endpoint serving task protection).

A Spot notice reaches an ECS task as SIGTERM on both launch types: Fargate Spot sends it, and on
EC2 the agent's spot draining (ECS_ENABLE_SPOT_INSTANCE_DRAINING in the synthesized user data)
drains the host. The synthesized hosts keep IMDS out of containers' reach (hop limit 1, so no task
can borrow the instance role), so the IMDS watcher runs on EC2 only when asked for
(SPOTQ_IMDS_SPOT_WATCH=1, or an explicit AWS_EC2_METADATA_SERVICE_ENDPOINT: hosts of your own with
hop limit 2 give a few more seconds of warning and the rebalance recommendation), and where the
launch type is unknown (`--on-ecs` outside ECS: an unreachable IMDS is reported once, ignored).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from spotq.app import AppOptions
from spotq.aws.ecs._http import call
from spotq.aws.ecs.protection import TaskProtectionClient, TaskProtectionHooks, expires_in_minutes
from spotq.aws.ecs.spot import IMDS_URL, SpotInterruptionWatcher
from spotq.aws.health import status_file_path
from spotq.worker.hooks import WorkerHooks

METADATA_ENV = "ECS_CONTAINER_METADATA_URI_V4"
AGENT_ENV = "ECS_AGENT_URI"
IMDS_ENDPOINT_ENV = "AWS_EC2_METADATA_SERVICE_ENDPOINT"
IMDS_WATCH_ENV = "SPOTQ_IMDS_SPOT_WATCH"
FARGATE = "FARGATE"

Emit = Callable[..., None]


@dataclass(frozen=True)
class EcsEnvironment:
    """What the task's environment says about where the worker runs."""

    agent_uri: str | None = None
    metadata_uri: str | None = None
    launch_type: str | None = None  # "EC2", "FARGATE", or None when unknown


@dataclass(frozen=True)
class EcsSettings:
    """Knobs of the integration (defaults are what production wants)."""

    imds_url: str = IMDS_URL
    spot_interval_s: float = 5.0
    drain_on_rebalance: bool = True
    imds_watch_on_ec2: bool = False  # the hosts' hop limit 1 keeps IMDS from containers


def detect(environ: Mapping[str, str], *, on_ecs: bool | None = None) -> EcsEnvironment | None:
    """The ECS environment, or None when not on ECS. `on_ecs` None = auto from `environ`."""
    agent = environ.get(AGENT_ENV) or None
    metadata = environ.get(METADATA_ENV) or None
    if on_ecs is False or (on_ecs is None and agent is None and metadata is None):
        return None
    launch_type = read_launch_type(metadata) if metadata else None
    return EcsEnvironment(agent_uri=agent, metadata_uri=metadata, launch_type=launch_type)


def read_launch_type(metadata_uri: str, *, timeout_s: float = 1.0) -> str | None:
    """`LaunchType` from task metadata v4 (`GET $ECS_CONTAINER_METADATA_URI_V4/task`)."""
    try:
        reply = call("GET", metadata_uri.rstrip("/") + "/task", timeout_s=timeout_s)
        doc = reply.json() if reply.status == 200 else None
    except (OSError, ValueError):
        return None
    value = doc.get("LaunchType") if isinstance(doc, dict) else None
    return str(value).upper() if value else None


class DrainRelay:
    """Forwards a drain request to the worker, which exists only after its hooks are built."""

    def __init__(self) -> None:
        self._target: Callable[[str], None] | None = None

    def bind(self, request_drain: Callable[[str], None]) -> None:
        self._target = request_drain

    def __call__(self, reason: str) -> None:
        if self._target is not None:
            self._target(reason)


def ecs_hooks(
    env: EcsEnvironment,
    options: AppOptions,
    request_drain: Callable[[str], None],
    *,
    settings: EcsSettings | None = None,
    emit: Emit | None = None,
) -> list[WorkerHooks]:
    """Task protection (where the agent endpoint is known) and the IMDS Spot watcher (where the
    launch type is unknown, or on EC2 when settings ask for it)."""
    settings = settings or EcsSettings()
    hooks: list[WorkerHooks] = []
    if env.agent_uri is not None:
        hooks.append(
            TaskProtectionHooks(
                TaskProtectionClient(env.agent_uri),
                expires_minutes=expires_in_minutes(options.visibility_timeout_s),
                emit=emit,
            )
        )
    watch = env.launch_type is None or (env.launch_type != FARGATE and settings.imds_watch_on_ec2)
    if watch:
        hooks.append(
            SpotInterruptionWatcher(
                request_drain,
                imds_url=settings.imds_url,
                interval_s=settings.spot_interval_s,
                drain_on_rebalance=settings.drain_on_rebalance,
                emit=emit,
            )
        )
    return hooks


@dataclass(frozen=True)
class EcsAttachment:
    """What the worker CLI adds on ECS: hooks, the drain relay to bind, the status file path."""

    env: EcsEnvironment
    hooks: list[WorkerHooks]
    relay: DrainRelay
    status_file: Path


def attach(
    options: AppOptions,
    *,
    on_ecs: bool | None,
    environ: Mapping[str, str],
    emit: Emit | None = None,
) -> EcsAttachment | None:
    """For the worker CLI: None off ECS; else the hooks for this task, with a relay to bind to
    `Worker.request_drain` once the worker exists."""
    env = detect(environ, on_ecs=on_ecs)
    if env is None:
        return None
    relay = DrainRelay()
    # botocore's own variable for a non-default IMDS endpoint (tests point it at a fake).
    endpoint = environ.get(IMDS_ENDPOINT_ENV) or None
    settings = EcsSettings(
        imds_url=endpoint or IMDS_URL,
        imds_watch_on_ec2=endpoint is not None or environ.get(IMDS_WATCH_ENV) == "1",
    )
    hooks = ecs_hooks(env, options, relay, settings=settings, emit=emit)
    if emit is not None:
        names = [type(hook).__name__ for hook in hooks]
        emit("ecs_detected", launch_type=env.launch_type, hooks=names)
    return EcsAttachment(env, hooks, relay, status_file_path(environ))
