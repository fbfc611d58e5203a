"""Import a CRM export into the event store: the use case behind ``backplan import``.

One import holds the store's write lock from start to end, logs itself in the
app database (``imports`` table), reads the file through a mapping, writes the
rows it rejects to ``BACKPLAN_HOME/imports/<id>-<file>-rejects.csv`` and adds
the good events in one atomic batch. Without ``allow_rejects`` a file with
rejected rows adds nothing: fix the rows and import it again (events already
stored are recognised by their id, so nothing is added twice).

An import that added its events is recorded in the audit log (``import.events``),
in the transaction that marks it done; one that failed or was rejected changed
nothing, and the import log alone keeps it.
"""

from __future__ import annotations

import csv
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import select, update

from backplan import appdb
from backplan.appdb.models import ImportRun
from backplan.config import Settings
from backplan.core.errors import BackplanError
from backplan.events import mapping as mappings
from backplan.events.errors import UnreadableFile
from backplan.events.importer import ImportOutcome, ImportRules, Progress, import_source
from backplan.events.lookups import read_lookups
from backplan.events.mapping import ResolvedMapping, load_mapping
from backplan.events.readers import ExcelLimits, Source, open_source
from backplan.events.store import CompactResult, EventStore, StoreWriter
from backplan.services.audit import Actor, record
from backplan.services.roster import add_reps, rep_aliases, roster_listing, roster_size
from backplan.services.roster.nearest import nearest_reps
from backplan.services.warehouse import require_embedded_store

IMPORTS_DIR = "imports"
UPLOADS_DIR = "uploads"
"""Where the web app keeps an upload until its import is done."""
AUTO_COMPACT_FILES = 64
"""After an import, a store of this many files or more is compacted (few large files read faster)."""


@dataclass
class ImportRequest:
    """An import as a person asks for it."""

    file: Path
    mapping: str
    allow_rejects: bool = False
    add_reps: bool = False
    sheet: str | None = None
    now: datetime | None = None
    name: str | None = None
    """The file's name as the organisation knows it (an upload's own name); default: the
    file's name on disk. The import log and the rejects file show this, never a server path."""
    by: Actor | None = None
    """Who imports (the audit log records them); default: the command line's OS user."""

    @property
    def shown_name(self) -> str:
        return self.name or self.file.name


@dataclass
class ImportSummary:
    """The result of one import, as ``backplan import --json`` prints it."""

    id: int
    file: str
    mapping: str
    status: str
    read: int = 0
    events: int = 0
    added: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    reps_added: list[str] = field(default_factory=list)
    rejects_file: str | None = None
    encoding: str | None = None
    seconds: float = 0.0
    store_events: int = 0
    compacted: bool = False
    checked_row_by_row: bool = False
    """True when the file needed the checked path (a row with a problem, repeated ids ...)."""
    collapsed: int = 0
    """Events of a file without ids that were exactly alike and became one (not duplicates
    of stored events): ``collapsed_rows`` gives examples of the rows."""
    collapsed_rows: list[list[int]] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)
    """Events added per kind, most first: ``{"won": 4238, "lost": 2473}``."""
    unknown_reps: list[dict[str, Any]] = field(default_factory=list)
    """The most frequent rep values the roster does not know: value, rows, did_you_mean."""

    @property
    def ok(self) -> bool:
        return self.status == "done"

    def to_dict(self, home: Path | None = None) -> dict[str, Any]:
        """The summary as JSON; given ``home``, the rejects file relative to it (what the web
        app shows: no path on the server leaves it)."""
        rejects = self.rejects_file
        if rejects and home is not None:
            rejects = _relative(Path(rejects), home)
        return {
            "id": self.id,
            "file": self.file,
            "mapping": self.mapping,
            "status": self.status,
            "read": self.read,
            "events": self.events,
            "added": self.added,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "reasons": self.reasons,
            "reps_added": self.reps_added,
            "rejects_file": rejects,
            "encoding": self.encoding,
            "seconds": round(self.seconds, 3),
            "store_events": self.store_events,
            "compacted": self.compacted,
            "checked_row_by_row": self.checked_row_by_row,
            "kinds": self.kinds,
            "collapsed": self.collapsed,
            "collapsed_rows": self.collapsed_rows,
            "unknown_reps": self.unknown_reps,
        }


