"""``backplan digest``: send the weekly digest, or preview one."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from backplan.cli.output import console, print_json
from backplan.config import get_settings


def digest(
    send: bool = typer.Option(False, "--send", help="Send this week's digest to everyone due."),
    preview: bool = typer.Option(False, "--preview", help="Print a digest instead (--user)."),
    user: str = typer.Option(None, "--user", help="Only this user (email)."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """The weekly digest: a rep's number for the week ahead, progress and coaching focus; a
    manager's reps who need attention first, and why.

    --send mails each user who has not opted out and has not had this week's yet (a rerun
    sends nothing twice), over the SMTP server in the settings. Schedule it with cron:
    0 8 * * 1 backplan digest --send
    """
    from backplan.services import digest as digests

    if send == preview:
        raise typer.BadParameter("give --send or --preview (one of them)", param_hint="--send")
    settings = get_settings()
    if preview:
        if not user:
            raise typer.BadParameter("--preview needs --user EMAIL", param_hint="--user")
        found = digests.preview(settings, user)
        if as_json:
            print_json(found.to_dict())
            return
        console.print(f"[bold]To:[/] {found.recipient.email}", highlight=False)
        console.print(f"[bold]Subject:[/] {found.subject}", highlight=False)
        if found.recipient.opted_out:
            console.print("[yellow]This user has turned the digest off: it is not sent.[/]")
        console.print()
        console.print(found.text, markup=False, highlight=False)
        return
    with Progress(
        TextColumn("Sending digests"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
        console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("", total=None)

        def step(done: int, total: int, email: str) -> None:
            bar.update(task, completed=done, total=total, description=email)

        report = digests.send_digests(settings, email=user, progress=step)
    if as_json:
        print_json(
            {
                "week": report.week.isoformat(),
                "sent": report.sent,
                "already_sent": report.already,
                "opted_out": report.opted_out,
            }
        )
        return
    console.print(
        f"Week of {report.week}: sent {len(report.sent)}, already sent {len(report.already)}, "
        f"opted out {len(report.opted_out)}.",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("digest")(digest)
