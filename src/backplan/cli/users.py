"""``backplan user``: accounts for the web app (the password is read from standard input)."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from backplan.accounts.errors import InvalidAccount
from backplan.cli.output import console, print_json
from backplan.config import get_settings
from backplan.services.accounts import Accounts, UserView, user_to_dict
from backplan.services.audit import Actor

user_app = typer.Typer(help="Manage web accounts: admins, managers and reps.", no_args_is_help=True)
two_factor_app = typer.Typer(
    help="Two-factor sign-in of an account (its owner sets it up on their account page).",
    no_args_is_help=True,
)


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


def account_of(store: Accounts, email: str) -> UserView:
    found = next((u for u in store.users() if u.email == email.strip().lower()), None)
    if found is None:
        raise InvalidAccount(f"no account for {email!r}; see backplan user list")
    return found


@user_app.command("password")
def password(email: str = typer.Argument(..., help="The account's email.")) -> None:
    """Set a new password for an account (read from standard input); its sessions end.

    printf '%s\\n' "$NEW_PASSWORD" | backplan user password ana@example.com
    """
    store = accounts()
    found = account_of(store, email)
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


@two_factor_app.command("reset")
def reset_two_factor(email: str = typer.Argument(..., help="The account's email.")) -> None:
    """Turn two-factor sign-in off for an account whose owner lost their phone and recovery
    codes: its key and recovery codes are deleted, and its sessions end.

    The owner then signs in with the password alone and sets it up again on their
    account page; an admin is taken there at once where two-factor sign-in is required.

    backplan user two-factor reset ana@example.com
    """
    store = accounts()
    found = account_of(store, email)
    store.reset_two_factor(found.id)
    console.print(
        f"Two-factor sign-in is off for [bold]{found.email}[/]; their sessions ended. "
        "They set it up again on their account page."
    )


user_app.add_typer(two_factor_app, name="two-factor")


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