def import_file(
    settings: Settings, request: ImportRequest, progress: Progress | None = None
) -> ImportSummary:
    """Import ``request.file`` into the event store of ``settings.home``.

    The file is read (its format, header and, for a workbook, its cells) before
    the store's write lock is taken, so a slow or hostile file never makes
    other imports wait; the lock is held only to check and add the events.
    """
    require_embedded_store(settings, "importing a file")
    started = time.perf_counter()
    mapping = load_mapping(request.mapping, settings.extra_kinds)
    store = EventStore(settings.home)
    now = request.now or datetime.now(UTC)
    named = request.name or str(request.file)
    with store.scratch("parse") as scratch:
        if progress:
            progress("reading the file", None)
        try:
            source = open_source(
                request.file, scratch, sheet=request.sheet, limits=excel_limits(settings)
            )
            source.name = request.shown_name
            resolved = mapping.resolve(source.header, named)
            lookups = read_lookups(resolved, request.file, scratch)
        except BackplanError as e:
            _finish(
                settings, _start(settings, request, mapping.name), status="failed", message=str(e)
            )
            raise
        with store.writer() as writer:
            _mark_interrupted(settings)
            run_id = _start(settings, request, mapping.name)
            try:
                outcome, reps_added = _check_and_add(
                    settings, request, source, resolved, writer, run_id, now, progress, lookups
                )
            except BackplanError as e:
                _finish(settings, run_id, status="failed", message=str(e))
                raise
            except BaseException as e:
                _finish(settings, run_id, status="failed", message=f"{type(e).__name__}: {e}")
                raise
            status = "done" if outcome.committed else "rejected"
            summary = _summary(run_id, request, mapping.name, status, outcome, source.encoding)
            summary.reps_added = reps_added
            if outcome.unknown_reps:
                summary.unknown_reps = describe_unknown_reps(settings, outcome.unknown_reps)
            if outcome.committed and len(store.files()) >= AUTO_COMPACT_FILES:
                if progress:
                    progress("compacting", None)
                writer.compact(min_files=AUTO_COMPACT_FILES)
                summary.compacted = True
            summary.seconds = time.perf_counter() - started
            summary.store_events = store.count()
            _finish(
                settings,
                run_id,
                status=status,
                outcome=outcome,
                reps_added=len(reps_added),
                encoding=source.encoding,
                audited=summary if outcome.committed else None,
                by=request.by,
            )
            return summary


def _check_and_add(
    settings: Settings,
    request: ImportRequest,
    source: Source,
    resolved: ResolvedMapping,
    writer: StoreWriter,
    run_id: int,
    now: datetime,
    progress: Progress | None,
    lookups: dict[str, pa.Table],
) -> tuple[ImportOutcome, list[str]]:
    """Check the rows read and add the good events, holding the store's lock."""
    rules = ImportRules(
        now=now,
        aliases=rep_aliases(settings, by=resolved.mapping.rep_match),
        roster_empty=roster_size(settings) == 0,
        add_reps=request.add_reps,
        allow_rejects=request.allow_rejects,
    )
    rejects = (
        settings.home / IMPORTS_DIR / f"{run_id}-{_slug(Path(request.shown_name).stem)}-rejects.csv"
    )
    try:
        outcome = import_source(source, resolved, rules, writer, rejects, progress, lookups)
    except duckdb.Error as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UnreadableFile(
            f"could not be read: {first}", file=request.name or str(request.file)
        ) from None
    reps_added: list[str] = []
    if outcome.committed and outcome.new_reps:
        with appdb.session(settings) as db:
            add_reps(db, outcome.new_reps)
        reps_added = outcome.new_reps
    return outcome, reps_added


def describe_unknown_reps(
    settings: Settings, unknown: list[tuple[str, int]]
) -> list[dict[str, Any]]:
    """Each unknown rep value with its rejected rows and the nearest reps of the roster."""
    listing = roster_listing(settings)
    return [
        {"value": value, "rows": rows, "did_you_mean": nearest_reps(value, listing)}
        for value, rows in unknown
    ]


