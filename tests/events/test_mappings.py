"""Shipped mappings read the exports CRMs actually produce; user mappings are checked with line numbers."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backplan.config import Settings, get_settings
from backplan.core.errors import DefinitionError
from backplan.events.errors import UnknownMapping
from backplan.events.mapping import load_mapping, mapping_names
from backplan.events.store import EventStore
from backplan.services.importing import ImportRequest, ImportSummary, import_file

NOW = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture
def settings() -> Settings:
    return get_settings()


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(settings: Settings, path: Path, mapping: str) -> ImportSummary:
    summary = import_file(settings, ImportRequest(path, mapping, now=NOW))
    assert summary.status == "done", summary.to_dict()
    return summary


def stored(settings: Settings) -> list[tuple[object, ...]]:
    con = EventStore(settings.home).connect()
    return con.execute(
        'SELECT event_id, rep, kind, "at", prospect, amount, source FROM events ORDER BY "at", event_id'
    ).fetchall()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_the_shipped_mappings_are_the_ones_named_in_the_docs() -> None:
    assert mapping_names() == [
        "events",
        "hubspot-calls",
        "hubspot-deals",
        "hubspot-meetings",
        "opportunities",
        "pipedrive-activities",
        "pipedrive-deals",
        "salesforce-opportunities",
        "salesforce-tasks",
    ]
    for name in mapping_names():
        assert load_mapping(name).name == name


def test_an_unknown_mapping_name_lists_the_shipped_ones() -> None:
    with pytest.raises(UnknownMapping, match="shipped mappings are events, hubspot-calls"):
        load_mapping("zoho")


def test_hubspot_calls_are_dials_and_connected_calls_also_connects(
    settings: Settings, tmp_path: Path
) -> None:
    header = [
        "Record ID",
        "Call Title",
        "Activity date",
        "Activity assigned to",
        "Call outcome",
        "Call direction",
        "Associated Contact",
        "Associated Company",
    ]
    path = write_csv(
        tmp_path / "hubspot-crm-exports-calls.csv",
        header,
        [
            [
                "5101",
                "Intro",
                "2025-02-03 09:12",
                "Ana Silva",
                "No answer",
                "Outbound",
                "Jo Li (jo@acme.io)",
                "Acme",
            ],
            [
                "5102",
                "Intro",
                "2025-02-05 10:40",
                "Ana Silva",
                "Connected",
                "Outbound",
                "Jo Li (jo@acme.io)",
                "Acme",
            ],
            [
                "5103",
                "Follow",
                "2025-02-05 11:00",
                "Bo Berg",
                "Left voicemail",
                "Outbound",
                "",
                "Initech",
            ],
        ],
    )
    summary = run(settings, path, "hubspot-calls")
    assert (summary.read, summary.events, summary.added) == (3, 4, 4)
    assert [(e[0], e[2], e[3]) for e in stored(settings)] == [
        ("5101:dial", "dial", utc(2025, 2, 3, 9, 12)),
        ("5102:connect", "connect", utc(2025, 2, 5, 10, 40)),
        ("5102:dial", "dial", utc(2025, 2, 5, 10, 40)),
        ("5103:dial", "dial", utc(2025, 2, 5, 11, 0)),
    ]


def test_a_hubspot_meeting_that_moved_from_scheduled_to_completed_adds_only_meeting_held(
    settings: Settings, tmp_path: Path
) -> None:
    header = [
        "Record ID",
        "Meeting name",
        "Create Date",
        "Activity date",
        "Activity assigned to",
        "Meeting outcome",
        "Associated Contact",
    ]
    first = write_csv(
        tmp_path / "meetings-1.csv",
        header,
        [
            [
                "77",
                "Demo",
                "2025-03-01 10:00",
                "2025-03-04 15:00",
                "Ana Silva",
                "Scheduled",
                "Jo Li",
            ],
            [
                "78",
                "Demo",
                "2025-03-01 11:00",
                "2025-03-05 15:00",
                "Ana Silva",
                "No show",
                "Kim Park",
            ],
        ],
    )
    assert run(settings, first, "hubspot-meetings").added == 3
    later = write_csv(
        tmp_path / "meetings-2.csv",
        header,
        [
            [
                "77",
                "Demo",
                "2025-03-01 10:00",
                "2025-03-04 15:00",
                "Ana Silva",
                "Completed",
                "Jo Li",
            ],
            [
                "78",
                "Demo",
                "2025-03-01 11:00",
                "2025-03-05 15:00",
                "Ana Silva",
                "No show",
                "Kim Park",
            ],
        ],
    )
    summary = run(settings, later, "hubspot-meetings")
    assert (summary.added, summary.duplicates) == (1, 3)
    assert [(e[0], e[3]) for e in stored(settings)] == [
        ("77:meeting_booked", utc(2025, 3, 1, 10)),
        ("78:meeting_booked", utc(2025, 3, 1, 11)),
        ("77:meeting_held", utc(2025, 3, 4, 15)),
        ("78:no_show", utc(2025, 3, 5, 15)),
    ]


def test_hubspot_deals_open_at_creation_and_close_won_or_lost_with_their_amount(
    settings: Settings, tmp_path: Path
) -> None:
    header = [
        "Record ID",
        "Deal Name",
        "Deal Stage",
        "Pipeline",
        "Amount",
        "Close Date",
        "Create Date",
        "Deal owner",
        "Original Source Type",
        "Associated Company",
    ]
    path = write_csv(
        tmp_path / "deals.csv",
        header,
        [
            [
                "901",
                "Acme renewal",
                "Closed Won",
                "Sales Pipeline",
                "12000",
                "2025-04-30",
                "2025-02-01",
                "Ana Silva",
                "Organic search",
                "Acme",
            ],
            [
                "902",
                "Initech",
                "Closed Lost",
                "Sales Pipeline",
                "8000",
                "2025-04-15",
                "2025-02-11",
                "Bo Berg",
                "Offline sources",
                "Initech",
            ],
            [
                "903",
                "Globex",
                "Contract Sent",
                "Sales Pipeline",
                "5000",
                "",
                "2025-03-10",
                "Bo Berg",
                "Referrals",
                "Globex",
            ],
        ],
    )
    summary = run(settings, path, "hubspot-deals")
    assert (summary.events, summary.added) == (5, 5)
    events = {e[0]: e for e in stored(settings)}
    assert events["901:won"][2:] == ("won", utc(2025, 4, 30), "Acme", 12000.0, "Organic search")
    assert events["901:opp"][5] is None  # the amount goes on the close
    assert events["902:lost"][5] == 8000.0
    assert set(events) == {"901:opp", "901:won", "902:opp", "902:lost", "903:opp"}


def test_salesforce_opportunities_with_us_dates_and_currency_amounts(
    settings: Settings, tmp_path: Path
) -> None:
    header = [
        "Opportunity Owner",
        "Account Name",
        "Opportunity Name",
        "Stage",
        "Fiscal Period",
        "Amount",
        "Probability (%)",
        "Close Date",
        "Created Date",
        "Lead Source",
        "Opportunity ID",
    ]
    path = write_csv(
        tmp_path / "report.csv",
        header,
        [
            [
                "Ana Silva",
                "Acme",
                "Acme - 200 units",
                "Closed Won",
                "Q1-2025",
                "$24,500.00",
                "100",
                "3/28/2025",
                "1/6/2025",
                "Web",
                "0065g00000AbCdE",
            ],
            [
                "Bo Berg",
                "Initech",
                "Initech - pilot",
                "Negotiation/Review",
                "Q2-2025",
                "$9,000.00",
                "90",
                "5/30/2025",
                "2/14/2025",
                "Partner",
                "0065g00000FgHiJ",
            ],
        ],
    )
    summary = run(settings, path, "salesforce-opportunities")
    assert summary.added == 3
    events = {e[0]: e for e in stored(settings)}
    assert events["0065g00000AbCdE:won"][3:6] == (utc(2025, 3, 28), "Acme", 24500.0)
    assert events["0065g00000AbCdE:opp"][3] == utc(2025, 1, 6)
    assert events["0065g00000FgHiJ:opp"][6] == "Partner"


def test_salesforce_tasks_count_calls_emails_and_linkedin_and_skip_other_tasks(
    settings: Settings, tmp_path: Path
) -> None:
    header = [
        "Assigned",
        "Call Result",
        "Activity Type",
        "Subject",
        "Date",
        "Status",
        "Company / Account",
        "Contact",
        "Task Subtype",
        "Activity ID",
    ]
    path = write_csv(
        tmp_path / "tasks.csv",
        header,
        [
            [
                "Ana Silva",
                "No Answer",
                "Call",
                "Call",
                "2/3/2025",
                "Completed",
                "Acme",
                "Jo Li",
                "Call",
                "00T1",
            ],
            [
                "Ana Silva",
                "Connected",
                "Call",
                "Call",
                "2/4/2025",
                "Completed",
                "Acme",
                "Jo Li",
                "Call",
                "00T2",
            ],
            [
                "Ana Silva",
                "",
                "Email",
                "Email: intro",
                "2/4/2025",
                "Completed",
                "Acme",
                "Jo Li",
                "Email",
                "00T3",
            ],
            [
                "Bo Berg",
                "",
                "LinkedIn",
                "InMail",
                "2/5/2025",
                "Completed",
                "Initech",
                "Sam Ro",
                "LinkedIn",
                "00T4",
            ],
            [
                "Bo Berg",
                "",
                "Task",
                "Send contract",
                "2/6/2025",
                "Completed",
                "Initech",
                "Sam Ro",
                "Task",
                "00T5",
            ],
        ],
    )
    summary = run(settings, path, "salesforce-tasks")
    assert (summary.read, summary.skipped, summary.added) == (5, 1, 5)
    assert sorted(e[0] for e in stored(settings)) == [
        "00T1:dial",
        "00T2:connect",
        "00T2:dial",
        "00T3:email",
        "00T4:social",
    ]


def test_pipedrive_activities_count_what_is_done_and_book_meetings_when_created(
    settings: Settings, tmp_path: Path
) -> None:
    header = [
        "Activity - ID",
        "Activity - Subject",
        "Activity - Type",
        "Activity - Due date",
        "Activity - Done",
        "Activity - Marked as done time",
        "Activity - Creation date",
        "Activity - Assigned to user",
        "Activity - Organization",
        "Activity - Contact person",
    ]
    path = write_csv(
        tmp_path / "activities.csv",
        header,
        [
            [
                "31",
                "Cold call",
                "Call",
                "2025-02-03",
                "Done",
                "2025-02-03 10:02:11",
                "2025-02-01 09:00:00",
                "Ana Silva",
                "Acme",
                "Jo Li",
            ],
            [
                "32",
                "Demo",
                "Meeting",
                "2025-02-10",
                "Done",
                "2025-02-10 15:45:00",
                "2025-02-03 10:10:00",
                "Ana Silva",
                "Acme",
                "Jo Li",
            ],
            [
                "33",
                "Demo",
                "Meeting",
                "2025-06-20",
                "Undone",
                "",
                "2025-05-20 11:00:00",
                "Bo Berg",
                "Initech",
                "Sam Ro",
            ],
            [
                "34",
                "Call back",
                "Call",
                "2025-06-25",
                "Undone",
                "",
                "2025-05-21 11:00:00",
                "Bo Berg",
                "Initech",
                "Sam Ro",
            ],
        ],
    )
    summary = run(settings, path, "pipedrive-activities")
    assert (summary.read, summary.skipped, summary.added) == (4, 1, 4)
    assert [(e[0], e[3]) for e in stored(settings)] == [
        ("31:dial", utc(2025, 2, 3, 10, 2, 11)),
        ("32:meeting_booked", utc(2025, 2, 3, 10, 10)),
        ("32:meeting_held", utc(2025, 2, 10, 15, 45)),
        ("33:meeting_booked", utc(2025, 5, 20, 11)),
    ]


def test_pipedrive_deals_close_at_their_won_or_lost_time(
    settings: Settings, tmp_path: Path
) -> None:
    header = [
        "Deal - ID",
        "Deal - Title",
        "Deal - Owner",
        "Deal - Value",
        "Deal - Currency of value",
        "Deal - Status",
        "Deal - Deal created",
        "Deal - Won time",
        "Deal - Lost time",
        "Deal - Organization",
    ]
    path = write_csv(
        tmp_path / "deals.csv",
        header,
        [
            [
                "7",
                "Acme",
                "Ana Silva",
                "3000",
                "EUR",
                "Won",
                "2025-01-10 10:00:00",
                "2025-02-20 16:00:00",
                "",
                "Acme",
            ],
            [
                "8",
                "Initech",
                "Bo Berg",
                "1500",
                "EUR",
                "Lost",
                "2025-01-12 10:00:00",
                "",
                "2025-03-01 12:00:00",
                "Initech",
            ],
            [
                "9",
                "Globex",
                "Bo Berg",
                "900",
                "EUR",
                "Open",
                "2025-02-12 10:00:00",
                "",
                "",
                "Globex",
            ],
        ],
    )
    assert run(settings, path, "pipedrive-deals").added == 5
    events = {e[0]: e for e in stored(settings)}
    assert events["7:won"][3] == utc(2025, 2, 20, 16) and events["7:won"][5] == 3000.0
    assert events["8:lost"][3] == utc(2025, 3, 1, 12)


def test_a_user_mapping_for_a_dialer_export_works_as_documented(
    settings: Settings, tmp_path: Path
) -> None:
    mapping = tmp_path / "dialer.toml"
    mapping.write_text(
        'label = "Our dialer export"\n'
        'optional = ["prospect"]\n'
        'timezone = "Europe/Berlin"\n'
        'date_formats = ["%d.%m.%Y %H:%M"]\n\n'
        "[columns]\n"
        'id = "Call ID"\n'
        'rep = ["Agent", "Agent email"]\n'
        'kind = "Disposition"\n'
        'prospect = "Lead ID"\n\n'
        "[dates]\n"
        'at = "Started"\n\n'
        "[kinds]\n"
        'Answered = ["dial", "connect"]\n'
        '"Meeting set" = ["dial", "connect", "meeting_booked"]\n'
        '"*" = ["dial"]\n'
    )
    path = write_csv(
        tmp_path / "calls.csv",
        ["Call ID", "Agent", "Started", "Disposition", "Lead ID"],
        [
            ["c1", "ana", "03.02.2025 09:30", "Busy", "L1"],
            ["c2", "ana", "03.02.2025 10:00", "answered", "L2"],
            ["c3", "ana", "04.02.2025 11:15", "Meeting set", "L2"],
        ],
    )
    summary = run(settings, path, str(mapping))
    assert summary.added == 6
    times = {e[0]: e[3] for e in stored(settings)}
    assert times["c1:dial"] == utc(2025, 2, 3, 8, 30)  # 09:30 in Berlin is 08:30 UTC
    assert "c3:meeting_booked" in times


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        (
            '[columns]\nrep = "Owner"\nkind = "Type"\n\n[dates]\nat = "Date"\n\n[kinds]\nCall = ["dail"]\n',
            9,
            "kinds.Call",
            "unknown event kind 'dail'",
        ),
        (
            '[columns]\nrep = "Owner"\nkind = "Stage"\n\n[dates]\nopened = "Created"\n\n[kinds]\nWon = ["won@closed"]\n',
            9,
            "kinds.Won",
            "no date named 'closed'",
        ),
        (
            '[columns]\nrep = "Owner"\nowner = "Owner"\n\n[dates]\nat = "Date"\n',
            3,
            "columns.owner",
            "Extra inputs",
        ),
        (
            '[columns]\nowner = "Owner"\n\n[dates]\nat = "Date"\n',
            1,
            "columns.rep",
            "this field is missing",
        ),
        (
            '[columns]\nrep = "Owner"\n\n[dates]\nat = "Date"\n',
            1,
            "columns",
            "name the column that holds the kind",
        ),
        (
            'timezone = "Mars/Olympus"\n[columns]\nrep = "Owner"\nkind = "Type"\n[dates]\nat = "Date"\n',
            1,
            "timezone",
            "unknown time zone",
        ),
    ],
)
def test_a_mistake_in_a_user_mapping_names_its_file_line_and_field(
    tmp_path: Path, text: str, line: int | None, field: str, message: str
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(text)
    with pytest.raises(DefinitionError) as caught:
        load_mapping(str(path))
    error = caught.value
    assert (error.file, error.line, error.field) == (str(path), line, field)
    assert message in str(error)


def test_amounts_with_a_decimal_comma_and_a_currency_are_read(
    settings: Settings, tmp_path: Path
) -> None:
    mapping = tmp_path / "eu.toml"
    mapping.write_text(
        'decimal = ","\ndate_formats = ["%d.%m.%Y"]\n\n[columns]\nid = "Nr"\nrep = "Verkäufer"\n'
        'amount = "Wert"\n\n[dates]\nat = "Datum"\n\n[kinds]\n"*" = ["won"]\n'
    )
    path = tmp_path / "abschluesse.csv"
    path.write_text(
        "Nr;Verkäufer;Wert;Datum\n1;Ana;1.234,50 €;03.02.2025\n2;Ana;EUR 99;04.02.2025\n"
    )
    summary = run(settings, path, str(mapping))
    assert summary.added == 2
    assert sorted(e[5] for e in stored(settings)) == [99.0, 1234.5]  # type: ignore[type-var]
