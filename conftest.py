"""Doctests in src/ get an empty BACKPLAN_HOME as well, never the user's own data folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem


@pytest.fixture(autouse=True)
def doctest_home(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    if isinstance(request.node, DoctestItem):
        home = tmp_path / "backplan-home"
        home.mkdir()
        monkeypatch.setenv("BACKPLAN_HOME", str(home))
    yield
