"""The playbook: weak conversions to coaching (cases S3, S4), editable per organisation."""

from __future__ import annotations

from pathlib import Path

import pytest

from backplan.config import get_settings
from backplan.core.errors import DefinitionError, UnknownCoaching
from backplan.defaults import default_playbook, funnel, playbook


def write(tmp_path: Path, text: str, name: str = "playbook.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- The shipped defaults --------------------------------------------------------------


@pytest.mark.parametrize("name", ["outbound", "sales-director"])
def test_default_playbook_covers_every_conversion_and_channel_of_the_shipped_funnels(name):
    assert default_playbook().missing_for(funnel(name)) == []


def test_weak_call_to_pitch_means_the_wrong_people_or_the_wrong_time():
    coaching = default_playbook().coaching_for("pitches/calls")
    assert coaching.kind == "conversion"
    assert coaching.area == "list quality and calling times"
    assert "calling the wrong people or at the wrong time" in coaching.why


def test_weak_opp_to_deal_calls_for_closing_training():
    coaching = default_playbook().coaching_for("deals/opps")
    assert coaching.area == "closing"
    assert "closing training" in coaching.why


def test_weak_meeting_to_sql_calls_for_qualification():
    coaching = default_playbook().coaching_for("sqls/meetings")
    assert coaching.area == "qualification"
    assert any("qualification criteria" in s for s in coaching.suggestions)


def test_outbound_conversions_map_to_the_design_coaching_areas():
    book = default_playbook()
    areas = {c.key: book.coaching_for(c.key).area for c in funnel("outbound").conversions()}
    assert areas == {
        "conversations/dials": "opening lines, calling times and list quality",
        "meetings/conversations": "objection handling and value pitch",
        "sqls/meetings": "qualification",
        "deals/sqls": "closing",
    }


def test_email_to_meeting_is_a_channel_entry_about_messaging_and_channel_mix():
    coaching = default_playbook().for_channel("emails", "meetings")
    assert (coaching.key, coaching.kind) == ("meetings/emails", "channel")
    assert coaching.area == "messaging and channel mix"
    assert any("from email toward calls" in s for s in coaching.suggestions)


def test_volume_gaps_have_their_own_entries():
    book = default_playbook()
    assert book.coaching_for("dials").kind == "volume"
    assert book.coaching_for("prospects").area == "prospecting and list building"
    assert {"dials", "calls", "emails", "social", "meetings", "opps"} <= set(book.volume)


def test_unknown_keys_say_what_the_playbook_knows():
    book = default_playbook()
    assert book.get("demos/meetings") is None
    with pytest.raises(UnknownCoaching, match=r"no conversion or channel entry 'demos/meetings'"):
        book.coaching_for("demos/meetings")
    with pytest.raises(UnknownCoaching, match=r"no volume entry 'webinars'.*known: calls"):
        book.coaching_for("webinars")


def test_coaching_as_json():
    assert default_playbook().coaching_for("deals/opps").to_dict() == {
        "key": "deals/opps",
        "kind": "conversion",
        "area": "closing",
        "why": "A weak opp:deal ratio most likely calls for closing training.",
        "suggestions": [
            "Closing training: summarise value, handle the last objections, ask for the business.",
            "Map the decision process and the paper process early.",
            "Review lost opportunities together for the common reason.",
        ],
    }


# --- An organisation's own playbook ----------------------------------------------------

ORG = """\
# Our playbook: what we coach differently
[conversions."sqls/meetings"]
more_suggestions = ["Fill in the MEDDIC sheet after every meeting."]

[conversions."meetings/conversations"]
area = "objection handling"
suggestions = ["Practise the top five objections in Friday role-plays."]

[volume.referrals]
area = "asking for referrals"
why = "Too few referrals from happy customers."
suggestions = ["Ask every new customer for two introductions."]
"""


def test_an_organisation_extends_a_default_entry_with_its_own_suggestions(tmp_path):
    book = playbook(write(tmp_path, ORG))
    qualification = book.coaching_for("sqls/meetings")
    defaults = default_playbook().coaching_for("sqls/meetings")
    assert qualification.area == "qualification"
    assert qualification.suggestions == (
        *defaults.suggestions,
        "Fill in the MEDDIC sheet after every meeting.",
    )


def test_an_organisation_overrides_fields_and_keeps_the_rest(tmp_path):
    book = playbook(write(tmp_path, ORG))
    objections = book.coaching_for("meetings/conversations")
    assert objections.area == "objection handling"
    assert objections.suggestions == ("Practise the top five objections in Friday role-plays.",)
    assert objections.why == default_playbook().coaching_for("meetings/conversations").why
    assert book.coaching_for("referrals").area == "asking for referrals"
    assert book.coaching_for("deals/opps") == default_playbook().coaching_for("deals/opps")


def test_an_organisation_can_start_from_an_empty_playbook(tmp_path):
    path = write(
        tmp_path,
        'include_defaults = false\n[conversions."sqls/meetings"]\narea = "qualification"\n'
        'suggestions = ["Ask about budget."]\n',
    )
    book = playbook(path)
    assert list(book.conversions) == ["sqls/meetings"] and not book.volume
    assert book.missing_for(funnel("outbound")) == [
        "conversations/dials",
        "meetings/conversations",
        "deals/sqls",
        "conversations/calls",
        "conversations/emails",
        "meetings/emails",
        "conversations/social",
        "meetings/social",
    ]


def test_the_playbook_path_comes_from_settings(tmp_path, monkeypatch):
    path = write(tmp_path, ORG)
    monkeypatch.setenv("BACKPLAN_PLAYBOOK", str(path))
    assert get_settings().playbook == path
    assert playbook(get_settings().playbook).coaching_for("referrals").kind == "volume"


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            '[volume.referrals]\nwhy = "few"\n',
            ":1: volume.referrals.area",
            "a new entry needs area and suggestions",
        ),
        (
            '\n[channels."meetings/emails"]\narea = "messaging"\nsugestions = ["x"]\n',
            ":4: channels.meetings/emails.sugestions",
            "Extra inputs are not permitted",
        ),
        (
            '[conversions."Meetings to SQLs"]\narea = "x"\nsuggestions = ["y"]\n',
            ":1: conversions.Meetings to SQLs",
            "'Meetings to SQLs' is not a valid key",
        ),
        (
            '[conversions."sqls/meetings"]\narea = "q"\nsuggestions = []\n',
            ":3: conversions.sqls/meetings.suggestions",
            "at least 1 item",
        ),
        ('[conversions."sqls/meetings"\narea = "q"\n', ":1", "not valid TOML"),
    ],
)
def test_mistakes_in_a_playbook_name_file_line_and_field(tmp_path, text, where, message):
    path = write(tmp_path, text)
    with pytest.raises(DefinitionError) as caught:
        playbook(path)
    assert str(caught.value).startswith(f"{path}{where}")
    assert message in str(caught.value)


def test_a_missing_playbook_file_is_named(tmp_path):
    with pytest.raises(DefinitionError, match="file not found"):
        playbook(tmp_path / "nope.toml")
