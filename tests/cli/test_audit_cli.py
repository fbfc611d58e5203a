"""What the command line changes is in the audit log as the OS user's doing, and
``backplan audit`` reads the log as a table, JSON or CSV."""

from __future__ import annotations

import csv
import getpass
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from backplan.cli import app
from backplan.config import Settings
from backplan.services.audit import Actor, AuditFilter, audit_log
from backplan.services.importing import ImportRequest, import_file, run_upload

runner = CliRunner()
HEADER = "event_id,rep,at,kind,prospect,amount,source"
PASSWORD = "a long pass phrase for tests"
ME = getpass.getuser()


@pytest.fixture(autouse=True)
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKPLAN_TODAY", "2026-11-16T10:00")
    monkeypatch.setenv("BACKPLAN_TIMEZONE", "Europe/Paris")


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def logged(action: str | None = None) -> list[dict[str, Any]]:
    code, out, err = invoke("audit", "--json", *(["--action", action] if action else []))
    assert code == 0, err
    found: list[dict[str, Any]] = json.loads(out)
    return found


def test_command_line_changes_are_recorded_as_the_os_user(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("rep,team,manager\nana,East,Mo\nben,East,Mo\n")
    time_off = tmp_path / "time-off.csv"
    time_off.write_text("rep,first_day,last_day\nana,2026-12-21,2026-12-24\n")
    events = tmp_path / "events.csv"
    events.write_text(f"{HEADER}\ne1,ana,2026-11-02,dial,,,\ne2,ben,2026-11-03,dial,,,\n")
    funnel = tmp_path / "inbound.toml"
    stages = (
        '[[stages]]\nkey = "calls"\nkinds = ["dial"]\nfocus = true\n[[stages]]\nkey = "meetings"\n'
    )
    funnel.write_text(f'key = "inbound"\n{stages}kinds = ["meeting_booked"]\n')
    assert invoke("roster", str(roster))[0] == 0
    assert invoke("time-off", str(time_off))[0] == 0
    assert invoke("import", str(events), "--mapping", "events", "--json")[0] == 0
    assert invoke("funnels", str(funnel), "--save", "inbound", "--json")[0] == 0
    add = ("user", "add", "mo@example.com", "--role", "manager", "--team", "East")
    assert invoke(*add, stdin=PASSWORD + "\n")[0] == 0
    assert invoke("user", "password", "mo@example.com", stdin="another pass phrase\n")[0] == 0
    okr = ("okr", "create", "--team", "East", "--objective", "4 sqls", "--period", "2026-12")
    assert invoke(*okr)[0] == 0, invoke(*okr)[2]

    found = logged()
    assert [(e["action"], e["subject"]) for e in reversed(found)] == [
        ("roster.imported", "roster.csv"),
        ("roster.time_off_imported", "time-off.csv"),
        ("import.events", "events.csv"),
        ("funnel.saved", "inbound"),
        ("user.created", "mo@example.com"),
        ("user.password_set", "mo@example.com"),
        ("okr.created", "team East"),
    ]
    assert {(e["actor_kind"], e["actor"], e["actor_id"]) for e in found} == {
        ("command line", ME, None)
    }
    assert found[0]["who"] == f"{ME} (command line)"
    assert found[0]["at"] == "2026-11-16T10:00:00+01:00"
    imported = next(e for e in found if e["action"] == "import.events")["detail"]
    assert (imported["added"], imported["rejected"], imported["mapping"]) == (2, 0, "events")


def test_a_rejected_import_changes_nothing_and_records_nothing(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(f"{HEADER}\ne1,ana,2026-11-02,dial,,,\ne2,ana,someday,dial,,,\n")
    code, _, _ = invoke("import", str(events), "--mapping", "events", "--json")
    assert code == 1
    assert logged("import.events") == []


def test_an_upload_imported_by_a_job_is_recorded_as_the_admin_who_sent_it(
    tmp_path: Path, backplan_home: Path
) -> None:
    settings = Settings(home=backplan_home)
    upload = tmp_path / "upload.csv"
    upload.write_text(f"{HEADER}\ne1,ana,2026-11-02,dial,,,\n")
    admin = Actor.user("admin@example.com", "a" * 32)
    params = {"file": str(upload), "mapping": "events", "name": "crm.csv", "by": admin.to_dict()}
    run_upload(settings, params)
    [event] = audit_log(settings, AuditFilter(action="import.events")).entries
    assert (event.actor, event.actor_id, event.actor_kind, event.subject) == (
        "admin@example.com",
        "a" * 32,
        "user",
        "crm.csv",
    )
    again = import_file(settings, ImportRequest(upload, "events", by=admin))
    assert again.added == 0  # a re-import adds nothing, and is still an admin's action
    assert audit_log(settings, AuditFilter(action="import.events")).total == 2


def test_audit_prints_a_table_and_csv_and_filters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backplan.cli.output import console

    monkeypatch.setattr(console, "width", 200)
    roster = tmp_path / "roster.csv"
    roster.write_text('rep,team\nana,"=HYPERLINK(""http://evil.example"")"\n')
    assert invoke("roster", str(roster))[0] == 0
    invoke("user", "add", "x@example.com", "--role", "admin", stdin=PASSWORD + "\n")
    code, out, _ = invoke("audit")
    assert code == 0
    assert "loaded the roster file" in out and "created the account of" in out
    assert "Europe/Paris" in out
    code, out, _ = invoke("audit", "--csv", "--action", "roster.imported")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["action"] for r in rows] == ["roster.imported"]
    assert rows[0]["at"] == "2026-11-16T10:00:00+01:00"
    assert invoke("audit", "--json", "--since", "2026-11-17") == (0, "[]\n", "")
    assert len(json.loads(invoke("audit", "--json", "--until", "2026-11-16")[1])) == 2
    code, _, err = invoke("audit", "--action", "user.hacked")
    assert code == 2 and "no action 'user.hacked'" in err
    assert PASSWORD not in invoke("audit", "--json")[1] + invoke("audit", "--csv")[1]
