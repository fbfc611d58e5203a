"""One sync from a CRM: read its API, then add the events as one import would, all or nothing.

1. The records changed since each object's cursor are read from the API, page
   by page, before the store's lock is taken (a slow API never holds other
   imports up). A refused token (401) stops here: one line, nothing stored.
2. The CRM's owners are matched to the roster: by email first, then by name or
   key; an owner the roster does not know becomes a rep (key: their name).
3. Holding the store's lock, each object's rows go through the shipped export
   mapping (``events.importer.import_source``, the import's own code) with the
   commits *held*, then all objects' new events are added in one rename: a
   crash anywhere leaves the store as it was, and the next run does it all.
4. Only then are the new reps, the cursors and the run's log written (one
   transaction), and the sync recorded in the audit log.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import httpx

from backplan import appdb
from backplan.config import Settings
from backplan.core.errors import BackplanError
from backplan.events.importer import ImportOutcome, ImportRules
from backplan.events.importer import import_source as import_events
from backplan.events.mapping import load_mapping
from backplan.events.records import records_source
from backplan.events.store import EventStore, StoreWriter
from backplan.services.audit import Actor, record
from backplan.services.roster import add_named_reps, rep_aliases, roster_size
from backplan.services.sync import state
from backplan.services.sync.crm import Batch, Crm, Owner
from backplan.services.sync.http import Api, RetryPolicy, api_token_header, bearer
from backplan.services.warehouse import require_embedded_store

Progress = Callable[[str, float | None], None]
REJECTS_DIR = "imports"


@dataclass
class SyncRequest:
    """A sync as a person (or the scheduler) asks for it."""

    source: str
    token: str
    base_url: str
    since: str | None = None
    """Read records modified since this moment (``YYYY-MM-DD``), not since the cursor."""
    by: Actor | None = None
    policy: RetryPolicy | None = None
    transport: httpx.BaseTransport | None = None
    """For tests: answer requests without a network."""


@dataclass
class ObjectCounts:
    """What a sync did with one object: records read; events added, already stored; records
    rejected (the rejects file says why)."""

    read: int = 0
    added: int = 0
    duplicates: int = 0
    rejected: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "added": self.added,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
        }


@dataclass
class SyncSummary:
    """One sync's result, as ``backplan sync ... --json`` prints it."""

    source: str
    objects: dict[str, ObjectCounts]
    reps_added: list[str] = field(default_factory=list)
    cursor: dict[str, str | None] = field(default_factory=dict)
    run: int = 0
    requests: int = 0
    seconds: float = 0.0
    rejects_files: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "objects": {name: c.to_dict() for name, c in self.objects.items()},
            "reps_added": self.reps_added,
            "cursor": self.cursor,
            "run": self.run,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rejects_files": self.rejects_files,
        }


def run_sync(
    settings: Settings,
    request: SyncRequest,
    make: Callable[[Api], Crm],
    progress: Progress | None = None,
) -> SyncSummary:
    """Sync ``request.source`` into the event store of ``settings.home`` (see the module)."""
    require_embedded_store(settings, f"syncing {request.source}")
    started = time.perf_counter()
    report = progress or (lambda stage, done: None)
    state.mark_interrupted(settings, request.source)
    run_id = state.start_run(settings, request.source)
    try:
        summary = _sync(settings, request, make, run_id, report)
    except BackplanError as e:
        state.fail_run(settings, run_id, str(e))
        raise
    except BaseException as e:
        state.fail_run(settings, run_id, f"{type(e).__name__}: {e}")
        raise
    summary.seconds = time.perf_counter() - started
    return summary