def excel_limits(settings: Settings) -> ExcelLimits:
    """How much of a workbook is read, from the settings ``xlsx_max_*``."""
    return ExcelLimits(
        rows=settings.xlsx_max_rows,
        columns=settings.xlsx_max_columns,
        unpacked_bytes=settings.xlsx_max_unpacked_mb << 20,
    )


SHOWN_REJECTS = 500
"""Rejected rows an upload's job lists on its page (the rejects file has them all)."""


def run_upload(
    settings: Settings, params: dict[str, Any], progress: Progress | None = None
) -> dict[str, Any]:
    """Import an uploaded file (the job kind ``import``): its summary with the first rejected
    rows, paths relative to the organisation. The upload is deleted afterwards, unless bad
    rows stopped it: then it is kept for the admin to import its good rows or discard it
    (``services/uploads``), and a day at most."""
    upload = Path(params["file"])
    request = ImportRequest(
        file=upload,
        mapping=str(params["mapping"]),
        allow_rejects=bool(params.get("allow_rejects")),
        add_reps=bool(params.get("add_reps")),
        name=str(params.get("name") or upload.name),
        by=Actor.from_dict(params["by"]) if isinstance(params.get("by"), dict) else None,
    )
    try:
        summary = import_file(settings, request, progress)
    except BackplanError as e:
        # The message names the upload as its user named it, not by its path on the server.
        e.args = (str(e).replace(str(upload), request.shown_name),)
        forget_upload(settings, params)
        raise
    except BaseException:
        forget_upload(settings, params)
        raise
    waiting = summary.status == "rejected" and summary.read > summary.rejected
    if not waiting:
        forget_upload(settings, params)
    result = summary.to_dict(home=settings.home)
    result["rejected_rows"] = rejected_rows(summary.rejects_file)
    result["good_rows_waiting"] = summary.read - summary.rejected if waiting else 0
    return result


def forget_upload(settings: Settings, params: dict[str, Any]) -> None:
    """Delete an upload kept for an import (only files in ``home/uploads``)."""
    upload = Path(params["file"])
    if upload.parent.resolve() == (settings.home / UPLOADS_DIR).resolve():
        upload.unlink(missing_ok=True)


def rejected_rows(path: str | None, limit: int = SHOWN_REJECTS) -> list[dict[str, str]]:
    """The first rejected rows of an import: row, column, value, reason, what was expected."""
    if not path or not Path(path).is_file():
        return []
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for record in csv.DictReader(f):
            rows.append(
                {k: record.get(k) or "" for k in ("row", "column", "value", "reason", "expected")}
            )
            if len(rows) >= limit:
                break
    return rows


def recent_imports(settings: Settings, limit: int = 20) -> list[dict[str, Any]]:
    """The import log, newest first."""
    with appdb.session(settings) as db:
        runs = db.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(limit)).all()
    return [
        {
            "id": r.id,
            "file": r.file,
            "mapping": r.mapping,
            "status": r.status,
            "started_at": r.started_at.isoformat() if r.started_at else None,
            "finished_at": r.finished_at.isoformat() if r.finished_at else None,
            "read": r.rows_read,
            "events": r.events,
            "added": r.added,
            "duplicates": r.duplicates,
            "rejected": r.rejected,
            "skipped": r.skipped,
            "rejects_file": _relative(Path(r.rejects_path), settings.home)
            if r.rejects_path
            else None,
            "message": r.message,
        }
        for r in runs
    ]


def mapping_names() -> list[str]:
    """The mappings shipped with backplan, by name (what ``--mapping`` and the upload form offer)."""
    return mappings.mapping_names()


def shipped_mappings() -> list[dict[str, Any]]:
    """Each shipped mapping: name, label, the columns it reads for each field and date, and
    which of them are optional (the first column found of each is used)."""
    return [
        {
            "name": m.name,
            "label": m.label,
            "columns": {k: list(v) for k, v in m.columns.items()},
            "dates": {k: list(v) for k, v in m.dates.items()},
            "optional": sorted(m.optional),
        }
        for m in (load_mapping(n) for n in mappings.mapping_names())
    ]


