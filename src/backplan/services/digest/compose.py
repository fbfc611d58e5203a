"""What each user's weekly digest says: the same figures as their home page, in a letter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from backplan import appdb
from backplan.appdb.models import User
from backplan.config import Settings
from backplan.core.errors import BackplanError
from backplan.services.attention import team_attention
from backplan.services.formatting import counted, number, pace
from backplan.services.roster import memberships
from backplan.services.today import rep_today, today_to_dict


@dataclass(frozen=True)
class Recipient:
    """A user a digest may go to."""

    user_id: str
    email: str
    role: str
    rep: str | None
    teams: tuple[str, ...]
    opted_out: bool


@dataclass(frozen=True)
class Digest:
    """One user's digest: the letter (``subject``, ``text``) and the data it was made from."""

    recipient: Recipient
    week: date
    subject: str
    text: str
    sections: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "to": self.recipient.email,
            "week": self.week.isoformat(),
            "subject": self.subject,
            "text": self.text,
            "opted_out": self.recipient.opted_out,
            **self.sections,
        }


def recipients(settings: Settings, *, email: str | None = None) -> list[Recipient]:
    """Every user (or the one with ``email``), opted out or not, by email."""
    with appdb.session(settings) as db:
        query = select(User).order_by(User.email)
        if email is not None:
            query = query.where(User.email == email.strip().lower())
        return [
            Recipient(
                u.id, u.email, u.role, u.rep, tuple(sorted(t.team for t in u.teams)),
                bool(u.digest_opt_out),
            )
            for u in db.scalars(query)
        ]  # fmt: skip


def compose(settings: Settings, recipient: Recipient, week: date) -> Digest:
    """The digest of ``recipient`` for the week due on ``week``, as of now by the clock."""
    sections: dict[str, Any] = {}
    parts: list[str] = ["Hello,", ""]
    subject = "Your week"
    if recipient.rep:
        sections["rep"] = _rep_section(settings, recipient.rep)
        lines, subject = _rep_lines(sections["rep"])
        parts += lines
    teams = _teams_of(settings, recipient)
    if teams:
        sections["attention"] = [team_attention(settings, team) for team in teams]
        lines, count = _attention_lines(sections["attention"])
        parts += lines
        if not recipient.rep:
            subject = (
                "Your teams this week: "
                + ("nobody flagged" if not count else f"{count} rep{'' if count == 1 else 's'} "
                   "to look at first")
            )  # fmt: skip
    parts += [
        "",
        "— backplan. To stop these emails, untick the weekly digest on your account page.",
    ]
    return Digest(recipient, week, subject, "\n".join(parts) + "\n", sections)


def _teams_of(settings: Settings, recipient: Recipient) -> list[str]:
    if recipient.role == "admin":
        return sorted(memberships(settings).teams)
    return list(recipient.teams) if recipient.role == "manager" else []


def _rep_section(settings: Settings, rep: str) -> dict[str, Any]:
    try:
        return today_to_dict(rep_today(settings, rep))
    except BackplanError as e:
        return {"error": str(e), "coaching": []}


def _rep_lines(today: dict[str, Any]) -> tuple[list[str], str]:
    """The rep's week ahead, their progress and their coaching focus; and the subject."""
    subject = "Your week"
    lines: list[str] = []
    if today.get("error"):
        lines += [today["error"][:1].upper() + today["error"][1:] + ".", ""]
    d, objective = today.get("daily"), today.get("objective")
    if d and objective:
        unit, plural = d["unit"], d["plural"]
        subject = f"Your week: {number(d['per_working_day'])} {plural} a working day"
        lines += [
            f"Your daily number this week: {number(d['per_working_day'])} {plural} a working "
            f"day, {counted(d['week_target'], unit, plural)} over the week.",
            "",
            f"{objective['text']}: {counted(d['to_date'], unit, plural)} so far of "
            f"{counted(d['per_period'], unit, plural)} planned for {objective['period']}; "
            f"{number(d['expected_to_date'])} expected by now, so {pace(d['pace'])}.",
            "",
        ]
    for note in today.get("notes", []):
        lines += [note[:1].upper() + note[1:] + ".", ""]
    for f in today.get("coaching", []):
        lines += [f"Your coaching focus: {f['label']}, since {f['since']}."]
        lines += [f"  - {item}" for item in f["playbook"]]
        lines += [f"  You committed to: {c}" for c in f["commitments"]]
        if f.get("review"):
            lines += [f"  {f['review']['words']['verdict']}."]
        lines += [""]
    return lines, subject


def _attention_lines(teams: list[dict[str, Any]]) -> tuple[list[str], int]:
    """Who needs attention first in each team, and why; and how many reps that is."""
    lines: list[str] = []
    count = 0
    for team in teams:
        against = f", against {team['objective']}" if team.get("objective") else ""
        lines += [f"Team {team['team']}{against}:"]
        if team.get("error"):
            lines += [f"  {team['error']}"]
        for r in team["reps"]:
            count += 1
            stake = f", {r['at_stake']} at stake" if r.get("at_stake") else ""
            coach = f" — coach {r['coaching']}" if r.get("coaching") else ""
            lines += [f"  - {r['name']}: {r['reason']}{stake}{coach}."]
        if not team["reps"] and not team.get("error"):
            lines += ["  Nobody is flagged on strong evidence."]
        lines += [""]
    return lines, count
