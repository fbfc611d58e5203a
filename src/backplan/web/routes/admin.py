"""Admin: user accounts (create, list, remove)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from backplan.accounts.access import Principal, Role
from backplan.core.errors import BackplanError, InvalidAccount
from backplan.services.accounts import UserView
from backplan.web.context import WebContext
from backplan.web.permissions import ADMIN
from backplan.web.render import page

router = APIRouter()


def user_out(user: UserView) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role.value,
        "rep": user.rep,
        "teams": list(user.teams),
        "created_at": user.created_at.isoformat(),
    }


class NewUser(BaseModel):
    email: str = Field(min_length=3, max_length=320, examples=["rep@example.com"])
    password: str = Field(min_length=1, max_length=1024)
    role: Role
    rep: str | None = Field(default=None, max_length=200)
    teams: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=50)


def _users_page(request: Request, *, error: str = "", status: int = 200) -> Response:
    web: WebContext = request.app.state.web
    data = {"users": [user_out(u) for u in web.accounts.users()], "error": error or None}
    return page(request, "admin_users.html", data, status=status, extra={"roles": list(Role)})


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, _: Annotated[Principal, Depends(ADMIN)]) -> Response:
    return _users_page(request)


@router.post("/admin/users", include_in_schema=False)
async def create_user_form(
    request: Request,
    _: Annotated[Principal, Depends(ADMIN)],
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    rep: Annotated[str, Form(max_length=200)] = "",
    team: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    web: WebContext = request.app.state.web
    try:
        await run_in_threadpool(
            web.accounts.add_user, email, password, role, rep=rep or None, teams=[team]
        )
    except BackplanError as e:
        problem = str(e)
    else:
        return RedirectResponse("/admin/users", status_code=303)
    return await run_in_threadpool(_users_page, request, error=problem, status=422)


def _remove(web: WebContext, principal: Principal, user_id: str) -> None:
    if user_id == principal.user_id:
        raise InvalidAccount("you cannot remove your own account; ask another admin")
    if not web.accounts.remove_user(user_id[:64]):
        raise HTTPException(404, "No user with that id.")


@router.post("/admin/users/{user_id}/delete", include_in_schema=False)
def remove_user_form(
    request: Request, user_id: str, principal: Annotated[Principal, Depends(ADMIN)]
) -> Response:
    _remove(request.app.state.web, principal, user_id)
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/api/users")
def api_users(request: Request, _: Annotated[Principal, Depends(ADMIN)]) -> list[dict[str, Any]]:
    """Every user account (admins only)."""
    return [user_out(u) for u in request.app.state.web.accounts.users()]


@router.post("/api/users", status_code=201, responses={422: {"description": "Cannot create"}})
def api_create_user(
    body: NewUser, request: Request, _: Annotated[Principal, Depends(ADMIN)]
) -> dict[str, Any]:
    """Create a user (admins only); the password must meet the password rules."""
    web: WebContext = request.app.state.web
    return user_out(
        web.accounts.add_user(body.email, body.password, body.role, rep=body.rep, teams=body.teams)
    )


@router.delete("/api/users/{user_id}", status_code=204, responses={404: {"description": "None"}})
def api_remove_user(
    user_id: str, request: Request, principal: Annotated[Principal, Depends(ADMIN)]
) -> Response:
    """Remove a user and end their sessions (admins only)."""
    _remove(request.app.state.web, principal, user_id)
    return Response(status_code=204)
