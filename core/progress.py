"""Progress bars for long CLI commands (imports, recomputes, reports): one look everywhere."""

from __future__ import annotations

from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn


def progress_bar(description_width: int = 0) -> Progress:
    """A bar with its description, percentage and elapsed time; it stays on screen when done."""
    description = f"{{task.description:<{description_width}}}" if description_width else "{task.description}"
    return Progress(
        TextColumn(description), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(), transient=False
    )
