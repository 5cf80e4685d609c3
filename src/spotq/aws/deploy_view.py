"""The terminal view of a deployment: the change set as a table, then a progress bar over the
stack's events that ends on the stack's final status."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from spotq.aws.deploy_model import Change, StackEvent

_DONE_SUFFIXES = ("_COMPLETE", "_FAILED", "_SKIPPED")


class RichDeployView:
    """Prints to one rich Console; in tests the console writes to a buffer."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._stack = ""
        self._done: set[str] = set()

    def changes(self, stack: str, changes: Sequence[Change]) -> None:
        if not changes:
            self._console.print(f"Change set for {stack}: no resource changes listed")
            return
        table = Table(title=f"Change set for {stack}", title_justify="left")
        for column in ("Action", "Logical ID", "Type", "Replacement"):
            table.add_column(column)
        for change in changes:
            table.add_row(
                change.action, change.logical_id, change.resource_type, change.replacement or "-"
            )
        self._console.print(table)

    def start(self, stack: str, action: str, total: int) -> None:
        self._stack = stack
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self._console,
        )
        self._progress.start()
        self._task = self._progress.add_task(f"{action} {stack}", total=max(total, 1))

    def event(self, event: StackEvent) -> None:
        line = (
            f"{event.timestamp:%H:%M:%S} {event.status:<28} {event.logical_id} "
            f"({event.resource_type})"
        )
        if event.reason:
            line += f" — {event.reason}"
        self._console.print(line, markup=False, highlight=False)
        if self._progress is None or self._task is None:
            return
        is_resource = event.logical_id != self._stack
        if is_resource and event.status.endswith(_DONE_SUFFIXES):
            self._done.add(event.logical_id)
            self._progress.update(self._task, completed=len(self._done))

    def finish(self, stack: str, status: str, ok: bool) -> None:
        if self._progress is not None and self._task is not None:
            done = self._progress.tasks[0].total if ok else len(self._done)
            self._progress.update(self._task, description=f"{stack} {status}", completed=done)
            self._progress.stop()
        style = "green" if ok else "red"
        self._console.print(f"[{style}]{stack}: {status}[/{style}]", highlight=False)
