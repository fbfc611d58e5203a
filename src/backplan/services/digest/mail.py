"""Sending mail over SMTP with the standard library, as the settings say (never the password)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from backplan.config import Settings
from backplan.core.errors import Busy, InvalidInput

TIMEOUT_SECONDS = 30


class MailNotSetUp(InvalidInput):
    """No mail server or sender in the settings."""


class MailFailed(Busy):
    """The mail server could not be reached or refused; the same run later should succeed
    (what was sent is recorded, so nothing goes twice)."""


def message(settings: Settings, to: str, subject: str, text: str) -> EmailMessage:
    """A plain-text email from the settings' sender."""
    sender = settings.smtp_sender or ""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mail.set_content(text)
    return mail


def check_mail_settings(settings: Settings) -> None:
    if not settings.smtp_host or not settings.smtp_sender:
        raise MailNotSetUp(
            "set BACKPLAN_SMTP_HOST and BACKPLAN_SMTP_SENDER (and the port, TLS mode, user "
            "and password your mail server needs) before sending the digest; see the README"
        )


@contextmanager
def mail_server(settings: Settings) -> Iterator[smtplib.SMTP]:
    """One connection for a run's messages, signed in when a username is set."""
    check_mail_settings(settings)
    host, port = settings.smtp_host or "", settings.smtp_port
    try:
        server: smtplib.SMTP
        if settings.smtp_tls == "ssl":
            server = smtplib.SMTP_SSL(
                host, port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
            )
        else:
            server = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
        with server:
            if settings.smtp_tls == "starttls":
                server.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                password = settings.smtp_password
                server.login(
                    settings.smtp_username, password.get_secret_value() if password else ""
                )
            yield server
    except (smtplib.SMTPException, OSError) as e:
        raise MailFailed(
            f"could not send mail through {host}:{port} ({settings.smtp_tls}): "
            f"{type(e).__name__}: {_safe(e)}; check the SMTP settings and try again"
        ) from None


def _safe(error: BaseException) -> str:
    """The error's text, at most a line (a server's answer never holds our password)."""
    return str(error).splitlines()[0][:200] if str(error) else "no details"
