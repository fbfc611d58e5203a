"""Where each role can go: the home page's cards and the navigation bar list the same links."""

from __future__ import annotations

from urllib.parse import quote

from backplan.accounts.access import Principal, Role


def links_for(principal: Principal | None) -> list[dict[str, str]]:
    if principal is None:
        return []
    links = [{"href": "/plan", "label": "My plan" if principal.rep else "Planner"}]
    if principal.rep:
        links.append({"href": f"/reps/{quote(principal.rep, safe='')}", "label": "My funnel"})
    for team in sorted(principal.teams):
        links.append({"href": f"/teams/{quote(team, safe='')}", "label": f"Team {team}"})
    links.append({"href": "/okrs", "label": "OKRs"})
    if principal.role is not Role.REP:
        links.append({"href": "/coaching", "label": "Coaching"})
        links.append({"href": "/forecast", "label": "Forecast"})
    links.append({"href": "/funnels", "label": "Funnels & playbook"})
    if principal.role is Role.ADMIN:
        links.append({"href": "/admin/users", "label": "Users"})
        links.append({"href": "/admin/roster", "label": "Roster"})
        links.append({"href": "/admin/imports", "label": "Imports"})
        links.append({"href": "/admin/audit", "label": "Audit log"})
    return links
