"""The Python API for analysts: ``backplan.open()`` gives an :class:`Organisation` whose
counts and rates are DataFrames. A shell, like the CLI and the web app."""

from backplan.api.organisation import Organisation, open

__all__ = ["Organisation", "open"]
