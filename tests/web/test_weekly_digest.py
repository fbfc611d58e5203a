"""The weekly digest, sent to a real SMTP server: a rep's week ahead, progress and coaching
focus; a manager's reps who need attention; once a week whatever reruns; opt-out; preview."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from datetime import date, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backplan.cli import app as cli
from backplan.config import Settings
from backplan.services import coaching, digest, okr
from backplan.services.today import rep_today
from backplan.web import create_app
from okr_support import add_roster, simulate, store_events

from .conftest import ANA_SILVA, MAYA, NS_ADMIN, PASSWORD, TODAY, Person, fast_settings, sign_in

MONDAY = date(2026, 11, 16)  # the pinned day, 10:00: this week's digest is due (Monday 08:00)
BEN = Person("ben@example.com", "rep", rep="ben")
RATES = {"conversations/dials": "0.08", "meetings/conversations": "1/6", "sqls/meetings": "1/3"}
SECRET = "not-to-be-printed-9271"


class Inbox:
    """An aiosmtpd handler keeping every message received."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def to(self, email: str) -> Message:
        [found] = [m for m in self.messages if m["To"] == email]
        return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def mail_settings(home: Path, port: int, **more: object) -> Settings:
    return fast_settings(
        home, smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none",
        smtp_sender="backplan@example.com", **more,
    )  # fmt: skip


@pytest.fixture
def org(backplan_home: Path, inbox: tuple[Inbox, int]) -> FastAPI:
    """North (ana, ben; Maya manages it) and South (cy), events to the pinned Monday, Ana's
    November plan agreed and her coaching focus; accounts for Maya, Ana, Ben and an admin."""
    settings = mail_settings(backplan_home, inbox[1])
    app = create_app(settings)
    add_roster(settings)
    store_events(backplan_home, simulate(date(2026, 8, 1), MONDAY))
    first = date(2026, 11, 1)
    for rep, result in (("ana", "6 sqls"), ("ben", "5 sqls")):
        okr.create_objective(settings, okr.ObjectiveRequest(rep, "rep", "2026-11", [result]), first)
    ana = okr.find_objective(settings, "rep", "ana", period=None, day=MONDAY)
    assert ana is not None
    okr.propose_plan(settings, ana.id, first, rates=RATES)
    okr.agree_plan(settings, ana.id, okr.Actor("ana", rep="ana"))
    coaching.start_focus(
        settings,
        coaching.FocusRequest(
            rep="ana", focus="sqls/meetings", since=date(2026, 10, 1), playbook=["1"],
            commitments=["Ask about budget in every meeting"],
        ),
    )  # fmt: skip
    for p in (MAYA, ANA_SILVA, BEN, NS_ADMIN):
        app.state.web.accounts.add_user(
            p.email, PASSWORD, p.role, rep=p.rep, teams=[p.team] if p.team else []
        )
    return app


def _client(app: FastAPI, person: Person) -> tuple[TestClient, str]:
    c = TestClient(app)
    return c, sign_in(c, person)


def _body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_each_rep_and_manager_gets_their_digest(org: FastAPI, inbox: tuple[Inbox, int]) -> None:
    settings = org.state.web.settings
    report = digest.send_digests(settings)
    received = inbox[0]
    assert sorted(report.sent) == sorted(p.email for p in (MAYA, ANA_SILVA, BEN, NS_ADMIN))
    assert len(received.messages) == 4 and report.week == MONDAY
    daily = rep_today(settings, "ana").daily
    assert daily is not None
    ana = received.to(ANA_SILVA.email)
    assert ana["From"] == "backplan@example.com"
    per_day = f"{daily.per_working_day:g}"
    assert ana["Subject"] == f"Your week: {per_day} conversations a working day"
    text = _body(ana)
    assert f"Your daily number this week: {per_day} conversations a working day" in text
    assert f"{daily.to_date} conversations so far of {daily.per_period}" in text
    assert "Your coaching focus: Meeting → SQL, since 2026-10-01." in text
    assert "You committed to: Ask about budget in every meeting" in text
    maya = _body(received.to(MAYA.email))
    assert "Team North" in maya and "Team South" not in maya
    assert received.to(MAYA.email)["Subject"].startswith("Your teams this week: ")
    admin = _body(received.to(NS_ADMIN.email))
    assert "Team North" in admin and "Team South" in admin


