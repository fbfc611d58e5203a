"""My plan on the web: the S1 plan, its JSON twin, what-ifs, errors, and agreeing it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import ANA, MANAGER, S1_QUERY, S1_RATES, form_token

JSON = {"Accept": "application/json"}
S1_BODY = {"objective": "4 sqls", "period": "month", "working_days": 20, "rates": S1_RATES}


def per_period(plan: dict) -> dict[str, int]:
    return {s["key"]: s["per_period"] for s in plan["stages"]}


def test_the_plan_api_works_s1_backwards_to_1200_dials_and_4_2_conversations_a_day(
    signed_in,
) -> None:
    client, csrf = signed_in(ANA)
    response = client.post("/api/plan", json=S1_BODY, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200
    plan = response.json()
    assert per_period(plan) == {"dials": 1200, "conversations": 84, "meetings": 12, "sqls": 4}
    conversations = next(s for s in plan["stages"] if s["key"] == "conversations")
    assert conversations["per_working_day"] == 4.2 and conversations["focus"] is True
    assert plan["period"]["working_days"] == 20
    assert plan["reasoning"][0] == "4 SQLs × 3 meetings per SQL = 12 meetings"
    assert plan["reasoning"][2] == "84 conversations ÷ 0.07 conversations per dial = 1,200 dials"


def test_the_plan_page_shows_the_chain_its_reasoning_and_the_daily_number(signed_in) -> None:
    client, _ = signed_in(ANA)
    html = client.get(f"/plan?{S1_QUERY}").text
    assert '<span class="value">4.2</span> conversations a working day' in html
    assert "1,200 dials" in html and "60 a day, 300 a week" in html
    assert "12 meetings × 7 conversations per meeting = 84 conversations" in html
    assert 'id="plan-chart"' in html and "/static/vendor/plotly-" in html
    assert 'id="agree-form"' in html


def test_the_plan_page_has_a_json_twin(signed_in) -> None:
    client, _ = signed_in(ANA)
    data = client.get(f"/plan?{S1_QUERY}", headers={"Accept": "application/json"}).json()
    assert per_period(data["plan"])["dials"] == 1200
    assert data["input"]["rates"] == S1_RATES
    assert [c["key"] for c in data["conversions"]] == [
        "conversations/dials",
        "meetings/conversations",
        "sqls/meetings",
        "deals/sqls",
    ]
    assert data["can_agree"] is True
    assert data["coaching"]["sqls/meetings"] == "qualification"
    assert (
        data["coaching"]["conversations/dials"] == "opening lines, calling times and list quality"
    )


def test_a_what_if_on_one_rate_needs_fewer_dials(signed_in) -> None:
    client, csrf = signed_in(ANA)
    better = {**S1_BODY, "rates": {**S1_RATES, "sqls/meetings": "1/2"}}
    plan = client.post("/api/plan", json=better, headers={"X-CSRF-Token": csrf}).json()
    assert per_period(plan) == {"dials": 800, "conversations": 56, "meetings": 8, "sqls": 4}


def test_a_missing_rate_is_a_422_that_names_the_conversion(signed_in) -> None:
    client, csrf = signed_in(ANA)
    body = {**S1_BODY, "rates": {"conversations/dials": "0.07"}}
    response = client.post("/api/plan", json=body, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 422
    assert (
        "meetings/conversations" in response.json()["error"]
        or "sqls/meetings" in response.json()["error"]
    )
    page = client.get("/plan?objective=4+sqls&working_days=20&conversations/dials=0.07")
    assert page.status_code == 422 and 'id="plan-error"' in page.text


def test_the_web_only_plans_on_shipped_funnels_never_on_files(signed_in) -> None:
    client, csrf = signed_in(ANA)
    for name in ("/etc/passwd", "../funnels/outbound.toml", "nope"):
        response = client.post(
            "/api/plan", json={**S1_BODY, "funnel": name}, headers={"X-CSRF-Token": csrf}
        )
        assert response.status_code == 422
        assert "choose one of outbound, sales-director" in response.json()["error"]


def test_bad_input_is_a_422_with_the_field_named(signed_in) -> None:
    client, csrf = signed_in(ANA)
    response = client.post(
        "/api/plan", json={**S1_BODY, "working_days": 0}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 422
    assert "working_days" in response.json()["error"]
    page = client.get("/plan?objective=4+sqls&working_days=many")
    assert page.status_code == 422 and "working_days" in page.text


def test_huge_numbers_are_a_422_not_a_crash(signed_in) -> None:
    client, csrf = signed_in(ANA)
    tiny = {k: "1e-300" for k in S1_RATES}
    response = client.post(
        "/api/plan", json={**S1_BODY, "rates": tiny}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 422


def test_a_rep_agrees_the_plan_and_it_is_stored_as_agreed(signed_in) -> None:
    client, _ = signed_in(ANA)
    page = client.get(f"/plan?{S1_QUERY}").text
    form = {"csrf_token": form_token(page, "agree-form"), **S1_RATES}
    form.update(objective="4 sqls", period="month", working_days="20", funnel="outbound")
    response = client.post("/plan/agree", data=form, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/plans/")
    agreed = client.get(location, headers={"Accept": "application/json"}).json()
    assert agreed["rep"] == "Ana" and agreed["agreed_by"] == "Ana"
    assert agreed["status"] == "agreed" and agreed["objective"] == "4 sqls"
    assert agreed["rates"] == {
        "conversations/dials": "7/100",
        "meetings/conversations": "1/7",
        "sqls/meetings": "1/3",
    }
    assert per_period(agreed["plan"])["dials"] == 1200
    assert "Ana agreed this plan on" in client.get(location).text
    mine = client.get("/api/reps/Ana").json()["agreements"]
    assert [str(a["id"]) for a in mine] == [location.removeprefix("/plans/")]


def test_a_plan_agreed_on_my_plan_is_the_agreed_plan_of_the_reps_objective(signed_in) -> None:
    client, csrf = signed_in(ANA)
    agreed = client.post("/api/plans", json=S1_BODY, headers={"X-CSRF-Token": csrf}).json()
    objective = client.get(f"/okrs/{agreed['objective_id']}", headers=JSON).json()
    assert objective["owner"]["key"] == "Ana" and objective["agreed"] is True
    assert objective["key_results"][0]["text"] == "4 sqls"
    [plan] = objective["plans"]
    assert plan["id"] == agreed["id"] and plan["status"] == "agreed"
    assert plan["agreement"]["agreed_by"] == "Ana"
    assert per_period(plan["figures"])["dials"] == 1200


def test_agreeing_again_for_the_same_objective_supersedes_the_older_plan(signed_in) -> None:
    client, csrf = signed_in(ANA)
    headers = {"X-CSRF-Token": csrf}
    first = client.post("/api/plans", json=S1_BODY, headers=headers).json()
    better = {**S1_BODY, "rates": {**S1_RATES, "sqls/meetings": "1/2"}}
    second = client.post("/api/plans", json=better, headers=headers).json()
    assert second["objective_id"] == first["objective_id"]
    assert client.get(f"/api/plans/{first['id']}").json()["status"] == "superseded"
    assert per_period(second["plan"])["dials"] == 800
    statuses = [a["status"] for a in client.get("/api/reps/Ana").json()["agreements"]]
    assert statuses == ["agreed", "superseded"]


def test_a_different_objective_for_the_period_gets_an_objective_of_its_own(signed_in) -> None:
    client, csrf = signed_in(ANA)
    headers = {"X-CSRF-Token": csrf}
    four = client.post("/api/plans", json=S1_BODY, headers=headers).json()
    five = client.post("/api/plans", json={**S1_BODY, "objective": "5 sqls"}, headers=headers)
    assert five.json()["objective_id"] != four["objective_id"]
    assert client.get(f"/api/plans/{four['id']}").json()["status"] == "agreed"


def test_before_any_roster_a_rep_who_agrees_joins_the_roster(tmp_path) -> None:
    from backplan.web import create_app

    from .conftest import PASSWORD, fast_settings, sign_in

    app = create_app(fast_settings(tmp_path))  # no roster loaded yet: any rep name is allowed
    app.state.web.accounts.add_user(ANA.email, PASSWORD, "rep", rep="Ana")
    client = TestClient(app)
    csrf = sign_in(client, ANA)
    agreed = client.post("/api/plans", json=S1_BODY, headers={"X-CSRF-Token": csrf})
    assert agreed.status_code == 201 and agreed.json()["rep"] == "Ana"
    assert client.get("/api/reps/Ana").json()["roster"]["team"] is None


def test_the_plan_page_starts_from_the_reps_last_agreed_rates(signed_in) -> None:
    client, csrf = signed_in(ANA)
    client.post("/api/plans", json=S1_BODY, headers={"X-CSRF-Token": csrf})
    data = client.get("/plan", headers={"Accept": "application/json"}).json()
    assert data["input"]["rates"] == {
        "conversations/dials": "7/100",
        "meetings/conversations": "1/7",
        "sqls/meetings": "1/3",
    }
    assert per_period(data["plan"])["dials"] == 1200


def test_the_server_rebuilds_what_is_agreed(signed_in) -> None:
    client, csrf = signed_in(ANA)
    form = {"csrf_token": csrf, "objective": "4 sqls", "working_days": "20", **S1_RATES}
    form["plan"] = '{"stages": []}'  # a tampered extra field is ignored
    response = client.post("/plan/agree", data=form, headers={"Accept": "application/json"})
    assert response.status_code == 201
    assert per_period(response.json()["plan"])["dials"] == 1200


def test_only_a_rep_agrees_a_plan(signed_in) -> None:
    client, csrf = signed_in(MANAGER)
    assert (
        client.post("/api/plans", json=S1_BODY, headers={"X-CSRF-Token": csrf}).status_code == 403
    )
    page = client.get(f"/plan?{S1_QUERY}")
    assert page.status_code == 200 and 'id="agree-form"' not in page.text


def test_an_unauthenticated_api_call_gets_401_not_a_redirect(client: TestClient) -> None:
    assert client.post("/api/plan", json=S1_BODY).status_code == 401


def test_a_rate_with_many_digits_comes_back_to_the_form_as_four_figures(signed_in) -> None:
    client, csrf = signed_in(ANA)
    rates = {**S1_RATES, "conversations/dials": "0.0704938271604938"}  # as estimated from data
    client.post("/api/plans", json={**S1_BODY, "rates": rates}, headers={"X-CSRF-Token": csrf})
    data = client.get("/plan", headers={"Accept": "application/json"}).json()
    assert data["input"]["rates"]["conversations/dials"] == "0.07049"
    assert data["input"]["rates"]["sqls/meetings"] == "1/3"
