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
from spotq.aws.status import activities, alarms, capacity, discover, logs, queues, service
from spotq.aws.status.model import (
    AlarmStatus,
    CapacityStatus,
    Host,
    LogLine,
    QueueStatus,
    ScalingDecision,
    ServiceStatus,
    StackParts,
    StackStatus,
)
from spotq.errors import SpotqError

T = TypeVar("T")
_SECTION_ERRORS = (ClientError, BotoCoreError, KeyError, ValueError, TypeError)
# A person is waiting: one retry, not four, before an unreachable endpoint is reported.
_MAX_ATTEMPTS = 2


_SERVICES = ("cloudformation", "sqs", "ecs", "cloudwatch", "logs", "autoscaling",
             "application-autoscaling")  # fmt: skip


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
    application_autoscaling: Any

    @classmethod
    def connect(cls, aws: AwsConfig) -> Clients:
        """Clients for every service the status reads; a bad profile or endpoint is one line."""
        try:
            return cls._connect(aws)
        except (BotoCoreError, ValueError) as exc:  # ProfileNotFound, an invalid endpoint URL
            raise StackStatusError(f"cannot set up AWS clients: {describe_error(exc)}") from None

    @classmethod
    def _connect(cls, aws: AwsConfig) -> Clients:
        session = boto3.session.Session(region_name=aws.region)  # one thread: shared is safe
        made = {
            name.replace("-", "_"): make_client(
                name, aws, max_attempts=_MAX_ATTEMPTS, session=session
            )
            for name in _SERVICES
        }
        return cls(region=str(made["cloudformation"].meta.region_name), **made)


class _Sections:
    """Reads the sections one by one; a failure becomes a note and the section's empty value."""

    def __init__(self, clients: Clients, now_s: float, options: StatusOptions) -> None:
        self.clients, self.now_s, self.options = clients, now_s, options
        self.since_s = now_s - options.window_s
        self.notes: list[str] = []

    def read(self, label: str, default: T, fn: Callable[..., T], *args: Any) -> T:
        try:
            return fn(*args)
        except _SECTION_ERRORS as exc:
            self.notes.append(f"{label}: {describe_error(exc)}")
            return default

    def queues(self, parts: StackParts) -> tuple[QueueStatus, ...]:
        c = self.clients
        found = [
            self.read(
                f"queue {ref.name}", None, queues.read_queue, c.sqs, c.cloudwatch, ref, self.now_s
            )
            for ref in parts.queues
        ]
        return tuple(q for q in found if q is not None)

    def service(self, parts: StackParts) -> ServiceStatus | None:
        if not (parts.cluster and parts.service):
            return None
        return self.read(
            "service", None, service.read_service, self.clients.ecs, parts.cluster, parts.service
        )

    def decisions(
        self, parts: StackParts, svc: ServiceStatus | None
    ) -> tuple[ScalingDecision, ...]:
        if parts.scalable_target and parts.cluster and svc is not None:
            made: list[ScalingDecision] = self.read(
                "scaling activities", [], activities.scaling_activities,
                self.clients.application_autoscaling, parts.cluster, svc.name,
                self.options.decisions,
            )  # fmt: skip
            return tuple(made)
        if not parts.scaler_log_group:
            return ()
        found: list[ScalingDecision] = self.read(
            "scaler decisions",
            [],
            service.scaler_decisions,
            self.clients.logs,
            parts.scaler_log_group,
            self.since_s,
            self.now_s,
            self.options.decisions,
        )
        return tuple(found)

    def errors(self, parts: StackParts) -> tuple[LogLine, ...]:
        if not parts.worker_log_group or self.options.errors <= 0:
            return ()
        found: list[LogLine] = self.read(
            "worker errors",
            [],
            logs.error_lines,
            self.clients.logs,
            parts.worker_log_group,
            self.since_s,
            self.now_s,
            self.options.errors,
        )
        return tuple(found)

    def alarms(self, parts: StackParts, svc: ServiceStatus | None) -> tuple[AlarmStatus, ...]:
        watched = _watched(parts, svc.name if svc else None)
        found: list[AlarmStatus] = self.read(
            "alarms", [], alarms.firing, self.clients.cloudwatch, parts.alarms, watched
        )
        return tuple(found)

    def capacity(self, parts: StackParts, svc: ServiceStatus | None) -> CapacityStatus:
        c, read = self.clients, self.read
        no_hosts: tuple[Host, ...] = ()
        hosts = read("hosts", no_hosts, capacity.hosts, c.autoscaling, parts.auto_scaling_groups)
        registered = stopped = interrupted = None
        if parts.cluster:
            registered = read(
                "container instances", None, capacity.container_instances, c.ecs, parts.cluster
            )
            stopped = read(
                "stopped tasks",
                None,
                capacity.spot_stopped_tasks,
                c.ecs,
                parts.cluster,
                svc.name if svc else None,
            )
        if parts.app:
            interrupted = read(
                "spot interruptions",
                None,
                capacity.interruptions_24h,
                c.cloudwatch,
                parts.app,
                self.now_s,
            )
        return CapacityStatus(hosts, registered, interrupted, stopped)


def gather(clients: Clients, stack: str, now_s: float, options: StatusOptions) -> StackStatus:
    """Everything `spotq status --stack` shows, read at `now_s` (epoch seconds)."""
    parts = _discover(clients, stack)
    sections = _Sections(clients, now_s, options)
    svc = sections.service(parts)
    return StackStatus(
        stack=parts.stack,
        stack_status=parts.stack_status,
        app=parts.app,
        region=clients.region,
        at_s=now_s,
        queues=sections.queues(parts),
        service=svc,
        decisions=sections.decisions(parts, svc),
        capacity=sections.capacity(parts, svc),
        alarms_watched=len(parts.alarms),
        alarms_firing=sections.alarms(parts, svc),
        errors=sections.errors(parts),
        notes=tuple(sections.notes),
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
