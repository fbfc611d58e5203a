"""Every error knows its answer: a category gives its HTTP status and its CLI exit code."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import backplan
from backplan.core import errors
from backplan.core.errors import (
    CATEGORIES,
    BackplanError,
    Busy,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyTries,
    Unauthenticated,
)

ANSWERS = {
    InvalidInput: (422, 2),
    NotFound: (404, 2),
    Conflict: (409, 2),
    Forbidden: (403, 2),
    Unauthenticated: (401, 2),
    TooManyTries: (429, 2),
    Busy: (503, 75),
}


def every_module() -> list[str]:
    """Import the whole package, so that every error class it defines is known."""
    names = [m.name for m in pkgutil.walk_packages(backplan.__path__, "backplan.") if not m.ispkg]
    for name in names:
        importlib.import_module(name)
    return names


def every_error() -> list[type[BackplanError]]:
    every_module()
    found: list[type[BackplanError]] = []
    stack = list(BackplanError.__subclasses__())
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return [c for c in found if c.__module__.startswith("backplan.")]


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.__name__)
def test_each_category_answers_with_its_status_and_exit_code(category: type) -> None:
    assert (category.status, category.exit_code) == ANSWERS[category]


def test_a_plain_backplan_error_answers_as_invalid_input() -> None:
    assert (BackplanError.status, BackplanError.exit_code) == (422, 2)


def test_only_busy_exits_with_something_other_than_2() -> None:
    assert [c for c in CATEGORIES if c.exit_code != 2] == [Busy]


def test_every_error_in_the_project_sits_under_a_category_with_a_4xx_or_5xx_status() -> None:
    found = every_error()
    assert len(found) > 40  # the walk really found the project's errors
    homeless = [c.__qualname__ for c in found if c not in CATEGORIES and not _category_of(c)]
    assert homeless == []
    for cls in found:
        assert 400 <= cls.status < 600, cls
        assert cls.exit_code != 0, cls


def _category_of(cls: type[BackplanError]) -> type[BackplanError] | None:
    return next((c for c in cls.__mro__ if c in CATEGORIES), None)


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("UnknownRep", NotFound),
        ("UnknownTeam", NotFound),
        ("UnknownObjective", NotFound),
        ("UnknownFunnel", InvalidInput),
        ("UnknownStage", InvalidInput),
        ("RosterConflict", Conflict),
        ("FunnelInUse", Conflict),
        ("NotAllowed", Forbidden),
        ("DefinitionError", InvalidInput),
        ("NoData", InvalidInput),
    ],
)
def test_the_domain_errors_sit_where_what_the_user_did_puts_them(name: str, category: type) -> None:
    assert issubclass(getattr(errors, name), category)


def test_the_shells_errors_live_with_the_shells_and_keep_their_answers() -> None:
    from backplan.accounts.errors import InvalidAccount, UnknownUser, WeakPassword
    from backplan.config.errors import InvalidSetting
    from backplan.events.errors import (
        DataFileError,
        EmptyFile,
        InvalidRow,
        MissingColumns,
        StoreBusy,
        UnknownMapping,
        UnreadableFile,
        UnsupportedFormat,
    )
    from backplan.services.accounts import SignInFailed, TooManySignIns, WrongPassword
    from backplan.web.permissions import BadCsrfToken, NotSignedIn, WrongRole

    for cls in (WeakPassword, InvalidAccount, InvalidSetting, UnknownMapping, WrongPassword):
        assert cls.status == 422 and not hasattr(errors, cls.__name__)
    for cls in (EmptyFile, UnreadableFile, UnsupportedFormat, MissingColumns, InvalidRow):
        assert issubclass(cls, DataFileError) and cls.status == 422
    assert not hasattr(errors, "DataFileError")
    assert (StoreBusy.status, StoreBusy.exit_code) == (503, 75)
    assert UnknownUser.status == 404
    assert SignInFailed.status == NotSignedIn.status == 401
    assert TooManySignIns.status == 429
    assert WrongRole.status == BadCsrfToken.status == 403


@pytest.mark.parametrize(
    ("error", "code"), [(errors.UnknownRep("no rep 'Zed'"), 2), (Busy("another import"), 75)]
)
def test_the_cli_prints_one_line_and_exits_with_the_errors_exit_code(
    error: BackplanError, code: int
) -> None:
    import typer
    from typer.testing import CliRunner

    from backplan.cli import BackplanGroup

    app = typer.Typer(cls=BackplanGroup)

    @app.command()
    def fails() -> None:
        raise error

    @app.command()
    def other() -> None:  # two commands, so the group (and its handler) is used
        pass

    result = CliRunner().invoke(app, ["fails"])
    assert result.exit_code == code
    assert f"error: {error}" in result.output
    assert "Traceback" not in result.output
