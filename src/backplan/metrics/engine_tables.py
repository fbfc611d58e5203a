"""A table of an Ibis engine named by a setting: ``[catalog.][database.]name``, or Parquet
files (a path ending in ``.parquet``, or a folder ending in ``/``) read by that engine."""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir


def is_parquet(where: str) -> bool:
    """Whether a table setting names Parquet files rather than a table."""
    return where.endswith((".parquet", "/"))


def read_table(backend: Any, where: str) -> ir.Table:
    """The table (or Parquet files) at ``where``; raises the backend's own error if absent."""
    if is_parquet(where):
        return backend.read_parquet(where)
    *database, name = where.split(".")
    return backend.table(name, database=tuple(database) or None)
