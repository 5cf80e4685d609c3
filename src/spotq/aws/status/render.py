"""`spotq status --stack` on one screen (rich), or as JSON for scripts.

Every value that comes from AWS or a log line goes through `cell`/Text, never markup, so a
message with `[brackets]` is shown as written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from spotq.aws.status.model import CapacityStatus, ScalingDecision, ServiceStatus, StackStatus
from spotq.tables import cell

_MESSAGE_MAX = 240


def to_json(status: StackStatus) -> str:
    return json.dumps(status.to_json(), indent=2, sort_keys=True)


def show(status: StackStatus, console: Console) -> None:
    for part in screen(status):
        console.print(part)


def screen(status: StackStatus) -> Iterator[RenderableType]:
    yield Text.assemble(
        ("stack ", "bold"),
        (status.stack, "bold"),
        f" {status.stack_status}",
        f" · app {status.app or '?'} · {status.region} · {clock(status.at_s)} UTC",
    )
    yield _queues(status)
    yield from _service(status.service)
    yield from _decisions(status.decisions)
    yield from _capacity(status.capacity)
    yield from _alarms(status)
    yield from _errors(status)
    for note in status.notes:
        yield Text(f"could not read {note}", style="yellow")


def _queues(status: StackStatus) -> RenderableType:
    if not status.queues:
        return Text("queues: none in this stack")
    table = Table(
        "queue",
        "role",
        "visible",
        "in flight",
        "delayed",
        "oldest",
        title="queues",
        title_justify="left",
    )
    for q in status.queues:
        age = "no data" if q.oldest_age_s is None else duration(q.oldest_age_s)
        style = "red" if q.role == "dlq" and q.visible else None
        table.add_row(
            cell(q.name), q.role, str(q.visible), str(q.in_flight), str(q.delayed), age, style=style
        )
    return table


def _service(svc: ServiceStatus | None) -> Iterator[RenderableType]:
    if svc is None:
        yield Text("service: none found")
        return
    rollout = f" · rollout {svc.rollout}" if svc.rollout else ""
    yield Text(
        f"service {svc.cluster}/{svc.name}: desired {svc.desired} · running {svc.running} · "
        f"pending {svc.pending}{rollout}"
    )
    for event in svc.events:
        yield Text(f"  {clock(event.at_s)}  {one_line(event.message)}", style="dim")


def _decisions(decisions: tuple[ScalingDecision, ...]) -> Iterator[RenderableType]:
    if not decisions:
        return
    yield Text("scaling decisions, newest first")
    for d in decisions:
        yield Text(f"  {clock(d.at_s)}  {decision_text(d)}")


def decision_text(d: ScalingDecision) -> str:
    if d.event != "decision":
        failed = f" (failed: {one_line(d.error)})" if d.error else ""
        return f"{d.event}: {one_line(d.reason)}{failed}"
    change = f"{d.previous} → {d.desired}" if d.previous != d.desired else f"stay at {d.desired}"
    outcome = ""
    if d.applied is not None:
        outcome = " (applied)" if d.applied else f" (not applied: {one_line(d.error or '?')})"
    return f"{change}  {d.reason}{outcome}"


def _capacity(cap: CapacityStatus) -> Iterator[RenderableType]:
    registered = "?" if cap.container_instances is None else str(cap.container_instances)
    metric = "no data" if cap.spot_interruptions_24h is None else str(cap.spot_interruptions_24h)
    stopped = "?" if cap.spot_stopped_tasks is None else str(cap.spot_stopped_tasks)
    yield Text(
        f"capacity: {len(cap.hosts)} hosts · {registered} container instances · spot "
        f"interruptions last 24 h: {metric} (worker metric), {stopped} tasks stopped for Spot "
        "(ECS, last hour)"
    )
    for h in cap.hosts:
        yield Text(
            f"  {h.instance_id}  {h.instance_type}  {h.zone}  {h.lifecycle_state}  {h.health}",
            style="dim",
        )


def _alarms(status: StackStatus) -> Iterator[RenderableType]:
    firing = status.alarms_firing
    yield Text(
        f"alarms: {len(firing)} in ALARM ({status.alarms_watched} in the stack)",
        style="red" if firing else "",
    )
    for alarm in firing:
        since = f"since {clock(alarm.since_s)}  " if alarm.since_s is not None else ""
        yield Text(f"  {alarm.name}  {since}{one_line(alarm.reason)}", style="red")


def _errors(status: StackStatus) -> Iterator[RenderableType]:
    if not status.errors:
        yield Text("worker errors: none in the window")
        return
    yield Text(f"worker errors: last {len(status.errors)}, oldest first", style="red")
    for line in status.errors:
        yield Text(f"  {clock(line.at_s)}  {line.stream}  {one_line(line.message)}")


def clock(at_s: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at_s))


def duration(seconds: float) -> str:
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


def one_line(text: str, limit: int = _MESSAGE_MAX) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
