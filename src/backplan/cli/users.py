"""``backplan user``: accounts for the web app (the password is read from standard input)."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from backplan.accounts.errors import InvalidAccount
from backplan.cli.output import console, print_json
from backplan.config import get_settings
from backplan.services.accounts import Accounts, user_to_dict
from backplan.services.audit import Actor

user_app = typer.Typer(help="Manage web accounts: admins, managers and reps.", no_args_is_help=True)


def accounts() -> Accounts:
    return Accounts(get_settings())


def read_password() -> str:
    """One line from standard input; at a terminal, typed twice without echo."""
    if sys.stdin.isatty():
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise InvalidAccount("no password on standard input; e.g. printf '%s\\n' \"$PW\" | ...")
    return line


@user_app.command("add")
def add(
    email: str = typer.Argument(..., help="The address the user signs in with."),
    role: str = typer.Option(..., "--role", help="admin, manager or rep."),
    rep: str = typer.Option(None, "--rep", help="For a rep: their name in the roster."),
    team: list[str] = typer.Option(
        [], "--team", help="For a manager: a team they manage (repeat for several)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the new user as JSON."),
) -> None:
    """Create an account; the password (12+ characters) is read from standard input.

    printf '%s\\n' "$PASSWORD" | backplan user add ana@example.com --role rep --rep "Ana"
    """
    user = accounts().add_user(
        email, read_password(), role, rep=rep, teams=team, by=Actor.command_line()
    )
    if as_json:
        print_json(user_to_dict(user))
    else:
        console.print(f"Created {user.role.value} account [bold]{user.email}[/].")


@user_app.command("password")
def password(email: str = typer.Argument(..., help="The account's email.")) -> None:
    """Set a new password for an account (read from standard input); its sessions end.

    printf '%s\\n' "$NEW_PASSWORD" | backplan user password ana@example.com
    """
    store = accounts()
    found = next((u for u in store.users() if u.email == email.strip().lower()), None)
    if found is None:
        raise InvalidAccount(f"no account for {email!r}; see backplan user list")
    store.set_password(found.id, read_password(), by=Actor.command_line())
    console.print(f"New password set for [bold]{found.email}[/]; their sessions ended.")


@user_app.command("list")
def list_users(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """List the accounts (never their passwords)."""
    users = accounts().users()
    if as_json:
        print_json([user_to_dict(u) for u in users])
        return
    table = Table(title="Accounts", title_justify="left")
    for column in ("email", "role", "rep / teams", "created"):
        table.add_column(column)
    for u in users:
        table.add_row(
            u.email, u.role.value, u.rep or ", ".join(u.teams), f"{u.created_at:%Y-%m-%d}"
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
