"""Admins edit the organisation's funnels and playbook in the web app; plans and coaching use them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from backplan import appdb, defaults
from backplan.appdb.models import Objective
from backplan.services import okr

from .conftest import ADMIN, ANA, MANAGER, PASSWORD, S1_RATES, form_token
from .test_team_diagnosis import S3_QUERY, company_x_app
from .test_team_diagnosis import signed_in as api_signed_in

JSON = {"Accept": "application/json"}
OUTBOUND = defaults.funnel_path("outbound").read_text()

# Outbound with a better first conversion: conversations/dials written in TOML is not a
# rate (rates come from the request), so the edit that changes a plan is a new stage.
INBOUND = """\
key = "inbound"
label = "Inbound"

[[stages]]
key = "leads"
kinds = ["lead"]
focus = true

[[stages]]
key = "meetings"
kinds = ["meeting_booked"]

[[stages]]
key = "sqls"
kinds = ["sql"]
label = "SQLs"
"""

QUALIFY = """\
[conversions."sqls/meetings"]
area = "discovery questions"
suggestions = ["Ask about budget and timing in the first five minutes"]
"""


def test_an_admin_saves_a_funnel_and_plans_use_it(signed_in) -> None:
    admin, csrf = signed_in(ADMIN)
    saved = admin.put(
        "/api/funnels/inbound", json={"toml": INBOUND}, headers={"X-CSRF-Token": csrf}
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["funnel"]["conversions"] == [
        {"key": "meetings/leads", "label": "Leads → Meetings"},
        {"key": "sqls/meetings", "label": "Meetings → SQLs"},
    ]
    assert saved.json()["version"]["created_by"] == ADMIN.email
    rep, rep_csrf = signed_in(ANA)
    body = {
        "objective": "4 sqls",
        "funnel": "inbound",
        "working_days": 20,
        "rates": {"meetings/leads": "1/5", "sqls/meetings": "1/2"},
    }
    plan = rep.post("/api/plan", json=body, headers={"X-CSRF-Token": rep_csrf})
    assert plan.status_code == 200, plan.text
    stages = {s["key"]: s["per_period"] for s in plan.json()["stages"]}
    assert stages == {"leads": 40, "meetings": 8, "sqls": 4}
    funnels = rep.get("/api/funnels").json()
    assert [f["key"] for f in funnels] == ["inbound", "outbound", "sales-director"]
    one = rep.get("/api/funnels/inbound").json()
    assert (one["source"], one["edited_by"], one["toml"]) == ("organisation", ADMIN.email, INBOUND)
    assert rep.get("/api/funnels/outbound").json()["source"] == "shipped"
    assert rep.get("/api/funnels/nowhere").status_code == 404


def test_an_edited_shipped_funnel_changes_the_plan_until_reverted(signed_in) -> None:
    admin, csrf = signed_in(ADMIN)
    # The edit inserts "pitches" between conversations and meetings.
    edited = OUTBOUND.replace(
        '[[stages]]\nkey = "meetings"',
        '[[stages]]\nkey = "pitches"\nkinds = ["pitch"]\n\n[[stages]]\nkey = "meetings"',
        1,
    )
    assert edited != OUTBOUND
    response = admin.put(
        "/api/funnels/outbound", json={"toml": edited}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 200, response.text
    rates = {**S1_RATES, "pitches/conversations": "1/2"}
    rates["meetings/pitches"] = rates.pop("meetings/conversations")
    body = {"objective": "4 sqls", "working_days": 20, "rates": rates}
    stages = {
        s["key"]: s["per_period"]
        for s in admin.post("/api/plan", json=body, headers={"X-CSRF-Token": csrf}).json()["stages"]
    }
    assert (stages["dials"], stages["pitches"]) == (2400, 84)
    assert admin.delete("/api/funnels/outbound", headers={"X-CSRF-Token": csrf}).status_code == 204
    body = {"objective": "4 sqls", "working_days": 20, "rates": S1_RATES}
    stages = {
        s["key"]: s["per_period"]
        for s in admin.post("/api/plan", json=body, headers={"X-CSRF-Token": csrf}).json()["stages"]
    }
    assert stages["dials"] == 1200
    assert admin.get("/api/funnels/outbound").json()["source"] == "shipped"


def test_an_invalid_funnel_is_refused_with_line_and_field_and_nothing_saved(signed_in) -> None:
    admin, csrf = signed_in(ADMIN)
    bad = INBOUND.replace('kinds = ["sql"]', 'kinds = "sql"')
    response = admin.put("/api/funnels/inbound", json={"toml": bad}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert (detail["line"], detail["field"], detail["excerpt"]) == (
        15,
        "stages[2].kinds",
        'kinds = "sql"',
    )
    assert response.json()["error"].startswith("funnel 'inbound' (edited):15: stages[2].kinds: ")
    assert admin.get("/api/funnels/inbound").status_code == 404


def test_the_editor_checks_without_saving_and_keeps_the_text_of_an_error(signed_in) -> None:
    admin, _ = signed_in(ADMIN)
    page = admin.get("/admin/funnels/new?name=inbound")
    assert page.status_code == 200 and "key = &#34;inbound&#34;" in page.text
    token = form_token(page.text, "funnel-form")
    checked = admin.post(
        "/admin/funnels/inbound", data={"toml": INBOUND, "action": "check", "csrf_token": token}
    )
    assert checked.status_code == 200
    assert "Checked: Inbound" in checked.text and "<code>meetings/leads</code>" in checked.text
    assert admin.get("/api/funnels/inbound").status_code == 404  # a check saves nothing
    bad = INBOUND.replace("focus = true", "focus = maybe")
    refused = admin.post(
        "/admin/funnels/inbound", data={"toml": bad, "action": "save", "csrf_token": token}
    )
    assert refused.status_code == 422
    assert "Line 7" in refused.text and "focus = maybe" in refused.text
    saved = admin.post(
        "/admin/funnels/inbound",
        data={"toml": INBOUND, "action": "save", "csrf_token": token},
        follow_redirects=False,
    )
    assert (saved.status_code, saved.headers["location"]) == (
        303,
        "/admin/funnels/inbound?saved=true",
    )
    listed = admin.get("/admin/funnels", headers=JSON).json()["funnels"]
    assert [(f["name"], f["source"], f["edited_by"]) for f in listed] == [
        ("inbound", "organisation", ADMIN.email),
        ("outbound", "shipped", None),
        ("sales-director", "shipped", None),
    ]
    editor = admin.get("/admin/funnels/inbound", headers=JSON).json()
    assert editor["toml"] == INBOUND and len(editor["history"]) == 1
    shipped = admin.get("/admin/funnels/outbound", headers=JSON).json()
    assert shipped["toml"] == OUTBOUND and shipped["source"] == "shipped"


def test_a_funnel_objectives_use_is_not_deleted_and_the_page_says_which(signed_in) -> None:
    admin, csrf = signed_in(ADMIN)
    app_settings = admin.app.state.web.settings  # type: ignore[attr-defined]
    admin.put("/api/funnels/inbound", json={"toml": INBOUND}, headers={"X-CSRF-Token": csrf})
    request = okr.ObjectiveRequest("East", "team", "2026-10", ["4 sqls"], funnel="inbound")
    created = okr.create_objective(app_settings, request, date(2026, 10, 1))
    refused = admin.delete("/api/funnels/inbound", headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 409
    assert refused.json()["error"] == (
        f"funnel 'inbound' is used by 1 objective(s): #{created.objective.id} "
        f"{created.objective.text!r}; delete them or move them to another funnel first"
    )
    with appdb.session(app_settings) as db:
        db.delete(db.get(Objective, created.objective.id))
    assert admin.delete("/api/funnels/inbound", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert admin.get("/api/funnels/inbound").status_code == 404


def test_an_edited_playbook_is_the_coaching_plans_show(signed_in) -> None:
    admin, csrf = signed_in(ADMIN)
    response = admin.put("/api/playbook", json={"toml": QUALIFY}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200, response.text
    rep, _ = signed_in(ANA)
    query = "objective=4+sqls&working_days=20&" + "&".join(f"{k}={v}" for k, v in S1_RATES.items())
    plan = rep.get(f"/plan?{query}", headers=JSON).json()
    assert plan["coaching"]["sqls/meetings"] == "discovery questions"
    playbook = rep.get("/api/playbook").json()
    entry = next(c for c in playbook["conversions"] if c["key"] == "sqls/meetings")
    assert entry["suggestions"] == ["Ask about budget and timing in the first five minutes"]
    assert playbook["source"].startswith("shipped default ← edited by admin@example.com on ")
    assert admin.delete("/api/playbook", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert rep.get(f"/plan?{query}", headers=JSON).json()["coaching"]["sqls/meetings"] == (
        "qualification"
    )


def test_an_edited_playbook_is_the_coaching_of_the_team_diagnosis(
    backplan_home: Path, tmp_path: Path
) -> None:
    app = company_x_app(backplan_home, tmp_path)
    app.state.web.accounts.add_user(ADMIN.email, PASSWORD, "admin")
    admin = api_signed_in(app, ADMIN.email)
    csrf = admin.get("/api/me").json()["csrf_token"]
    assert (
        admin.put(
            "/api/playbook", json={"toml": QUALIFY}, headers={"X-CSRF-Token": csrf}
        ).status_code
        == 200
    )
    mo = api_signed_in(app, "mo@example.com")
    diagnosis = mo.get("/api/teams/company-x", params=S3_QUERY).json()["diagnosis"]
    assert diagnosis["coaching"]["area"] == "discovery questions"
    assert "Coach: discovery questions." in mo.get("/teams/company-x", params=S3_QUERY).text


def test_without_the_csrf_token_nothing_is_saved(signed_in) -> None:
    admin, _ = signed_in(ADMIN)
    api = admin.put("/api/funnels/inbound", json={"toml": INBOUND})
    form = admin.post("/admin/funnels/inbound", data={"toml": INBOUND, "action": "save"})
    book = admin.put("/api/playbook", json={"toml": QUALIFY}, headers={"X-CSRF-Token": "forged"})
    revert = admin.post("/admin/playbook/revert", data={"csrf_token": "forged"})
    assert [r.status_code for r in (api, form, book, revert)] == [403, 403, 403, 403]
    assert admin.get("/api/funnels/inbound").status_code == 404
    assert admin.get("/admin/playbook", headers=JSON).json()["history"] == []


def test_only_admins_edit_and_everyone_reads(signed_in) -> None:
    manager, csrf = signed_in(MANAGER)
    response = manager.put(
        "/api/funnels/inbound", json={"toml": INBOUND}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 403
    assert manager.get("/admin/playbook").status_code == 403
    assert manager.get("/api/funnels/outbound").json()["key"] == "outbound"
    assert "/admin/funnels/outbound" not in manager.get("/funnels").text
    admin, _ = signed_in(ADMIN)
    assert 'href="/admin/funnels/outbound">Edit</a>' in admin.get("/funnels").text


def test_a_new_funnel_needs_a_safe_name(signed_in) -> None:
    admin, csrf = signed_in(ADMIN)
    for name in ("Inbound", "new"):
        response = admin.put(
            f"/api/funnels/{name}", json={"toml": INBOUND}, headers={"X-CSRF-Token": csrf}
        )
        assert response.status_code == 422
        assert "use lowercase letters, digits and '-'" in response.json()["error"]
    assert admin.get("/admin/funnels/new?name=In%20bound").status_code == 422


def test_the_playbook_editor_shows_an_error_line_and_keeps_the_text(signed_in) -> None:
    admin, _ = signed_in(ADMIN)
    page = admin.get("/admin/playbook")
    assert page.status_code == 200 and "[conversions.&#34;conversations/dials&#34;]" in page.text
    token = form_token(page.text, "playbook-form")
    bad = '[conversions."sqls/meetings"]\nsuggestions = []\n'
    refused = admin.post(
        "/admin/playbook", data={"toml": bad, "action": "save", "csrf_token": token}
    )
    assert refused.status_code == 422
    assert "Line 2, field <code>conversions.sqls/meetings.suggestions</code>" in refused.text
    assert "suggestions = []" in refused.text
    assert admin.get("/admin/playbook", headers=JSON).json()["history"] == []


def test_the_forecast_offers_the_organisations_funnels(signed_in) -> None:
    admin, csrf = signed_in(ADMIN)
    admin.put("/api/funnels/inbound", json={"toml": INBOUND}, headers={"X-CSRF-Token": csrf})
    funnels = admin.get("/forecast", headers=JSON).json()["funnels"]
    assert funnels == ["inbound", "outbound", "sales-director"]
