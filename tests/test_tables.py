"""Tables fit the terminal by dropping the least useful columns, and show user text verbatim."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from spotq.tables import cell, print_table

MARKUP = 'input must be {"tests": [names]} [red]not red[/red]'


def _table() -> Table:
    table = Table("id", "state", "submitted", "file", "last error")
    for i in range(3):
        table.add_row(
            cell(f"{i:032x}"), cell("failed"), cell("2026-01-01 00:00:00"), cell(f"f{i}.wav"),
            cell(MARKUP),
        )  # fmt: skip
    return table


def _render(width: int, wide: bool) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None)
    print_table(_table(), wide=wide, drop_first=("submitted", "file"), console=console)
    return out.getvalue()


def test_a_narrow_terminal_drops_columns_in_order_and_says_so() -> None:
    text = _render(110, wide=False)
    assert "submitted" not in text.split("\n")[1] and "file" in text
    assert "not shown to fit 110 columns: submitted (--wide shows all)" in text
    assert max(len(line) for line in text.splitlines()) <= 110


def test_wide_keeps_every_column_unwrapped() -> None:
    text = _render(60, wide=True)
    assert "submitted" in text and "not shown" not in text
    assert any(MARKUP in line for line in text.splitlines())


def test_cells_are_text_not_markup() -> None:
    text = _render(200, wide=False)
    assert MARKUP in text  # brackets survive: nothing was taken as a style tag
