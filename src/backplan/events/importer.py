"""Turning an export file into canonical events: validation, expansion, de-duplication.

All the work is DuckDB SQL over the file, so a 10M-row CSV is checked in
parallel, never row by row in Python. There are two paths:

* the **fast path**, for files that map one row to one event (the ``events``
  mapping): DuckDB reads the mapped columns in their types and writes the
  events straight to Parquet; any doubt at all (a bad date, an unknown kind,
  a value to trim, a repeated id, a rep the roster does not know) aborts it,
  and the file goes down
* the **checked path**: every column read as text with its row number; each
  row gets its first problem (``missing_value``, ``unknown_kind``,
  ``bad_date``, ``future_date``, ``early_date``, ``bad_number``,
  ``non_finite_amount``, ``negative_amount``,
  ``value_too_long``, ``unknown_rep``, ``duplicate_id``, ``malformed_row``),
  good rows expand into their events (an opportunity row becomes
  ``<id>:opp`` and ``<id>:won``), bad rows go to the rejects CSV.

Either way the events land in a staging folder; ``StoreWriter.commit``
drops those already stored and renames the batch into the store. This module
runs the import (the statements in order, progress, rejects, the commit);
``events.import_sql`` builds the SQL it runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from backplan.config.private import private_file, private_folder
from backplan.events import import_sql, rejects_sql
from backplan.events.csv_cells import copy_csv
from backplan.events.import_sql import (
    EVENT_COLUMNS,
    MAX_VALUE_CHARS,
    PARQUET,
    Expressions,
    lookup_table,
)
from backplan.events.mapping import Mapping, ResolvedMapping
from backplan.events.readers import REJECTS_SCAN, REJECTS_TABLE, Source, literal, quote
from backplan.events.store import StoreWriter, duckdb_connection

REASONS: tuple[str, ...] = (
    "missing_value",
    "unknown_kind",
    "bad_date",
    "future_date",
    "early_date",
    "bad_number",
    "non_finite_amount",
    "negative_amount",
    "value_too_long",
    "unknown_rep",
    "unreachable_rep",
    "duplicate_id",
    "malformed_row",
)

Progress = Callable[[str, float | None], None]
UNKNOWN_REPS_SHOWN = 10
"""How many of the unknown rep values an import summary names (the most frequent)."""


@dataclass
class ImportRules:
    """What an import checks rows against."""

    now: datetime
    aliases: dict[str, str] = field(default_factory=dict)
    """Lower-cased rep key, name or email → the roster's rep key."""
    roster_empty: bool = True
    add_reps: bool = False
    allow_rejects: bool = False

    @property
    def reject_unknown_reps(self) -> bool:
        return not self.roster_empty and not self.add_reps


@dataclass
class ImportOutcome:
    """Counts of one import. ``read`` and ``rejected``/``skipped`` count rows; the rest count events."""

    read: int = 0
    events: int = 0
    added: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    new_reps: list[str] = field(default_factory=list)
    rejects_path: Path | None = None
    batch: str | None = None
    committed: bool = False
    checked: bool = False
    """True when the file went down the checked path (row by row reasons)."""
    collapsed: int = 0
    """Events of a file without ids that were exactly alike (same rep, time, kind, prospect,
    amount, source) and became one: counted apart, not hidden among the duplicates."""
    collapsed_rows: list[list[int]] = field(default_factory=list)
    """A few examples: the rows that became one event."""
    kinds: dict[str, int] = field(default_factory=dict)
    """Events added, per kind (``{"won": 4238, "lost": 2473}``)."""
    unknown_reps: list[tuple[str, int]] = field(default_factory=list)
    """The most frequent rep values the roster does not know, with their rejected rows."""


def import_source(
    source: Source,
    resolved: ResolvedMapping,
    rules: ImportRules,
    writer: StoreWriter,
    rejects_path: Path,
    progress: Progress | None = None,
    lookups: dict[str, pa.Table] | None = None,
) -> ImportOutcome:
    """Validate ``source`` through ``resolved``, write rejects, and commit the good events.

    ``lookups``: for each field the mapping looks up in another file, that file's
    ``k`` (id) → ``v`` (value) table (``events.lookups.read_lookups``).
    """
    run = _Run(source, resolved, rules, writer, rejects_path, progress)
    for name, table in (lookups or {}).items():
        run.con.register(lookup_table(name), table)
    try:
        return run.execute()
    finally:
        run.close()


