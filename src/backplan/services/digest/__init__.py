"""The weekly digest: each rep's week ahead and each manager's team, by email.

- ``compose``: who gets a digest and what it says (a rep: the daily number for the week
  ahead, progress against the agreed plan, the coaching focus; a manager or admin: who
  needs attention first in each team, and why);
- ``mail``: sending over SMTP (``smtplib``; STARTTLS, SSL or none, as the settings say);
- ``sending``: the week a digest is due for, the opt-outs, and sending each user's digest
  once a week whatever reruns.
"""

from backplan.services.digest.compose import Digest, Recipient, compose, recipients
from backplan.services.digest.mail import MailFailed, MailNotSetUp
from backplan.services.digest.sending import (
    SendReport,
    UnknownUser,
    digest_week,
    opted_out,
    preview,
    send_digests,
    set_opt_out,
)

__all__ = [
    "Digest",
    "MailFailed",
    "MailNotSetUp",
    "Recipient",
    "SendReport",
    "UnknownUser",
    "compose",
    "digest_week",
    "opted_out",
    "preview",
    "recipients",
    "send_digests",
    "set_opt_out",
]
