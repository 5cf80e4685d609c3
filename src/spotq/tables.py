"""Tables that fit the terminal: drop the least useful columns until the rest fit without wrapping
(or print every column with `--wide`), and cells that are always text, never Rich markup, so that
a user's `[names]` in an error message is shown as written."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text


def cell(value: object) -> Text:
    """A table cell shown exactly as given: brackets in user text are not markup."""
    return Text("" if value is None else str(value))


def natural_width(table: Table) -> int:
    """The width the table takes when nothing wraps (a console's own measure caps at its width)."""
    return Console(width=10_000).measure(table).maximum


def drop_to_fit(table: Table, width: int, drop_first: Sequence[str]) -> list[str]:
    """Remove the columns whose headers start with `drop_first` entries, in that order, until the
    table's natural width fits `width`; return the headers removed."""
    dropped: list[str] = []
    for prefix in drop_first:
        if natural_width(table) <= width:
            break
        for column in list(table.columns):
            header = str(column.header)
            if header.startswith(prefix):
                table.columns.remove(column)
                dropped.append(header)
    if dropped:
        note = f"not shown to fit {width} columns: {', '.join(dropped)} (--wide shows all)"
        table.caption = note if table.caption is None else f"{table.caption}\n{note}"
    return dropped


def print_table(
    table: Table, *, wide: bool, drop_first: Sequence[str] = (), console: Console | None = None
) -> None:
    """Print `table` sized to the terminal, or at its full natural width with `wide`."""
    console = console or Console()
    if wide:
        wide_console = Console(file=console.file, width=max(console.width, natural_width(table)))
        wide_console.print(table)
        return
    drop_to_fit(table, console.width, drop_first)
    console.print(table)
