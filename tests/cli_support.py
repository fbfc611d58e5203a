"""Running backplan's commands in tests as a user would, and reading their JSON."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from backplan.cli import app

runner = CliRunner()


def json_answers(commands: dict[str, list[str]]) -> dict[str, Any]:
    """Each command's ``--json`` answer, by name; a command that fails fails the test."""
    found = {}
    for name, args in commands.items():
        result = runner.invoke(app, [*args, "--json"])
        assert result.exit_code == 0, (name, result.output)
        found[name] = json.loads(result.stdout)
    return found
