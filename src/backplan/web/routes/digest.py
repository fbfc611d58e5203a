"""The weekly digest on the web: a preview of your own (an admin: anyone's) and the opt-out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from backplan.accounts.access import Principal, Role
from backplan.services import digest
from backplan.web.context import WebContext
from backplan.web.permissions import SIGNED_IN
from backplan.web.twins import Api, twin

router = APIRouter()

NO_USER = "No user with that email among those whose digest you can see."


@twin(
    router,
    "GET",
    "/digest/preview",
    template="digest_preview.html",
    api=Api("/api/digest/preview", responses={404: {"description": "No such user visible"}}),
)
def digest_preview(
    request: Request, principal: Annotated[Principal, Depends(SIGNED_IN)], user: str = ""
) -> dict[str, Any]:
    """This week's digest as it would be sent now: yours, or (admins) the user's with
    ``user`` as email. ``subject`` and ``text`` are the email; the rest its figures."""
    web: WebContext = request.app.state.web
    email = user.strip().lower()[:320] or principal.email
    if email != principal.email and principal.role is not Role.ADMIN:
        raise digest.UnknownUser(NO_USER)
    try:
        found = digest.preview(web.settings, email)
    except digest.UnknownUser:
        raise digest.UnknownUser(NO_USER) from None
    return {**found.to_dict(), "schedule": schedule(web)}


def schedule(web: WebContext) -> str:
    s = web.settings
    return f"every {s.digest_day.capitalize()} at {s.digest_hour:02d}:00"


class DigestChoice(BaseModel):
    weekly_digest: bool


def digest_form(fields: dict[str, str]) -> DigestChoice:
    """The account page's checkbox: ticked (sent as ``on``) for the weekly digest."""
    return DigestChoice(weekly_digest=fields.get("weekly_digest") == "on")


@twin(
    router,
    "POST",
    "/account/digest",
    redirect="/account?digest_saved=1",
    form=digest_form,
    api=Api("/api/me/digest", method="PUT"),
)
def choose_digest(
    request: Request, body: DigestChoice, principal: Annotated[Principal, Depends(SIGNED_IN)]
) -> dict[str, bool]:
    """Whether you get the weekly digest email (``weekly_digest``: false opts out)."""
    web: WebContext = request.app.state.web
    digest.set_opt_out(web.settings, principal.user_id, not body.weekly_digest)
    return {"weekly_digest": body.weekly_digest}
