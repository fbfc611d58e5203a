"""Admin: user accounts (create, list, edit what they may see, reset a password, remove)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from backplan.accounts.access import Principal, Role
from backplan.accounts.errors import InvalidAccount, UnknownUser
from backplan.core.errors import BackplanError
from backplan.services.accounts import UserView, user_to_dict
from backplan.services.audit import Actor
from backplan.web.context import WebContext
from backplan.web.permissions import ADMIN
from backplan.web.render import page
from backplan.web.twins import Api, twin

router = APIRouter()


class NewUser(BaseModel):
    email: str = Field(min_length=3, max_length=320, examples=["rep@example.com"])
    password: str = Field(min_length=1, max_length=1024)
    role: Role
    rep: str | None = Field(default=None, max_length=200)
    teams: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=50)


def users_data(web: WebContext, error: str = "") -> dict[str, Any]:
    return {"users": [user_to_dict(u) for u in web.accounts.users()], "error": error or None}


def _users_page(request: Request, *, error: str, status: int) -> Response:
    """The users page again, with why the new account was refused."""
    data = users_data(request.app.state.web, error)
    return page(request, "admin_users.html", data, status=status, extra={"roles": list(Role)})


@twin(
    router,
    "GET",
    "/admin/users",
    template="admin_users.html",
    extra={"roles": list(Role)},
    api=Api("/api/users", pick=lambda data: data["users"], response_model=list[dict[str, Any]]),
)
def users(request: Request, _: Annotated[Principal, Depends(ADMIN)]) -> dict[str, Any]:
    """Every user account (admins only)."""
    return users_data(request.app.state.web)


@router.post("/admin/users", include_in_schema=False)
async def create_user_form(
    request: Request,
    principal: Annotated[Principal, Depends(ADMIN)],
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    rep: Annotated[str, Form(max_length=200)] = "",
    team: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    web: WebContext = request.app.state.web
    try:
        await run_in_threadpool(
            partial(web.accounts.add_user, rep=rep or None, teams=[team], by=Actor.of(principal)),
            email,
            password,
            role,
        )
    except BackplanError as e:
        problem = str(e)
    else:
        return RedirectResponse("/admin/users", status_code=303)
    return await run_in_threadpool(_users_page, request, error=problem, status=422)


class UserLinks(BaseModel):
    """What an account may see: its role, and the rep (reps) or teams (managers) it belongs to."""

    role: Role
    rep: str | None = Field(default=None, max_length=200)
    teams: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=50)


class NewPassword(BaseModel):
    password: str = Field(min_length=1, max_length=1024)


def _user(web: WebContext, user_id: str) -> UserView:
    found = web.accounts.user(user_id[:64])
    if found is None:
        raise UnknownUser("No user with that id.")
    return found


def _user_page(
    request: Request, user_id: str, *, error: str = "", notice: str = "", status: int = 200
) -> Response:
    web: WebContext = request.app.state.web
    data = {
        "user": user_to_dict(_user(web, user_id)),
        "error": error or None,
        "notice": notice or None,
        "teams": sorted(web.teams()),
    }
    return page(request, "admin_user.html", data, status=status, extra={"roles": list(Role)})


def _update(web: WebContext, principal: Principal, user_id: str, links: UserLinks) -> UserView:
    updated = web.accounts.update_user(
        user_id[:64], links.role, rep=links.rep, teams=links.teams, by=Actor.of(principal)
    )
    if updated is None:
        raise UnknownUser("No user with that id.")
    return updated


@router.get("/admin/users/{user_id}", include_in_schema=False)
def user_page(request: Request, user_id: str, _: Annotated[Principal, Depends(ADMIN)]) -> Response:
    return _user_page(request, user_id)


@router.post("/admin/users/{user_id}", include_in_schema=False)
async def update_user_form(
    request: Request, user_id: str, principal: Annotated[Principal, Depends(ADMIN)]
) -> Response:
    web: WebContext = request.app.state.web
    form = await request.form()
    teams = [t for t in form.getlist("team") if isinstance(t, str)][:50]
    try:
        links = UserLinks(
            role=Role.parse(str(form.get("role", ""))[:20]),
            rep=str(form.get("rep", ""))[:200] or None,
            teams=[t[:200] for t in teams],
        )
        await run_in_threadpool(_update, web, principal, user_id, links)
    except BackplanError as e:
        return await run_in_threadpool(_user_page, request, user_id, error=str(e), status=422)
    return await run_in_threadpool(_user_page, request, user_id, notice="Saved.")


@router.post("/admin/users/{user_id}/password", include_in_schema=False)
async def reset_password_form(
    request: Request,
    user_id: str,
    principal: Annotated[Principal, Depends(ADMIN)],
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    web: WebContext = request.app.state.web
    _user(web, user_id)
    try:
        await run_in_threadpool(
            partial(web.accounts.set_password, by=Actor.of(principal)), user_id[:64], password
        )
    except BackplanError as e:
        return await run_in_threadpool(_user_page, request, user_id, error=str(e), status=422)
    notice = "Password set; the user's sessions have ended."
    return await run_in_threadpool(_user_page, request, user_id, notice=notice)


@twin(
    router,
    "POST",
    "/admin/users/{user_id}/delete",
    redirect="/admin/users",
    api=Api(
        "/api/users/{user_id}",
        method="DELETE",
        status=204,
        responses={404: {"description": "None"}},
    ),
)
def remove_user(
    request: Request, user_id: str, principal: Annotated[Principal, Depends(ADMIN)]
) -> None:
    """Remove a user and end their sessions (admins only)."""
    web: WebContext = request.app.state.web
    if user_id == principal.user_id:
        raise InvalidAccount("you cannot remove your own account; ask another admin")
    if not web.accounts.remove_user(user_id[:64], by=Actor.of(principal)):
        raise UnknownUser("No user with that id.")


@router.post("/api/users", status_code=201, responses={422: {"description": "Cannot create"}})
def api_create_user(
    body: NewUser, request: Request, principal: Annotated[Principal, Depends(ADMIN)]
) -> dict[str, Any]:
    """Create a user (admins only); the password must meet the password rules."""
    web: WebContext = request.app.state.web
    by = Actor.of(principal)
    return user_to_dict(
        web.accounts.add_user(
            body.email, body.password, body.role, rep=body.rep, teams=body.teams, by=by
        )
    )


@router.patch("/api/users/{user_id}", responses={404: {"description": "No such user"}})
def api_update_user(
    user_id: str, body: UserLinks, request: Request, principal: Annotated[Principal, Depends(ADMIN)]
) -> dict[str, Any]:
    """Change a user's role, rep or teams (admins only; not your own admin role)."""
    return user_to_dict(_update(request.app.state.web, principal, user_id, body))


@router.put(
    "/api/users/{user_id}/password", status_code=204, responses={404: {"description": "None"}}
)
def api_reset_password(
    user_id: str,
    body: NewPassword,
    request: Request,
    principal: Annotated[Principal, Depends(ADMIN)],
) -> Response:
    """Set a user's password (admins only); every session of theirs ends."""
    web: WebContext = request.app.state.web
    _user(web, user_id)
    web.accounts.set_password(user_id[:64], body.password, by=Actor.of(principal))
    return Response(status_code=204)
