"""Consoles and small rendering helpers shared by the commands."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console

console = Console()
error_console = Console(stderr=True)


def print_json(data: Any) -> None:
    """JSON on stdout, unstyled, so scripts can pipe it."""
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@contextmanager
def spinner(description: str) -> Iterator[Callable[[str], None]]:
    """A spinner and the time elapsed on stderr while work of unknown length runs; yields a
    function that changes the text beside it. Gone once the work is done."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        TimeElapsedColumn(),
        console=error_console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)
        yield lambda text: bar.update(task, description=text)