def test_a_rerun_the_same_week_sends_nothing_twice(
    org: FastAPI, inbox: tuple[Inbox, int], backplan_home: Path
) -> None:
    settings = org.state.web.settings
    digest.send_digests(settings)
    again = digest.send_digests(settings)
    assert again.sent == [] and len(again.already) == 4
    assert len(inbox[0].messages) == 4
    # A week later the next digest is due: one more each.
    later = mail_settings(backplan_home, inbox[1], today="2026-11-23T08:30")
    assert digest.send_digests(later, email=BEN.email).sent == [BEN.email]
    assert len(inbox[0].messages) == 5


def test_an_opted_out_user_gets_nothing(org: FastAPI, inbox: tuple[Inbox, int]) -> None:
    ben, csrf = _client(org, BEN)
    assert 'name="weekly_digest" checked' in ben.get("/account").text
    response = ben.post("/account/digest", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert 'name="weekly_digest" >' in ben.get("/account").text
    report = digest.send_digests(org.state.web.settings)
    assert report.opted_out == [BEN.email] and BEN.email not in report.sent
    assert all(m["To"] != BEN.email for m in inbox[0].messages)
    back = ben.put("/api/me/digest", json={"weekly_digest": True}, headers={"X-CSRF-Token": csrf})
    assert back.json() == {"weekly_digest": True}
    assert digest.send_digests(org.state.web.settings).sent == [BEN.email]


def test_the_preview_shows_your_own_digest_and_admins_anyones(org: FastAPI) -> None:
    ana, _ = _client(org, ANA_SILVA)
    mine = ana.get("/api/digest/preview").json()
    assert mine["to"] == ANA_SILVA.email and mine["subject"].startswith("Your week: ")
    assert "Your coaching focus" in mine["text"]
    html = ana.get("/digest/preview").text
    assert mine["subject"] in html and "every Monday at 08:00" in html
    other, nobody = (ana.get(f"/api/digest/preview?user={e}") for e in (MAYA.email, "x@y.z"))
    assert other.status_code == nobody.status_code == 404 and other.json() == nobody.json()
    admin, _ = _client(org, NS_ADMIN)
    assert admin.get(f"/api/digest/preview?user={MAYA.email}").json()["to"] == MAYA.email


def test_the_week_due_follows_the_digest_day_and_hour(backplan_home: Path) -> None:
    settings = fast_settings(backplan_home)
    assert digest.digest_week(settings, datetime(2026, 11, 16, 10)) == date(2026, 11, 16)
    assert digest.digest_week(settings, datetime(2026, 11, 16, 7)) == date(2026, 11, 9)
    assert digest.digest_week(settings, datetime(2026, 11, 18, 7)) == date(2026, 11, 16)
    friday = fast_settings(backplan_home, digest_day="friday", digest_hour=16)
    assert digest.digest_week(friday, datetime(2026, 11, 16, 10)) == date(2026, 11, 13)


Run = Callable[..., Any]


@pytest.fixture
def run(org: FastAPI, inbox: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``backplan`` with the org's home, the pinned clock and the test's mail server."""
    for name, value in {
        "TODAY": TODAY, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(inbox[1]),
        "SMTP_TLS": "none", "SMTP_SENDER": "backplan@example.com", "SMTP_PASSWORD": SECRET,
    }.items():  # fmt: skip
        monkeypatch.setenv(f"BACKPLAN_{name}", value)
    return lambda *args: CliRunner().invoke(cli, list(args))


def test_the_digest_command_sends_once_and_previews(run: Run, inbox: tuple[Inbox, int]) -> None:
    first = run("digest", "--send", "--json")
    assert first.exit_code == 0, first.output
    assert len(json.loads(first.stdout)["sent"]) == 4 and len(inbox[0].messages) == 4
    again = run("digest", "--send")
    assert again.exit_code == 0 and "sent 0, already sent 4" in again.stdout
    preview = run("digest", "--preview", "--user", MAYA.email)
    assert preview.exit_code == 0 and "Subject: Your teams this week" in preview.stdout
    assert SECRET not in first.output + again.output + preview.output


def test_an_unreachable_mail_server_is_one_line_without_the_password(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKPLAN_SMTP_PORT", str(_free_port()))  # nobody listens there
    monkeypatch.setenv("BACKPLAN_SMTP_USERNAME", "mailer")
    result = run("digest", "--send")
    assert result.exit_code == 75
    assert "could not send mail through 127.0.0.1" in result.stderr
    assert SECRET not in result.output and "Traceback" not in result.output
