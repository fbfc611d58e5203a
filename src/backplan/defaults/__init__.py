"""Definitions shipped with backplan: the default funnels and the default playbook."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from backplan.core.errors import UnknownFunnel
from backplan.core.funnel import Funnel
from backplan.core.playbook import Playbook
from backplan.defaults.definitions import load_funnel, load_playbook

DEFAULT_FUNNEL = "outbound"


def _funnel_dir() -> Path:
    return Path(str(files("backplan.defaults") / "funnels"))


def funnel_names() -> list[str]:
    """The names of the funnels shipped with backplan."""
    return list(_shipped_names())


@cache
def _shipped_names() -> tuple[str, ...]:
    # The package's files do not change while it runs; pages ask on every request.
    return tuple(sorted(p.stem for p in _funnel_dir().glob("*.toml")))


def funnel_path(name: str) -> Path:
    """The TOML file of a shipped funnel (which may not exist for an unknown name)."""
    return _funnel_dir() / f"{name}.toml"


@cache
def funnel(name: str = DEFAULT_FUNNEL) -> Funnel:
    """A shipped funnel by name (``outbound``, ``sales-director``)."""
    path = funnel_path(name)
    if name not in funnel_names():
        raise UnknownFunnel(
            f"no funnel named {name!r}; shipped funnels are {', '.join(funnel_names())}, "
            "or give the path to your own TOML file"
        )
    return load_funnel(path)


def playbook_path() -> Path:
    """The shipped playbook's TOML file."""
    return Path(str(files("backplan.defaults") / "playbook.toml"))


@cache
def default_playbook() -> Playbook:
    """The playbook shipped with backplan (``backplan/defaults/playbook.toml``)."""
    return load_playbook(playbook_path())


def playbook(path: Path | str | None = None) -> Playbook:
    """The default playbook, overridden and extended by an organisation's TOML file at ``path``."""
    if path is None:
        return default_playbook()
    return load_playbook(Path(path), base=default_playbook())
