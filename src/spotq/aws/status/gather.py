"""One `StackStatus`: find the stack's parts, then read each section.

A stack that cannot be read at all (not found, no credentials, endpoint unreachable, access
denied) is a `StackStatusError` with one line saying which. Past that, a section that fails (a
policy without logs:FilterLogEvents, say) becomes a note on the screen and the rest still shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from spotq.aws.session import AwsConfig, make_client
from spotq.aws.status import alarms, capacity, discover, logs, queues, service
from spotq.aws.status.model import (
    CapacityStatus,
    Host,
    LogLine,
    ScalingDecision,
    StackParts,
    StackStatus,
)
from spotq.errors import SpotqError

T = TypeVar("T")
_SECTION_ERRORS = (ClientError, BotoCoreError, KeyError, ValueError, TypeError)
# A person is waiting: one retry, not four, before an unreachable endpoint is reported.
_MAX_ATTEMPTS = 2


class StackStatusError(SpotqError):
    """The stack could not be read at all; the message is the one line to show."""


@dataclass(frozen=True)
class StatusOptions:
    errors: int = 10  # error lines shown from the workers' log group
    decisions: int = 8  # scaler decisions shown
    window_s: float = 3600.0  # how far back logs are read


@dataclass(frozen=True)
class Clients:
    region: str
    cloudformation: Any
    sqs: Any
    ecs: Any
    cloudwatch: Any
    logs: Any
    autoscaling: Any

    @classmethod
    def connect(cls, aws: AwsConfig) -> Clients:
        session = boto3.session.Session(region_name=aws.region)  # one thread: shared is safe
        made = {
            name: make_client(name, aws, max_attempts=_MAX_ATTEMPTS, session=session)
            for name in ("cloudformation", "sqs", "ecs", "cloudwatch", "logs", "autoscaling")
        }
        return cls(region=str(made["cloudformation"].meta.region_name), **made)


class _Sections:
    """Reads one section at a time; a failure becomes a note and the section's empty value."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def read(self, label: str, default: T, fn: Callable[..., T], *args: Any) -> T:
        try:
            return fn(*args)
        except _SECTION_ERRORS as exc:
            self.notes.append(f"{label}: {describe_error(exc)}")
            return default


def gather(clients: Clients, stack: str, now_s: float, options: StatusOptions) -> StackStatus:
    """Everything `spotq status --stack` shows, read at `now_s` (epoch seconds)."""
    parts = _discover(clients, stack)
    sections = _Sections()
    read = sections.read
    since_s = now_s - options.window_s
    found = [
        read(
            f"queue {ref.name}",
            None,
            queues.read_queue,
            clients.sqs,
            clients.cloudwatch,
            ref,
            now_s,
        )
        for ref in parts.queues
    ]
    svc = None
    if parts.cluster and parts.service:
        svc = read("service", None, service.read_service, clients.ecs, parts.cluster, parts.service)
    decisions: list[ScalingDecision] = []
    if parts.scaler_log_group:
        decisions = read(
            "scaler decisions",
            [],
            service.scaler_decisions,
            clients.logs,
            parts.scaler_log_group,
            since_s,
            now_s,
            options.decisions,
        )
    errors: list[LogLine] = []
    if parts.worker_log_group:
        errors = read(
            "worker errors",
            [],
            logs.error_lines,
            clients.logs,
            parts.worker_log_group,
            since_s,
            now_s,
            options.errors,
        )
    watched = _watched(parts, svc.name if svc else None)
    return StackStatus(
        stack=parts.stack,
        stack_status=parts.stack_status,
        app=parts.app,
        region=clients.region,
        at_s=now_s,
        queues=tuple(q for q in found if q is not None),
        service=svc,
        decisions=tuple(decisions),
        capacity=_capacity(clients, parts, svc.name if svc else None, now_s, sections),
        alarms_watched=len(parts.alarms),
        alarms_firing=tuple(
            read("alarms", [], alarms.firing, clients.cloudwatch, parts.alarms, watched)
        ),
        errors=tuple(errors),
        notes=tuple(sections.notes),
    )


def _capacity(
    clients: Clients, parts: StackParts, service_name: str | None, now_s: float, sections: _Sections
) -> CapacityStatus:
    read = sections.read
    no_hosts: tuple[Host, ...] = ()
    hosts = read("hosts", no_hosts, capacity.hosts, clients.autoscaling, parts.auto_scaling_groups)
    registered = stopped = None
    if parts.cluster:
        registered = read(
            "container instances", None, capacity.container_instances, clients.ecs, parts.cluster
        )
        stopped = read(
            "stopped tasks",
            None,
            capacity.spot_stopped_tasks,
            clients.ecs,
            parts.cluster,
            service_name,
        )
    interrupted = None
    if parts.app:
        interrupted = read(
            "spot interruptions",
            None,
            capacity.interruptions_24h,
            clients.cloudwatch,
            parts.app,
            now_s,
        )
    return CapacityStatus(
        hosts=hosts,
        container_instances=registered,
        spot_interruptions_24h=interrupted,
        spot_stopped_tasks=stopped,
    )


def _watched(parts: StackParts, service_name: str | None) -> list[str]:
    """Resource names an alarm's dimensions may carry (QueueName, ClusterName, ServiceName,
    AutoScalingGroupName)."""
    names = [ref.name for ref in parts.queues] + list(parts.auto_scaling_groups)
    if parts.cluster:
        names.append(parts.cluster.rsplit("/", 1)[-1])
    if service_name:
        names.append(service_name)
    return names


def _discover(clients: Clients, stack: str) -> StackParts:
    try:
        return discover.describe(clients.cloudformation, stack)
    except ClientError as exc:
        if _is_missing(exc):
            raise StackStatusError(
                f"stack {stack!r} not found in {clients.region} (check --region and the name)"
            ) from None
        raise StackStatusError(f"cannot read stack {stack!r}: {describe_error(exc)}") from None
    except (NoCredentialsError, PartialCredentialsError):
        raise StackStatusError(
            "no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY), or run `aws sso login`"
        ) from None
    except EndpointConnectionError as exc:
        where = exc.kwargs.get("endpoint_url", "?")
        raise StackStatusError(
            f"cannot reach AWS at {where}: check --endpoint-url, --region and the network"
        ) from None
    except (BotoCoreError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise StackStatusError(f"cannot read stack {stack!r}: {describe_error(exc)}") from None


def _is_missing(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    return error.get("Code") == "ValidationError" and "does not exist" in str(error.get("Message"))


def describe_error(exc: Exception) -> str:
    """One line for an AWS error: its code and message, or the exception's own text."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', '?')}: {error.get('Message', '')}".strip()
    return str(exc) or type(exc).__name__
