"""No input makes the server fail: dates out of range and ids beyond the database's answer 4xx.

The cases an outside probe found answering 500 (issue 14, item 1), each signed in as the
person who found it.
"""

from __future__ import annotations

import pytest

from .conftest import ANA, ANA_SILVA, MANAGER, MAYA, S1_QUERY, S1_RATES


def _is_refused_with_a_reason(response) -> None:  # type: ignore[no-untyped-def]
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.json()["error"]


JSON = {"Accept": "application/json"}


@pytest.mark.parametrize("period", ["9999-12", "9999-Q4", "0001-01", "1899-12", "2201-01"])
def test_a_plan_for_a_period_out_of_range_is_refused(signed_in, period: str) -> None:
    client, _ = signed_in(ANA)
    query = S1_QUERY.replace("period=month", f"period={period}")
    _is_refused_with_a_reason(client.get(f"/plan?{query}", headers=JSON))


@pytest.mark.parametrize(
    "field, value",
    [("period", "9999-Q4"), ("as_of", "9999-12-31"), ("as_of", "0001-01-01"),
     ("since", "0001-01-01"), ("until", "9999-12-31"), ("rates_until", "0001-01-01")],
)  # fmt: skip
def test_the_plan_api_refuses_dates_out_of_range(signed_in, field: str, value: str) -> None:
    client, token = signed_in(ANA)
    body = {"objective": "4 sqls", "working_days": 20, "rates": S1_RATES, field: value}
    if field == "since":
        body["until"] = "2026-12-31"
    response = client.post("/api/plan", json=body, headers={"X-CSRF-Token": token})
    _is_refused_with_a_reason(response)


@pytest.mark.parametrize("query", ["until=0001-01-01", "since=0001-01-01", "until=9999-12-31"])
def test_a_reps_page_refuses_a_window_out_of_range(ns_signed_in, query: str) -> None:
    client, _ = ns_signed_in(ANA_SILVA)
    _is_refused_with_a_reason(client.get(f"/reps/ana?{query}", headers=JSON))
    _is_refused_with_a_reason(client.get(f"/api/reps/ana?{query}"))


@pytest.mark.parametrize("query", ["period=9999-12", "period=0001-01", "as_of=0001-01-01"])
def test_the_forecast_refuses_a_period_out_of_range(ns_signed_in, query: str) -> None:
    client, _ = ns_signed_in(MAYA)
    _is_refused_with_a_reason(client.get(f"/forecast?{query}", headers=JSON))


@pytest.mark.parametrize("period", ["0001-01", "9999-12", "9999-Q4"])
def test_an_objective_for_a_period_out_of_range_is_refused(signed_in, period: str) -> None:
    client, token = signed_in(MANAGER)
    response = client.post(
        "/okrs",
        data={"team": "East", "period": period, "key_results": "12 sqls", "csrf_token": token},
        headers=JSON,
    )
    _is_refused_with_a_reason(response)


@pytest.mark.parametrize(
    "path",
    ["/okrs/9223372036854775808", "/okrs/99999999999999999999999", "/okrs/-9223372036854775809",
     "/plans/9223372036854775808", "/api/plans/99999999999999999999999",
     "/okrs/1?as_of=0001-01-01", "/okrs?as_of=9999-12-31"],
)  # fmt: skip
def test_ids_beyond_the_database_and_far_dates_are_refused(ns_signed_in, path: str) -> None:
    client, _ = ns_signed_in(MAYA)
    _is_refused_with_a_reason(client.get(path, headers=JSON))


def test_posting_to_an_objective_beyond_the_database_is_not_found(ns_signed_in) -> None:
    client, token = ns_signed_in(ANA_SILVA)
    for action in ("propose", "agree"):
        response = client.post(
            f"/okrs/9223372036854775808/{action}", data={"csrf_token": token}, headers=JSON
        )
        _is_refused_with_a_reason(response)