class _Run:
    def __init__(
        self,
        source: Source,
        resolved: ResolvedMapping,
        rules: ImportRules,
        writer: StoreWriter,
        rejects_path: Path,
        progress: Progress | None,
    ) -> None:
        self.source = source
        self.resolved = resolved
        self.mapping: Mapping = resolved.mapping
        self.rules = rules
        self.writer = writer
        self.rejects_path = rejects_path
        self.progress = progress
        self.con = duckdb_connection(writer.home)
        self.con.execute(f"SET TimeZone = {literal(self.mapping.timezone)}")
        # DuckDB turns a long IN list into a join, which would lose the file's row order
        # that the checked path numbers rows by.
        self.con.execute("SET disabled_optimizers = 'in_clause'")
        if progress:
            self.con.execute("SET enable_progress_bar = true")  # tracked, not drawn
        aliases = pa.table(
            {
                "alias": pa.array(list(rules.aliases), pa.string()),
                "rep": pa.array(list(rules.aliases.values()), pa.string()),
            }
        )
        self.con.register("roster_alias", aliases)
        source.register(self.con)
        self.numbered = source.numbers_rows

    def close(self) -> None:
        self.con.close()

    def execute(self) -> ImportOutcome:
        if self.source.can_read_typed and self.mapping.one_event_per_row and self.mapping.plain:
            staged = self.writer.new_staging("events")
            try:
                outcome = self._fast(staged)
            except duckdb.Error:
                outcome = None
            if outcome is not None:
                return outcome
        return self._checked()

    # -- the fast path -------------------------------------------------------------------

    def _fast(self, staged: Path) -> ImportOutcome | None:
        types = {c: "TIMESTAMPTZ" for cols in self.resolved.dates.values() for c in cols}
        types.update({c: "DOUBLE" for c in self.resolved.columns.get("amount", ())})
        relation = self.source.typed_sql(types)
        exprs = Expressions(self.resolved, self.rules.now, typed=True)
        sql = (
            f"COPY ({exprs.fast_select(relation)}) "
            f"TO {literal(staged / 'part-0.parquet')} ({PARQUET})"
        )
        written = self._run(sql, "reading")
        files = f"read_parquet({literal(staged / '*.parquet')})"
        # One pass over the events written: repeated ids and (most mappings) the checks. Equal
        # hashes are only candidates (a 64-bit hash may collide): the exact count runs only then.
        row = self.con.execute(exprs.fast_doubts(files)).fetchone()
        repeated, doubtful = (int(row[0]), bool(row[1])) if row else (0, False)
        if repeated and self._scalar(f"SELECT count(*) - count(DISTINCT event_id) FROM {files}"):
            _clear(staged)
            return None  # repeated ids: the checked path says which rows
        # Reps: the few distinct values are matched to the roster here, not on every row.
        found = [r[0] for r in self.con.execute(f"SELECT DISTINCT rep FROM {files}").fetchall()]
        if doubtful or (exprs.checks_after_write and self._doubtful(files, found)):
            _clear(staged)
            return None  # a row the checked path has to judge
        seen = [str(r) for r in found]
        keys = set(self.rules.aliases.values())
        renamed = {
            r: self.rules.aliases[r.lower()]
            for r in seen
            if r not in keys and r.lower() in self.rules.aliases
        }
        unknown = sorted(r for r in seen if r not in keys and r not in renamed)
        if unknown and (self.rules.reject_unknown_reps or any("/" in r for r in unknown)):
            _clear(staged)
            return None  # the checked path names each row of an unknown (or unreachable) rep
        if renamed:
            staged = self._rename_reps(staged, renamed)
        outcome = ImportOutcome(read=written, events=written, new_reps=unknown)
        self._commit(staged, outcome)
        return outcome

    def _doubtful(self, files: str, reps: list[Any]) -> bool:
        """Whether a distinct rep or kind of the events written is one the fast path's row
        checks would have refused (``Expressions.fast_doubts`` checks the other columns)."""
        kinds = [r[0] for r in self.con.execute(f"SELECT DISTINCT kind FROM {files}").fetchall()]
        return any(k not in self.mapping.kinds for k in kinds) or any(
            rep is None or rep != rep.strip(" ") or not rep or len(rep.encode()) > MAX_VALUE_CHARS
            for rep in reps
        )

    def _rename_reps(self, staged: Path, renamed: dict[str, str]) -> Path:
        """The staged events with reps named by name or email stored under their roster key."""
        self.con.register(
            "rep_keys", pa.table({"raw": list(renamed), "rep": list(renamed.values())})
        )
        target = self.writer.new_staging("events")
        self._run(import_sql.rename_reps(staged, target), "writing")
        return target

    # -- the checked path ----------------------------------------------------------------

    def _checked(self) -> ImportOutcome:
        outcome = ImportOutcome(checked=True)
        work = self.writer.new_staging("checked")
        exprs = Expressions(self.resolved, self.rules.now, typed=False)
        checked = work / "rows.parquet"
        malformed = self._read_rows(exprs, checked, long_lines=False)
        if any(e.startswith("Maximum line size") for e in malformed.column("error").to_pylist()):
            # A line longer than usual (a long notes field): read again allowing long lines.
            malformed = self._read_rows(exprs, checked, long_lines=True)
        self._rows_view(exprs, checked, malformed)
        outcome.read = pq.ParquetFile(checked).metadata.num_rows + malformed.num_rows
        good = "SELECT * FROM rows WHERE __problem IS NULL"
        outcome.skipped = self._scalar(f"SELECT count(*) FROM ({good}) WHERE __kinds = ''")
        self.con.execute(
            f"CREATE TEMP VIEW ev AS SELECT __row, {exprs.event_columns('__spec')} "
            f"FROM (SELECT *, unnest(string_split(__kinds, ',')) AS __spec FROM ({good}) "
            "WHERE __kinds <> '')"
        )
        events = work / "events.parquet"
        produced = self._run(
            f"COPY (SELECT * FROM ev) TO {literal(events)} ({PARQUET})", "checking"
        )
        self.con.execute(f"CREATE TEMP VIEW evf AS SELECT * FROM read_parquet({literal(events)})")
        # Ids used more than once: equal hashes first (cheap), the exact work only if any.
        repeated = self._scalar(import_sql.repeated_hashes("evf"))
        conflicts = bool(repeated) and self._conflicts()
        kept = "SELECT * FROM evf" + (
            " WHERE __row NOT IN (SELECT __row FROM conflicts)" if conflicts else ""
        )
        if repeated:
            counts = self.con.execute(
                f"SELECT count(*), count(DISTINCT event_id) FROM ({kept})"
            ).fetchone()
            produced, unique = (int(counts[0]), int(counts[1])) if counts else (0, 0)
        else:
            unique = produced
        chosen = (
            f"SELECT {EVENT_COLUMNS} FROM ({kept})"
            if produced == unique
            else f"SELECT DISTINCT ON (event_id) {EVENT_COLUMNS} FROM ({kept}) "
            "ORDER BY event_id, __row"
        )
        staged = self.writer.new_staging("events")
        self._run(f"COPY ({chosen}) TO {literal(staged / 'part-0.parquet')} ({PARQUET})", "writing")
        outcome.events = produced
        outcome.duplicates = produced - unique
        if produced > unique and "id" not in self.resolved.columns:
            outcome.collapsed = produced - unique
            outcome.collapsed_rows = self._collapsed_rows(kept)
        outcome.rejected = self._write_rejects(malformed, conflicts, outcome)
        if outcome.reasons.get("unknown_rep"):
            outcome.unknown_reps = self._unknown_reps()
        outcome.new_reps = self._new_reps(
            f"SELECT DISTINCT __rep AS rep FROM ({good}) WHERE NOT __rep_known"
        )
        if outcome.rejected and not self.rules.allow_rejects:
            return outcome
        self._commit(staged, outcome)
        return outcome

    def _malformed(self) -> pa.Table:
        """CSV lines DuckDB could not split into the header's fields, one per line."""
        empty = pa.table(
            {
                "line": pa.array([], pa.int64()),
                "error": pa.array([], pa.string()),
                "text": pa.array([], pa.string()),
            }
        )
        if self.source.format != "csv":
            return empty
        try:
            rows = self.con.execute(rejects_sql.MALFORMED_LINES).fetchall()
        except duckdb.CatalogException:
            return empty
        lines, errors, texts = [], [], []
        path = self.source.read_path or self.source.path
        with open(path, "rb") as f:
            for line, error, position, text in rows:
                if text is None or len(text) >= 10_000:
                    # DuckDB keeps only the first 10,000 characters of a bad line: read it all.
                    f.seek(int(position))
                    text = f.readline().decode("utf-8", errors="replace")
                lines.append(int(line))
                errors.append(str(error))
                texts.append(text.strip("\r\n"))
        return pa.table({"line": pa.array(lines, pa.int64()), "error": errors, "text": texts})

    def _read_rows(self, exprs: Expressions, target: Path, *, long_lines: bool) -> pa.Table:
        """Every row, parsed, with its first problem, in file order; returns the malformed lines.

        Plain COPY keeps the file's order, so a row's position in ``target`` is its
        position among the rows read: no window function, and DuckDB stays parallel.
        """
        for table in (REJECTS_TABLE, REJECTS_SCAN):
            self.con.execute(f"DROP TABLE IF EXISTS {table}")

        def copy(numbered: bool) -> str:
            relation = self.source.raw_sql(long_lines=long_lines, numbered=numbered)
            # Keep the original columns and the results; the trimmed texts are cheaper to
            # compute again than to write and read back.
            with_seq = numbered or self.source.numbers_rows
            kept = [*(["__seq"] if with_seq else []), *(quote(h) for h in self.source.header)]
            kept += ["__kinds", "__amount", *(f"__d_{d}" for d in self.mapping.used_dates())]
            return (
                f"COPY (SELECT {', '.join(kept)}, {exprs.problem()} AS __problem "
                f"FROM ({exprs.parsed(relation)})) TO {literal(target)} ({PARQUET})"
            )

        sql = copy(numbered=False)
        self.numbered = self.source.numbers_rows
        if not self.numbered and not self._keeps_order(sql):
            # Safety net: should a plan ever reorder rows, number them as they are read.
            sql, self.numbered = copy(numbered=True), True
        self._run(sql, "reading")
        return self._malformed()

    def _keeps_order(self, copy_sql: str) -> bool:
        """Whether DuckDB writes the rows in file order (a batch copy) for this statement."""
        plan = self.con.execute(f"EXPLAIN {copy_sql}").fetchall()
        return any("Batch Copy To File" in str(row[1]) for row in plan)

    def _rows_view(self, exprs: Expressions, checked: Path, malformed: pa.Table) -> None:
        """A view ``rows``: each row with ``__row`` (the row a person sees), its rep and problem."""
        seq = "r.__seq" if self.numbered else "(r.file_row_number + 1)"
        joins = ""
        if malformed.num_rows:
            # Malformed lines are not among the rows read: row k of what was read is data row
            # k + (malformed lines before it). Malformed line i (1-based) has c_i = b_i - i
            # rows read before it; the ASOF join finds, for each row, the last c_i below k.
            first = self.source.header_row
            index = [line - first for line in malformed.column("line").to_pylist()]
            before = {b - i: i for i, b in enumerate(index, start=1)}
            shifts = pa.table({"c": list(before), "shift": list(before.values())})
            self.con.register("line_shifts", shifts)
            joins += f" ASOF LEFT JOIN line_shifts s ON {seq} > s.c"
            seq = f"{seq} + coalesce(s.shift, 0)"
        if self.rules.aliases:
            joins += " LEFT JOIN roster_alias ra ON ra.alias = lower(r.__rep_text)"
            rep, known = "coalesce(ra.rep, r.__rep_text)", "ra.rep IS NOT NULL"
        else:
            rep, known = "r.__rep_text", "false"
        problem = "r.__problem"
        if self.rules.reject_unknown_reps:
            problem = (
                f"coalesce(r.__problem, CASE WHEN NOT ({known}) THEN {exprs.unknown_rep()} END)"
            )
        else:  # a rep added from the events needs a key a URL can reach: no '/'
            problem = (
                f"coalesce(r.__problem, CASE WHEN NOT ({known}) AND contains(r.__rep_text, '/') "
                f"THEN {exprs.unreachable_rep()} END)"
            )
        excluded = "__problem, file_row_number" + (", __seq" if self.numbered else "")
        texts = ", ".join(f"{exprs.text(n)} AS __{n}" for n in ("id", "prospect", "source"))
        base = (
            f"SELECT *, {texts}, {exprs.text('rep')} AS __rep_text "
            f"FROM read_parquet({literal(checked)}, file_row_number = true)"
        )
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW rows AS SELECT r.* EXCLUDE ({excluded}), "
            f"{rep} AS __rep, {known} AS __rep_known, {problem} AS __problem, "
            f"{self.source.row_of(seq)} AS __row FROM ({base}) r{joins}"
        )

    def _conflicts(self) -> bool:
        """Rows whose event id an earlier row already used for different values."""
        self.con.execute(rejects_sql.create_conflicts())
        return self._scalar("SELECT count(*) FROM conflicts") > 0

    def _write_rejects(self, malformed: pa.Table, conflicts: bool, outcome: ImportOutcome) -> int:
        if malformed.num_rows:
            self.con.register("malformed", malformed)
        union = rejects_sql.rejects(
            self.source, self.resolved, conflicts=conflicts, malformed=bool(malformed.num_rows)
        )
        counted = self.con.execute(
            f"SELECT reason, count(*) FROM ({union}) GROUP BY reason ORDER BY reason"
        ).fetchall()
        outcome.reasons = {str(r): int(n) for r, n in counted}
        total = sum(outcome.reasons.values())
        if total:
            private_folder(self.rejects_path.parent)
            copy_csv(self.con, f"SELECT * FROM ({union}) ORDER BY row", self.rejects_path)
            private_file(self.rejects_path)  # the rows of the organisation's own files
            outcome.rejects_path = self.rejects_path
        return total

    def _collapsed_rows(self, kept: str, limit: int = 3) -> list[list[int]]:
        """Examples of rows (as a person numbers them) that became one event for want of an id."""
        rows = self.con.execute(
            f"SELECT list(__row ORDER BY __row) AS rows FROM ({kept}) GROUP BY event_id "
            f"HAVING count(*) > 1 ORDER BY min(__row) LIMIT {int(limit)}"
        ).fetchall()
        return [[int(r) for r in row[0][:10]] for row in rows]

    def _unknown_reps(self, limit: int = UNKNOWN_REPS_SHOWN) -> list[tuple[str, int]]:
        """The rep values rejected as unknown, most rows first."""
        rows = self.con.execute(
            "SELECT __rep_text, count(*) AS n FROM rows "
            "WHERE struct_extract(__problem, 'reason') = 'unknown_rep' "
            f"GROUP BY __rep_text ORDER BY n DESC, __rep_text LIMIT {int(limit)}"
        ).fetchall()
        return [(str(value), int(n)) for value, n in rows]

    # -- shared ----------------------------------------------------------------------

    def _new_reps(self, sql: str) -> list[str]:
        if self.rules.reject_unknown_reps:
            return []
        reps = [str(r[0]) for r in self.con.execute(sql).fetchall() if r[0] is not None]
        keys = set(self.rules.aliases.values())
        return sorted(r for r in reps if r not in keys and r.lower() not in self.rules.aliases)

    def _commit(self, staged: Path, outcome: ImportOutcome) -> None:
        self._report("committing", None)
        result = self.writer.commit(staged)
        outcome.added = result.added
        outcome.duplicates += result.duplicates
        outcome.batch = result.batch
        outcome.committed = True
        if result.batch:
            added = literal(self.writer.store.dir / result.batch / "*.parquet")
            counted = self.con.execute(
                f"SELECT kind, count(*) AS n FROM read_parquet({added}) GROUP BY kind "
                "ORDER BY n DESC, kind"
            ).fetchall()
            outcome.kinds = {str(k): int(n) for k, n in counted}

    def _scalar(self, sql: str) -> int:
        row = self.con.execute(sql).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _report(self, phase: str, done: float | None) -> None:
        if self.progress:
            self.progress(phase, done)

    def _run(self, sql: str, phase: str) -> int:
        """Run a statement, reporting DuckDB's progress while it runs; returns its row count."""
        self._report(phase, 0.0)
        if not self.progress:
            return self._scalar(sql)
        result: dict[str, Any] = {}

        def work() -> None:
            try:
                result["rows"] = self._scalar(sql)
            except BaseException as e:  # re-raised in the caller's thread
                result["error"] = e

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(0.2)
            done = self.con.query_progress()
            if done >= 0:
                self._report(phase, min(done, 100.0) / 100.0)
        if "error" in result:
            raise result["error"]
        self._report(phase, 1.0)
        return int(result["rows"])


def _clear(folder: Path) -> None:
    for path in folder.glob("*"):
        path.unlink(missing_ok=True)


__all__ = ["REASONS", "ImportOutcome", "ImportRules", "import_source"]