def _sync(
    settings: Settings,
    request: SyncRequest,
    make: Callable[[Api], Crm],
    run_id: int,
    report: Progress,
) -> SyncSummary:
    known = state.cursors(settings, request.source)
    api = Api(
        request.base_url,
        request.source.capitalize() if request.source != "hubspot" else "HubSpot",
        auth=_auth(request.source, request.token),
        policy=request.policy,
        transport=request.transport,
    )
    with api:
        crm = make(api)
        report(f"reading {crm.owners_object}", None)
        owners = crm.owners()
        batches: list[Batch] = []
        for name in crm.objects:
            report(f"reading {name}", None)
            batches.append(crm.read(name, request.since or known.get(name)))
    keys, new_owners, matched = _match_owners(settings, owners)
    for batch in batches:
        for row in batch.rows:
            owner = row.get(batch.rep_column)
            if owner is not None:
                row[batch.rep_column] = keys.get(owner, f"{request.source} owner {owner}")
    summary = SyncSummary(
        request.source,
        {crm.owners_object: ObjectCounts(read=len(owners), duplicates=matched)},
        run=run_id,
        requests=api.requests,
    )
    outcomes = _add_events(settings, request, batches, new_owners, summary, report)
    # Every unknown owner becomes a rep, whether or not they own a record synced this time;
    # so does an owner id no owner list named (a record's owner deleted since).
    owner_keys = {key for key, _, _ in new_owners}
    strays = sorted({k for out in outcomes for k in out.new_reps if k not in owner_keys})
    reps = [*new_owners, *((key, key, None) for key in strays)]
    summary.objects[crm.owners_object].added = len(new_owners)
    summary.cursor = {b.object: b.cursor for b in batches}
    with appdb.session(settings) as db:
        summary.reps_added = sorted(add_named_reps(db, reps, origin="sync"))
        state.save_cursors(db, request.source, summary.cursor)
        objects = {n: c.to_dict() for n, c in summary.objects.items()}
        state.finish_run(db, run_id, objects, summary.reps_added)
        added = sum(c.added for n, c in summary.objects.items() if n != crm.owners_object)
        if added or reps:
            record(
                db,
                settings,
                request.by,
                "sync.events",
                request.source,
                {"objects": objects, "reps_added": summary.reps_added},
            )
    return summary


def _add_events(
    settings: Settings,
    request: SyncRequest,
    batches: list[Batch],
    new_owners: list[tuple[str, str, str | None]],
    summary: SyncSummary,
    report: Progress,
) -> list[ImportOutcome]:
    """Each batch through its export mapping, all added in one batch of the store."""
    store = EventStore(settings.home)
    aliases = rep_aliases(settings)
    aliases.update({key.lower(): key for key, _, _ in new_owners})
    rules = ImportRules(
        now=settings.clock.instant().astimezone(UTC),
        aliases=aliases,
        roster_empty=roster_size(settings) == 0,
        add_reps=True,
        allow_rejects=True,
    )
    outcomes: list[ImportOutcome] = []
    with store.scratch("sync") as scratch, store.writer() as writer:
        writer.hold()
        for batch in batches:
            report(f"adding {batch.object}", None)
            outcome = _import(settings, request, batch, rules, writer, scratch, summary)
            outcomes.append(outcome)
        report("committing", None)
        writer.release(label="s")
    return outcomes


def _import(
    settings: Settings,
    request: SyncRequest,
    batch: Batch,
    rules: ImportRules,
    writer: StoreWriter,
    scratch: Path,
    summary: SyncSummary,
) -> ImportOutcome:
    counts = summary.objects.setdefault(batch.object, ObjectCounts())
    if not batch.rows:
        return ImportOutcome(committed=True)
    mapping = load_mapping(batch.mapping, settings.extra_kinds)
    name = f"{request.source}-{batch.object}"
    source = records_source(batch.rows, batch.columns, scratch, name)
    resolved = mapping.resolve(source.header, name)
    rejects = settings.home / REJECTS_DIR / f"sync-{summary.run}-{name}-rejects.csv"
    outcome = import_events(source, resolved, rules, writer, rejects)
    counts.read, counts.added = outcome.read, outcome.added
    counts.duplicates, counts.rejected = outcome.duplicates, outcome.rejected
    if outcome.rejects_path is not None:
        summary.rejects_files[batch.object] = str(outcome.rejects_path.relative_to(settings.home))
    return outcome


def _match_owners(
    settings: Settings, owners: list[Owner]
) -> tuple[dict[str, str], list[tuple[str, str, str | None]], int]:
    """Each owner's rep key (CRM id → key), the owners to add as reps (key, name, email),
    and how many the roster knew: by email first, then by name or key."""
    by_email = rep_aliases(settings, by="email")
    by_any = rep_aliases(settings)
    keys: dict[str, str] = {}
    new: dict[str, tuple[str, str, str | None]] = {}
    matched = 0
    for owner in owners:
        email = (owner.email or "").lower()
        found = by_email.get(email) if email else None
        found = found or by_any.get(owner.name.lower()) or (by_any.get(email) if email else None)
        if found:
            keys[owner.id] = found
            matched += 1
            continue
        key = owner.name or owner.email or f"owner {owner.id}"
        taken = new.get(key.lower())
        if taken is not None and taken[2] != owner.email:
            key = f"{key} ({owner.email or owner.id})"  # two owners of one name
        new.setdefault(key.lower(), (key, owner.name or key, owner.email))
        keys[owner.id] = new[key.lower()][0]
    return keys, list(new.values()), matched


def _auth(source: str, token: str) -> Callable[[dict[str, str], dict[str, Any]], None]:
    return bearer(token) if source == "hubspot" else api_token_header(token)
