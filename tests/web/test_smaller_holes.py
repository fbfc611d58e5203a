"""Smaller holes an outside probe found (issue 14, item 8): a rep key that no URL can reach,
a one-character secret key, and pages that answered HEAD with 405."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backplan.cli import app as cli
from backplan.config import Settings
from backplan.config.errors import InvalidSetting
from backplan.events.errors import InvalidRow
from backplan.services.roster import import_roster

from .conftest import ADMIN, ANA


@pytest.mark.parametrize("key", ["east/ana", "/ana", "ana/"])
def test_a_rep_key_with_a_slash_is_refused_with_the_reason(signed_in, key: str) -> None:
    client, token = signed_in(ADMIN)
    response = client.post(
        "/api/roster/reps", json={"key": key, "name": "Ana"}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 422
    assert "/" in response.json()["error"] and "URL" in response.json()["error"]


def test_a_roster_file_whose_rep_would_have_a_slash_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("Name,Team\nAna Silva,North\nAna/Bo,North\n")
    with pytest.raises(InvalidRow, match="without '/'"):
        import_roster(settings, path)


@pytest.mark.parametrize("key", ["x", "a-secret-key-nobody-should-see"])
def test_a_short_secret_key_is_refused_with_how_to_make_one(tmp_path: Path, key: str) -> None:
    with pytest.raises(InvalidSetting, match=r"at least 32 characters.*secrets.token_urlsafe"):
        Settings(home=tmp_path, secret_key=key)


def test_a_secret_key_of_32_characters_is_accepted(tmp_path: Path) -> None:
    key = "k" * 16 + "0123456789abcdef"
    assert Settings(home=tmp_path, secret_key=key).secret_key is not None


def test_a_short_secret_key_in_the_environment_stops_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BACKPLAN_SECRET_KEY", "x")
    result = CliRunner().invoke(cli, ["settings"])
    assert result.exit_code == 2
    assert "BACKPLAN_SECRET_KEY" in result.output and "token_urlsafe(32)" in result.output


@pytest.mark.parametrize("path", ["/login", "/healthz", "/static/app.css"])
def test_head_answers_like_get_without_a_body(client: TestClient, path: str) -> None:
    got, head = client.get(path), client.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers.get("content-length") == got.headers.get("content-length")


def test_head_of_a_signed_in_page_answers_like_get(signed_in) -> None:
    client, _ = signed_in(ANA)
    for path in ("/plan", "/okrs", "/api/me"):
        got, head = client.get(path), client.head(path)
        assert (head.status_code, head.content) == (got.status_code, b""), path


def test_head_needs_what_get_needs(client: TestClient) -> None:
    assert client.head("/api/me").status_code == client.get("/api/me").status_code == 401
    assert client.head("/api/plans").status_code == 405  # POST only, as GET would be
