"""Definitions shipped with backplan: the default funnels (and, later, playbooks)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from backplan.core.errors import UnknownFunnel
from backplan.core.funnel import Funnel
from backplan.definitions import load_funnel

DEFAULT_FUNNEL = "outbound"


def _funnel_dir() -> Path:
    return Path(str(files("backplan.defaults") / "funnels"))


def funnel_names() -> list[str]:
    """The names of the funnels shipped with backplan."""
    return sorted(p.stem for p in _funnel_dir().glob("*.toml"))


@cache
def funnel(name: str = DEFAULT_FUNNEL) -> Funnel:
    """A shipped funnel by name (``outbound``, ``sales-director``)."""
    path = _funnel_dir() / f"{name}.toml"
    if not path.is_file():
        raise UnknownFunnel(
            f"no funnel named {name!r}; shipped funnels are {', '.join(funnel_names())}, "
            "or give the path to your own TOML file"
        )
    return load_funnel(path)
