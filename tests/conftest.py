"""Shared fixtures: where the public sample data lives, and a clean BACKPLAN_HOME per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("BACKPLAN_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture
def shared_data() -> Path:
    """The public sample data beside the checkout (never copied into the repo)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"sample data not found at {SHARED_DATA}; set BACKPLAN_SHARED_DATA")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def backplan_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty BACKPLAN_HOME and no stray settings."""
    home = tmp_path / "backplan-home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith("BACKPLAN_") and name != "BACKPLAN_SHARED_DATA":
            monkeypatch.delenv(name)
    monkeypatch.setenv("BACKPLAN_HOME", str(home))
    return home
