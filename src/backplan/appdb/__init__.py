"""The app database: users, sessions, agreed plans (SQLAlchemy 2; SQLite file or PostgreSQL)."""

from backplan.appdb.base import Base, Database

__all__ = ["Base", "Database"]
