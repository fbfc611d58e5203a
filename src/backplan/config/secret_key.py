"""The app's secret key: it signs the web app's forms and encrypts the CRM tokens kept in the
app database. ``BACKPLAN_SECRET_KEY``, or a random key kept in ``home/secret.key``."""

from __future__ import annotations

import os
import secrets

from backplan.config.private import private_file, private_folder
from backplan.config.settings import Settings


def secret_key(settings: Settings) -> bytes:
    """The settings' secret key, or a random one kept in home/secret.key (mode 0600)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path = settings.home / "secret.key"
    private_folder(settings.home)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return private_file(path).read_text().strip().encode()
