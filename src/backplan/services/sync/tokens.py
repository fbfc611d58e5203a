"""CRM API tokens set on the admin page: kept encrypted in the app database, never shown back.

The key is derived from the app's secret key (``BACKPLAN_SECRET_KEY`` or
``home/secret.key``) with HKDF-SHA256; the token is sealed with Fernet
(AES-128-CBC with an HMAC), so a copy of the database alone reveals nothing.
Changing the secret key makes stored tokens unreadable: set them again.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backplan import appdb
from backplan.appdb.models import SyncToken
from backplan.config import Settings
from backplan.config.secret_key import secret_key
from backplan.core.errors import InvalidInput
from backplan.services.audit import Actor, record

MAX_TOKEN = 500


def _fernet(settings: Settings) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"backplan crm tokens").derive(
        secret_key(settings)
    )
    return Fernet(base64.urlsafe_b64encode(key))


def set_token(settings: Settings, source: str, token: str, *, by: Actor | None = None) -> None:
    """Keep ``token`` for ``source``, encrypted; an empty one removes it."""
    token = token.strip()
    if len(token) > MAX_TOKEN or any(c.isspace() for c in token):
        raise InvalidInput(
            f"a token is one word of at most {MAX_TOKEN} characters; paste it as the CRM shows it"
        )
    with appdb.session(settings) as db:
        row = db.get(SyncToken, source)
        if not token:
            if row is not None:
                db.delete(row)
                record(db, settings, by, "sync.token_removed", source)
            return
        sealed = _fernet(settings).encrypt(token.encode()).decode()
        if row is None:
            db.add(SyncToken(source=source, encrypted=sealed, set_at=datetime.now(UTC)))
        else:
            row.encrypted, row.set_at = sealed, datetime.now(UTC)
        record(db, settings, by, "sync.token_set", source)


def stored_token(settings: Settings, source: str) -> str | None:
    """The token set on the admin page for ``source`` (None: none, or the secret key changed)."""
    with appdb.session(settings) as db:
        row = db.get(SyncToken, source)
        sealed = row.encrypted if row is not None else None
    if sealed is None:
        return None
    try:
        return _fernet(settings).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None
