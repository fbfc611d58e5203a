"""The web server keeps what people upload to itself (issue 14, item 5): the home and its
uploads folder 0700; run as the server runs (``app_from_environment``), every file it writes
there (uploads, rejects, the store, the database) is 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backplan import appdb
from backplan.web import create_app
from backplan.web.app import app_from_environment

from .conftest import ADMIN, PASSWORD, TODAY, add_people, fast_settings, sign_in
from .test_imports import BAD_EXPORT, finished, upload

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def lax_umask():  # type: ignore[no-untyped-def]
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_uploads_folder_and_the_home_are_the_owners_only(lax_umask, tmp_path: Path) -> None:
    home = tmp_path / "new-home"
    create_app(fast_settings(home))
    assert mode(home) == 0o700
    assert mode(home / "uploads") == 0o700
    appdb.dispose()


def test_the_server_writes_every_file_0600(
    lax_umask, backplan_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKPLAN_TODAY", TODAY)
    monkeypatch.setenv("BACKPLAN_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("BACKPLAN_ARGON2_MEMORY_KIB", "8")
    monkeypatch.setenv("BACKPLAN_ADMIN_TWO_FACTOR", "optional")  # files, not sign-in, here
    app = app_from_environment()
    assert os.umask(0o077) == 0o077  # the server process's umask, left as the server set it
    add_people(app)
    client = TestClient(app)
    sign_in(client, ADMIN, PASSWORD)
    response = upload(client, BAD_EXPORT, allow_rejects="on")
    assert finished(client, response.headers["location"])["status"] == "done"
    found = [p for p in backplan_home.rglob("*") if not p.is_symlink()]
    uploads = backplan_home / "uploads"
    assert uploads.is_dir() and not any(uploads.iterdir())  # the upload went once imported
    assert any(p.suffix == ".parquet" for p in found)
    assert {p: mode(p) for p in found} == {p: 0o700 if p.is_dir() else 0o600 for p in found}
    appdb.dispose()
