"""Configuration: the one settings object and the organisation's clock.

Built once per process at the edge (a command, the web app) and passed down.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backplan.config.clock import Clock
    from backplan.config.settings import Settings, get_settings

_HOMES = {
    "Clock": "backplan.config.clock",
    "Settings": "backplan.config.settings",
    "get_settings": "backplan.config.settings",
}


def __getattr__(name: str) -> Any:
    # The settings load pydantic-settings; ``backplan --help`` (which only needs
    # ``config.private``) should not pay for them.
    if name in _HOMES:
        import importlib

        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'backplan.config' has no attribute {name!r}")


__all__ = ["Clock", "Settings", "get_settings"]
