"""The audit log of admin actions: who changed roles, accounts, the roster, funnels, the
playbook, objectives and the event data, and when.

- ``recording``: the ``Actor`` a service is told acts, and ``record``, which writes an
  event in the transaction of the change it describes;
- ``reading``: the log filtered and paged for the admin page, the API and
  ``backplan audit``, and as CSV safe to open in a spreadsheet.
"""

from backplan.services.audit.reading import (
    AuditEntry,
    AuditFilter,
    AuditPage,
    InvalidAuditFilter,
    action_choices,
    audit_csv,
    audit_events,
    audit_log,
)
from backplan.services.audit.recording import ACTIONS, Actor, acting, changes, record

__all__ = [
    "ACTIONS",
    "Actor",
    "AuditEntry",
    "AuditFilter",
    "AuditPage",
    "InvalidAuditFilter",
    "acting",
    "action_choices",
    "audit_csv",
    "audit_events",
    "audit_log",
    "changes",
    "record",
]