def compact_store(settings: Settings) -> CompactResult:
    """Merge the event store's small import files into a few large ones (atomic)."""
    require_embedded_store(settings, "compacting the event store")
    return EventStore(settings.home).compact(min_files=2)


def event_files(settings: Settings) -> list[str]:
    """The event store's files, as paths: they change exactly when an import or compaction
    changes the events (empty: no events)."""
    return sorted(str(p) for p in EventStore(settings.home).files())


def _summary(
    run_id: int,
    request: ImportRequest,
    mapping: str,
    status: str,
    outcome: ImportOutcome,
    encoding: str,
) -> ImportSummary:
    return ImportSummary(
        id=run_id,
        file=request.shown_name,
        mapping=mapping,
        status=status,
        read=outcome.read,
        events=outcome.events,
        added=outcome.added,
        duplicates=outcome.duplicates,
        rejected=outcome.rejected,
        skipped=outcome.skipped,
        reasons=outcome.reasons,
        kinds=outcome.kinds,
        collapsed=outcome.collapsed,
        collapsed_rows=outcome.collapsed_rows,
        rejects_file=str(outcome.rejects_path) if outcome.rejects_path else None,
        encoding=encoding,
        checked_row_by_row=outcome.checked,
    )


def _start(settings: Settings, request: ImportRequest, mapping: str) -> int:
    with appdb.session(settings) as db:
        run = ImportRun(
            file=request.shown_name,
            mapping=mapping,
            status="running",
            started_at=datetime.now(UTC),
            rows_read=0,
            events=0,
            added=0,
            duplicates=0,
            rejected=0,
            skipped=0,
            reps_added=0,
        )
        db.add(run)
        db.flush()
        return int(run.id)


def _finish(
    settings: Settings,
    run_id: int,
    *,
    status: str,
    outcome: ImportOutcome | None = None,
    reps_added: int = 0,
    encoding: str | None = None,
    message: str | None = None,
    audited: ImportSummary | None = None,
    by: Actor | None = None,
) -> None:
    """Mark the import run finished; ``audited`` (an import that added its events) is also
    recorded in the audit log, in the same transaction."""
    with appdb.session(settings) as db:
        if audited is not None:
            record(db, settings, by, "import.events", audited.file, _audit_detail(audited))
        run = db.get(ImportRun, run_id)
        if run is None:
            return
        run.status = status
        run.finished_at = datetime.now(UTC)
        run.message = message
        run.encoding = encoding
        if outcome is not None:
            run.rows_read = outcome.read
            run.events = outcome.events
            run.added = outcome.added
            run.duplicates = outcome.duplicates
            run.rejected = outcome.rejected
            run.skipped = outcome.skipped
            run.rejects_path = str(outcome.rejects_path) if outcome.rejects_path else None
            run.batch = outcome.batch
            run.reps_added = reps_added


SHOWN_NEW_REPS = 20
"""New reps an import's audit event names (it counts them all)."""


def _audit_detail(summary: ImportSummary) -> dict[str, Any]:
    return {
        "import": summary.id,
        "mapping": summary.mapping,
        "read": summary.read,
        "added": summary.added,
        "duplicates": summary.duplicates,
        "rejected": summary.rejected,
        "skipped": summary.skipped,
        "new_reps": len(summary.reps_added),
        "new_rep_keys": summary.reps_added[:SHOWN_NEW_REPS],
    }


def _mark_interrupted(settings: Settings) -> None:
    # Called while holding the store's lock: any import still "running" has died.
    with appdb.session(settings) as db:
        db.execute(
            update(ImportRun)
            .where(ImportRun.status == "running")
            .values(
                status="interrupted",
                message="the import stopped before finishing; nothing of it was added",
            )
        )


def _relative(path: Path, home: Path) -> str:
    """A file in the organisation's home as a path relative to it (its name, if elsewhere)."""
    try:
        return path.relative_to(home).as_posix()
    except ValueError:
        return path.name


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "file"
