"""Sending each user's digest once a week: the week it is due for, opt-outs, a record per week.

A week's digest is due on ``digest_day`` at ``digest_hour`` (the settings, in the
organisation's time); a run at any moment sends the digest of the week last due to every
user who has not opted out and has not had it yet, and records each as it goes. So cron
may run it once at the due hour, or every hour: nobody gets the same week twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from backplan import appdb
from backplan.appdb.models import DigestSent, User
from backplan.config import Settings
from backplan.core.errors import NotFound
from backplan.services.digest.compose import Digest, Recipient, compose, recipients
from backplan.services.digest.mail import check_mail_settings, mail_server, message

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class UnknownUser(NotFound):
    """No user with that email."""


@dataclass
class SendReport:
    """What a run did: sent to, skipped (already sent this week), opted out."""

    week: date
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    opted_out: list[str] = field(default_factory=list)


def digest_week(settings: Settings, now: datetime | None = None) -> date:
    """The day the latest weekly digest was due, at or before ``now`` (the clock's).

    With the default Monday 08:00: on Monday 2026-11-16 at 10:00, that Monday; at 07:00,
    the Monday before.
    """
    now = now or settings.clock.now()
    back = (now.weekday() - DAYS.index(settings.digest_day)) % 7
    due = now.date() - timedelta(days=back)
    if back == 0 and now.hour < settings.digest_hour:
        due -= timedelta(days=7)
    return due


def _recipients(settings: Settings, email: str | None) -> list[Recipient]:
    found = recipients(settings, email=email)
    if email is not None and not found:
        raise UnknownUser(f"no user with the email {email!r}")
    return found


def preview(settings: Settings, email: str) -> Digest:
    """``email``'s digest for this week, as it would be sent now (opted out or not)."""
    [recipient] = _recipients(settings, email)
    return compose(settings, recipient, digest_week(settings))


def send_digests(
    settings: Settings,
    *,
    email: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> SendReport:
    """Send this week's digest to each user (or the one with ``email``) who has not had it
    and has not opted out; ``progress(done, total, email)`` after each user."""
    check_mail_settings(settings)
    week = digest_week(settings)
    report = SendReport(week)
    users = _recipients(settings, email)
    sent_already = _sent(settings, week)
    to_send = []
    for user in users:
        if user.opted_out:
            report.opted_out.append(user.email)
        elif user.user_id in sent_already:
            report.already.append(user.email)
        else:
            to_send.append(user)
    if not to_send:
        return report
    with mail_server(settings) as server:
        for i, user in enumerate(to_send, 1):
            digest = compose(settings, user, week)
            server.send_message(message(settings, user.email, digest.subject, digest.text))
            _record(settings, user.user_id, week)
            report.sent.append(user.email)
            if progress:
                progress(i, len(to_send), user.email)
    return report


def _sent(settings: Settings, week: date) -> set[str]:
    with appdb.session(settings) as db:
        return set(db.scalars(select(DigestSent.user_id).where(DigestSent.week == week)))


def _record(settings: Settings, user_id: str, week: date) -> None:
    now = settings.clock.now().replace(tzinfo=settings.clock.zone)
    with appdb.session(settings) as db:
        db.add(DigestSent(user_id=user_id, week=week, sent_at=now))


def opted_out(settings: Settings, user_id: str) -> bool:
    """Whether the user asked for no weekly digest."""
    with appdb.session(settings) as db:
        user = db.get(User, user_id)
        return bool(user and user.digest_opt_out)


def set_opt_out(settings: Settings, user_id: str, out: bool) -> None:
    """Turn the user's weekly digest off (``out``) or on again."""
    with appdb.session(settings) as db:
        user = db.get(User, user_id)
        if user is None:
            raise UnknownUser("no such user")
        user.digest_opt_out = out
