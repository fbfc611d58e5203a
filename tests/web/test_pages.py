"""Pages, static files, headers and errors: friendly 4xx, never a traceback."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends
from fastapi.testclient import TestClient

from backplan.web.assets import plotly_js
from backplan.web.permissions import PUBLIC
from backplan.web.render import PLOTLY_URL

from .conftest import ADMIN, ANA, MANAGER, PASSWORD, form_token


def test_plotly_is_served_from_the_installed_package_with_long_caching(client: TestClient) -> None:
    response = client.get(PLOTLY_URL)
    assert response.status_code == 200
    assert response.content == plotly_js().read_bytes()
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-type"].startswith("text/javascript")


def test_the_apps_css_and_js_have_content_hashed_urls_cached_for_a_year(client: TestClient) -> None:
    html = client.get("/login").text
    urls = re.findall(r"(/static/app\.(?:css|js)\?v=[0-9a-f]{12})", html)
    assert len(urls) == 2
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_pages_carry_security_headers_and_are_not_cached(client: TestClient) -> None:
    response = client.get("/login")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "script-src 'self';" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


def test_an_unknown_page_is_a_friendly_404(signed_in) -> None:
    client, _ = signed_in(ANA)
    page = client.get("/no/such/page")
    assert page.status_code == 404 and "Not found" in page.text and "Traceback" not in page.text
    twin = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert twin.status_code == 404 and twin.json()["status"] == 404


def test_a_wrong_method_is_a_405_not_a_crash(signed_in) -> None:
    client, _ = signed_in(ANA)
    assert client.put("/plan").status_code == 405


def test_a_malformed_json_body_is_a_422(signed_in) -> None:
    client, csrf = signed_in(ANA)
    response = client.post(
        "/api/plan",
        content=b"{not json",
        headers={"Content-Type": "application/json", "X-CSRF-Token": csrf},
    )
    assert response.status_code == 422 and "error" in response.json()


def test_home_links_depend_on_the_role(signed_in) -> None:
    rep, _ = signed_in(ANA)
    admin, _ = signed_in(ADMIN)
    manager, _ = signed_in(MANAGER)

    def links(client: TestClient) -> list[str]:
        home = client.get("/", headers={"Accept": "application/json"}).json()
        return [link["href"] for link in home["links"]]

    assert links(rep) == ["/plan", "/reps/Ana", "/okrs", "/funnels"]
    assert links(admin) == [
        "/plan", "/okrs", "/coaching", "/forecast", "/funnels", "/admin/users", "/admin/roster",
        "/admin/imports", "/admin/audit",
    ]  # fmt: skip
    assert links(manager) == [
        "/plan", "/teams/East", "/okrs", "/coaching", "/forecast", "/funnels",
    ]  # fmt: skip


def test_an_admin_adds_a_user_and_a_weak_password_is_explained(signed_in) -> None:
    admin, _ = signed_in(ADMIN)
    page = admin.get("/admin/users").text
    token = form_token(page, "add-user")
    weak = admin.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "cy@example.com",
            "role": "rep",
            "rep": "Cy",
            "password": "short",
        },
    )
    assert weak.status_code == 422 and "use at least 12" in weak.text
    made = admin.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "cy@example.com",
            "role": "rep",
            "rep": "Cy",
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    users = admin.get("/api/users").json()
    assert {u["email"] for u in users} >= {"cy@example.com"}
    assert all("password" not in str(u.keys()) for u in users)


def test_the_openapi_schema_lists_the_json_api(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    assert {"/api/plan", "/api/plans", "/api/session", "/api/me", "/api/reps/{rep}"} <= set(
        schema["paths"]
    )
    assert "/plan" not in schema["paths"]  # HTML pages answer JSON too, but are not the API


def test_the_funnels_page_shows_stages_and_the_coaching_each_conversion_calls_for(
    signed_in,
) -> None:
    client, _ = signed_in(MANAGER)
    data = client.get("/funnels", headers={"Accept": "application/json"}).json()
    outbound = next(f for f in data["funnels"] if f["key"] == "outbound")
    assert [s["key"] for s in outbound["stages"]] == [
        "dials",
        "conversations",
        "meetings",
        "sqls",
        "deals",
    ]
    areas = {c["key"]: c["area"] for c in data["playbook"]["conversions"]}
    assert areas["sqls/meetings"] == "qualification"
    assert areas["deals/opps"] == "closing"
    html = client.get("/funnels").text
    assert "calling the wrong people or at the wrong time" in html


def test_even_a_bug_shows_a_friendly_page_without_a_traceback(app) -> None:  # type: ignore[no-untyped-def]
    @app.get("/broken")
    def broken(_: Annotated[object, Depends(PUBLIC)]) -> None:
        raise RuntimeError("secret internals")

    client = TestClient(app, raise_server_exceptions=False)
    page = client.get("/broken")
    assert page.status_code == 500, page.text[-600:]
    assert "secret internals" not in page.text and "Traceback" not in page.text
    assert "An unexpected error" in page.text
    twin = client.get("/broken", headers={"Accept": "application/json"})
    assert twin.json()["error"].startswith("An unexpected error")
