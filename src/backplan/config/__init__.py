"""Configuration: the one settings object and the organisation's clock.

Built once per process at the edge (a command, the web app) and passed down.
"""

from backplan.config.clock import Clock
from backplan.config.settings import Settings, get_settings

__all__ = ["Clock", "Settings", "get_settings"]
