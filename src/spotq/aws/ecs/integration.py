"""Turning the ECS integration on: detect the task, then add the hooks that fit it.

Called from the worker CLI at start-up (never at import). Detection reads the variables the ECS
agent sets in every task container: `ECS_CONTAINER_METADATA_URI_V4` (task metadata, which names
the launch type) and `ECS_AGENT_URI` (the agent endpoint serving task protection). On Fargate the
Spot notice is a SIGTERM, so the IMDS watcher runs only on EC2 (or where the launch type is
unknown, e.g. `--on-ecs` outside ECS, where an unreachable IMDS is reported once and ignored).
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
    """Task protection (where the agent endpoint is known) and the Spot watcher (not on Fargate)."""
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
    if env.launch_type != FARGATE:
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
    settings = EcsSettings(imds_url=environ.get(IMDS_ENDPOINT_ENV) or IMDS_URL)
    hooks = ecs_hooks(env, options, relay, settings=settings, emit=emit)
    if emit is not None:
        names = [type(hook).__name__ for hook in hooks]
        emit("ecs_detected", launch_type=env.launch_type, hooks=names)
    return EcsAttachment(env, hooks, relay, status_file_path(environ))
