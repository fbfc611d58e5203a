"""Case S2 on the plan page: one objective, two reps, each worked back through their own
rates side by side — the rep who converts better needs less daily work."""

from __future__ import annotations

from .conftest import ANA_SILVA, MAYA

JSON = {"Accept": "application/json"}
QUERY = [("objective", "4 sqls"), ("period", "month"), ("funnel", "outbound"),
         ("compare", "ana"), ("compare", "ben"), ("compare", "cy")]  # fmt: skip


def test_a_manager_sets_two_reps_side_by_side(ns_signed_in) -> None:  # type: ignore[no-untyped-def]
    maya, _ = ns_signed_in(MAYA)
    data = maya.get("/plan", params=QUERY, headers=JSON).json()
    rows = {c["rep"]: c for c in data["compare"]}
    assert rows["cy"]["error"] == "No rep named 'cy' among the reps you can see."  # South's
    ana, ben = rows["ana"], rows["ben"]
    assert ana["error"] is None and ben["error"] is None
    assert ana["daily"]["label"] == ben["daily"]["label"] == "Conversations"
    rates = {r: {x["conversion"]: x["rate"] for x in rows[r]["rates"]} for r in ("ana", "ben")}
    # Ana turns meetings into SQLs about twice as often (okr_support's simulated rates) ...
    assert rates["ana"]["sqls/meetings"] > rates["ben"]["sqls/meetings"]
    # ... so the same 4 SQLs ask fewer conversations of her every working day.
    assert ana["daily"]["per_working_day"] < ben["daily"]["per_working_day"]
    html = maya.get("/plan", params=QUERY).text
    assert 'id="side-by-side"' in html and 'name="compare" value="ana" checked' in html


def test_a_rep_compares_no_one(ns_signed_in) -> None:  # type: ignore[no-untyped-def]
    ana, _ = ns_signed_in(ANA_SILVA)
    data = ana.get("/plan", params=QUERY, headers=JSON).json()
    assert data["team_reps"] == []
    assert all(c["error"] and "among the reps you can see" in c["error"] for c in data["compare"])
