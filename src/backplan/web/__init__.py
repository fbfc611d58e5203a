"""backplan's web app: HTML pages with JSON twins, and a JSON API under ``/api/``."""

from backplan.web.app import create_app

__all__ = ["create_app"]
