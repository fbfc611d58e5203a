"""Consoles and small rendering helpers shared by the commands."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

console = Console()
error_console = Console(stderr=True)


def print_json(data: Any) -> None:
    """JSON on stdout, unstyled, so scripts can pipe it."""
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
