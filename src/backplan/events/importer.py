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
  ``bad_date``, ``future_date``, ``bad_number``, ``negative_amount``,
  ``value_too_long``, ``unknown_rep``, ``duplicate_id``, ``malformed_row``),
  good rows expand into their events (an opportunity row becomes
  ``<id>:opp`` and ``<id>:won``), bad rows go to the rejects CSV.

Either way the events land in a staging folder; ``StoreWriter.commit``
drops those already stored and renames the batch into the store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from backplan.events.mapping import OUTCOME_SEPARATOR, EventSpec, Mapping, ResolvedMapping
from backplan.events.readers import REJECTS_SCAN, REJECTS_TABLE, Source, literal, quote
from backplan.events.store import StoreWriter, duckdb_connection

REASONS: tuple[str, ...] = (
    "missing_value",
    "unknown_kind",
    "bad_date",
    "future_date",
    "bad_number",
    "negative_amount",
    "value_too_long",
    "unknown_rep",
    "duplicate_id",
    "malformed_row",
)
MAX_VALUE_CHARS = 1000
FUTURE_TOLERANCE = timedelta(days=1)
"""Dates up to a day ahead are accepted: exports are written in the user's time zone."""
DEFAULT_DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%m/%d/%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y, %I:%M %p",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d %b %Y",
    "%b %d, %Y",
)
TEXT_FIELDS = ("id", "rep", "prospect", "source")
EMPTY = "''"

Progress = Callable[[str, float | None], None]


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


def import_source(
    source: Source,
    resolved: ResolvedMapping,
    rules: ImportRules,
    writer: StoreWriter,
    rejects_path: Path,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Validate ``source`` through ``resolved``, write rejects, and commit the good events."""
    run = _Run(source, resolved, rules, writer, rejects_path, progress)
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
        self.now_sql = f"TIMESTAMPTZ {literal((rules.now + FUTURE_TOLERANCE).isoformat())}"

    def close(self) -> None:
        self.con.close()

    def execute(self) -> ImportOutcome:
        if self.source.can_read_typed and self.mapping.one_event_per_row:
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
        exprs = _Expressions(self, typed=True)
        sql = (
            f"COPY ({exprs.fast_select(relation)}) "
            f"TO {literal(staged / 'part-0.parquet')} (FORMAT parquet)"
        )
        written = self._run(sql, "reading")
        files = f"read_parquet({literal(staged / '*.parquet')})"
        # Repeated ids send the file down the checked path. Equal hashes are only candidates
        # (a 64-bit hash may collide); the exact check runs only when there are some.
        repeated = self._scalar(
            f"SELECT count(*) FROM (SELECT hash(event_id) AS h FROM {files} "
            "GROUP BY h HAVING count(*) > 1)"
        )
        if repeated and self._scalar(f"SELECT count(*) - count(DISTINCT event_id) FROM {files}"):
            _clear(staged)
            return None  # repeated ids: the checked path says which rows
        # Reps: the few distinct values are matched to the roster here, not on every row.
        seen = [str(r[0]) for r in self.con.execute(f"SELECT DISTINCT rep FROM {files}").fetchall()]
        keys = set(self.rules.aliases.values())
        renamed = {
            r: self.rules.aliases[r.lower()]
            for r in seen
            if r not in keys and r.lower() in self.rules.aliases
        }
        unknown = sorted(r for r in seen if r not in keys and r not in renamed)
        if unknown and self.rules.reject_unknown_reps:
            _clear(staged)
            return None  # the checked path names each row of an unknown rep
        if renamed:
            staged = self._rename_reps(staged, renamed)
        outcome = ImportOutcome(read=written, events=written, new_reps=unknown)
        self._commit(staged, outcome)
        return outcome

    def _rename_reps(self, staged: Path, renamed: dict[str, str]) -> Path:
        """The staged events with reps named by name or email stored under their roster key."""
        self.con.register(
            "rep_keys", pa.table({"raw": list(renamed), "rep": list(renamed.values())})
        )
        target = self.writer.new_staging("events")
        self._run(
            f'COPY (SELECT s.event_id, coalesce(k.rep, s.rep) AS rep, s."at", s.kind, s.prospect, '
            f"s.amount, s.source FROM read_parquet({literal(staged / '*.parquet')}) s "
            f"LEFT JOIN rep_keys k ON s.rep = k.raw) TO {literal(target / 'part-0.parquet')} "
            "(FORMAT parquet)",
            "writing",
        )
        return target

    # -- the checked path ----------------------------------------------------------------

    def _checked(self) -> ImportOutcome:
        outcome = ImportOutcome(checked=True)
        work = self.writer.new_staging("checked")
        exprs = _Expressions(self, typed=False)
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
            f"COPY (SELECT * FROM ev) TO {literal(events)} (FORMAT parquet)", "checking"
        )
        self.con.execute(f"CREATE TEMP VIEW evf AS SELECT * FROM read_parquet({literal(events)})")
        # Ids used more than once: equal hashes first (cheap), the exact work only if any.
        repeated = self._scalar(
            "SELECT count(*) FROM (SELECT hash(event_id) AS h FROM evf GROUP BY h HAVING count(*) > 1)"
        )
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
        columns = 'event_id, rep, "at", kind, prospect, amount, source'
        chosen = (
            f"SELECT {columns} FROM ({kept})"
            if produced == unique
            else f"SELECT DISTINCT ON (event_id) {columns} FROM ({kept}) ORDER BY event_id, __row"
        )
        staged = self.writer.new_staging("events")
        self._run(
            f"COPY ({chosen}) TO {literal(staged / 'part-0.parquet')} (FORMAT parquet)", "writing"
        )
        outcome.events = produced
        outcome.duplicates = produced - unique
        outcome.rejected = self._write_rejects(exprs, malformed, conflicts, outcome)
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
            rows = self.con.execute(
                f"SELECT line, first(error_message ORDER BY column_idx), "
                f"first(line_byte_position ORDER BY column_idx), first(csv_line ORDER BY column_idx) "
                f"FROM {REJECTS_TABLE} GROUP BY line ORDER BY line"
            ).fetchall()
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

    def _read_rows(self, exprs: _Expressions, target: Path, *, long_lines: bool) -> pa.Table:
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
                f"FROM ({exprs.parsed(relation)})) TO {literal(target)} (FORMAT parquet)"
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

    def _rows_view(self, exprs: _Expressions, checked: Path, malformed: pa.Table) -> None:
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
        content = ("rep", '"at"', "kind", "prospect", "amount", "source")
        left = ", ".join(f"e.{c}" for c in content)
        right = ", ".join(f"f.{c}" for c in content)
        self.con.execute(
            "CREATE TEMP TABLE conflicts AS "
            "WITH dups AS (SELECT event_id, min(__row) AS first_row FROM evf "
            "GROUP BY event_id HAVING count(*) > 1), "
            "firsts AS (SELECT e.* FROM evf e JOIN dups d ON e.event_id = d.event_id "
            "AND e.__row = d.first_row) "
            "SELECT e.__row, first(e.event_id ORDER BY e.event_id) AS event_id, "
            "first(f.__row ORDER BY e.event_id) AS first_row "
            "FROM evf e JOIN firsts f ON e.event_id = f.event_id AND e.__row > f.__row "
            f"WHERE row({left}) IS DISTINCT FROM row({right}) GROUP BY e.__row"
        )
        return self._scalar("SELECT count(*) FROM conflicts") > 0

    def _write_rejects(
        self, exprs: _Expressions, malformed: pa.Table, conflicts: bool, outcome: ImportOutcome
    ) -> int:
        originals = []
        reserved = {"file", "row", "column", "value", "reason", "expected", "line"}
        for name in self.source.header:
            alias = f"{name} (original)" if name.lower() in reserved else name
            originals.append((quote(name), quote(alias)))
        raw_cols = ", ".join(f"{src} AS {dst}" for src, dst in originals)
        null_cols = ", ".join(f"NULL::VARCHAR AS {dst}" for _, dst in originals)
        file = literal(str(self.source.path))
        parts = [
            f"SELECT {file} AS file, __row AS row, struct_extract(__problem, 'column') AS \"column\", "
            "struct_extract(__problem, 'value') AS value, struct_extract(__problem, 'reason') AS reason, "
            f"struct_extract(__problem, 'expected') AS expected, NULL::VARCHAR AS line, {raw_cols} "
            "FROM rows WHERE __problem IS NOT NULL"
        ]
        if conflicts:
            id_cols = " / ".join(self.resolved.columns.get("id", ("event id",)))
            parts.append(
                f"SELECT {file}, r.__row, {literal(id_cols)}, c.event_id, 'duplicate_id', "
                "'a unique id: row ' || c.first_row || ' has the same id with different values', "
                f"NULL::VARCHAR, {', '.join(f'r.{src}' for src, _ in originals)} "
                "FROM rows r JOIN conflicts c ON r.__row = c.__row"
            )
        if malformed.num_rows:
            self.con.register("malformed", malformed)
            parts.append(
                f"SELECT {file}, line + {self.source.header_row - 1}, NULL, NULL, 'malformed_row', "
                "'a line with one field per column of the header: ' || error, text, "
                f"{null_cols} FROM malformed"
            )
        union = " UNION ALL ".join(parts)
        counted = self.con.execute(
            f"SELECT reason, count(*) FROM ({union}) GROUP BY reason ORDER BY reason"
        ).fetchall()
        outcome.reasons = {str(r): int(n) for r, n in counted}
        total = sum(outcome.reasons.values())
        if total:
            self.rejects_path.parent.mkdir(parents=True, exist_ok=True)
            self.con.execute(
                f"COPY (SELECT * FROM ({union}) ORDER BY row) TO {literal(self.rejects_path)} "
                "(FORMAT csv, HEADER true)"
            )
            outcome.rejects_path = self.rejects_path
        return total

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


@dataclass(frozen=True)
class _Check:
    reason: str
    column: str
    condition: str
    value: str
    expected: str


class _Expressions:
    """The SQL of one mapping over one file: parsing, kinds, checks, and event columns."""

    def __init__(self, run: _Run, *, typed: bool) -> None:
        self.run = run
        self.mapping = run.mapping
        self.resolved = run.resolved
        self.typed = typed

    def text(self, name: str) -> str:
        """A field (or named date) as trimmed text: the first of its columns with a value."""
        cols = self.resolved.columns.get(name) or self.resolved.dates.get(name) or ()
        parts = [f"nullif(trim(CAST({quote(c)} AS VARCHAR)), '')" for c in cols]
        if not parts:
            return "NULL::VARCHAR"
        return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"

    def date_value(self, name: str) -> str:
        cols = self.resolved.dates.get(name, ())
        if not cols:
            return "NULL::TIMESTAMPTZ"
        if self.typed:
            parts = [quote(c) for c in cols]
            return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
        formats = ", ".join(literal(f) for f in (*self.mapping.date_formats, *DEFAULT_DATE_FORMATS))
        text = f"__dt_{name}"
        return (
            f"coalesce(try_cast({text} AS TIMESTAMPTZ), "
            f"CAST(try_strptime({text}, [{formats}]) AS TIMESTAMPTZ))"
        )

    def amount_value(self) -> str:
        if "amount" not in self.resolved.columns:
            return "NULL::DOUBLE"
        if self.typed:
            cols = [quote(c) for c in self.resolved.columns["amount"]]
            return cols[0] if len(cols) == 1 else f"coalesce({', '.join(cols)})"
        stripped = r"regexp_replace(__amount_text, '[A-Za-z$€£¥₹\s'']', '', 'g')"
        cleaned = (
            f"CASE WHEN regexp_full_match({stripped}, '[+-]?[0-9][0-9.,]*') "
            "THEN try_cast({} AS DOUBLE) END"
        )
        if self.mapping.decimal == ",":
            # 1.234,50: dots group thousands, the comma is the decimal point.
            return cleaned.format(f"replace(replace({stripped}, '.', ''), ',', '.')")
        # Plain numbers first (1234.5, 1.5e6), then 1,234.50 and currency signs.
        number = cleaned.format(f"replace({stripped}, ',', '')")
        return f"coalesce(try_cast(__amount_text AS DOUBLE), {number})"

    def parsed(self, relation: str) -> str:
        """Each row of the text relation with its parsed fields beside the raw ones.

        ``__rep_text``, ``__d_<date>``, ``__amount``, and ``__kinds``: the events the row
        records as text, 'kind@date,kind@date' ('' for none, NULL when its kind is unknown).
        Text, not a list: a CASE yielding lists makes DuckDB lose the file's row order.
        """
        m = self.mapping
        fields = [
            f"{self.text('id')} AS __id",
            f"{self.text('rep')} AS __rep_text",
            f"{self.text('kind')} AS __kind_text",
            f"{self.text('outcome')} AS __outcome_text",
            f"{self.text('prospect')} AS __prospect",
            f"{self.text('source')} AS __source",
            f"{self.text('amount')} AS __amount_text",
            *(f"{self.text(d)} AS __dt_{d}" for d in m.used_dates()),
        ]
        step1 = f"SELECT *, {', '.join(fields)} FROM ({relation})"
        key, outcome = "lower(__kind_text)", "lower(__outcome_text)"
        step2 = [
            f"{self.amount_value()} AS __amount",
            *(f"{self.date_value(d)} AS __d_{d}" for d in m.used_dates()),
            f"{self._kinds_case(key, outcome)} AS __kinds",
        ]
        # No join here: a join would lose the file's order, which gives rows their numbers.
        return f"SELECT *, {', '.join(step2)} FROM ({step1})"

    def _kinds_case(self, key: str, outcome: str, part: str = "") -> str:
        """The events a row records: 'kind@date,...' (or, with ``part``, the one kind or date)."""
        m = self.mapping

        def value(events: tuple[EventSpec, ...] | None) -> str:
            if events is None:
                return "NULL::VARCHAR"
            if part == "kind":
                return literal(events[0].kind)
            if part == "date":
                return literal(events[0].date)
            return _spec_list(events)

        if m.direct:
            kinds = ", ".join(literal(k) for k in m.kinds)
            kind = f"replace({key}, ' ', '_')"
            result = {
                "kind": kind,
                "date": literal(m.direct_date),
                "": f"{kind} || '@{m.direct_date}'",
            }[part]
            # list_contains, not IN: DuckDB turns a long IN list into a join, which loses the
            # file's row order that the checked path numbers rows by.
            return (
                f"CASE WHEN list_contains([{kinds}], {kind}) THEN {result} ELSE {value(None)} END"
            )
        branches = []
        for rule in sorted(m.rules, key=lambda r: not r.has_outcome):
            if rule.has_outcome:
                kind_value, _, result_value = rule.key.partition(OUTCOME_SEPARATOR)
                test = f"{key} = {literal(kind_value)} AND {outcome} = {literal(result_value)}"
            else:
                test = f"{key} = {literal(rule.key)}"
            branches.append(f"WHEN {test} THEN {value(rule.events)}")
        if not branches:
            return value(m.default)  # every row records the same events
        return f"CASE {' '.join(branches)} ELSE {value(m.default)} END"

    def fast_select(self, relation: str) -> str:
        """The events of a file whose rows each record one event; any doubtful row raises an error.

        Lean on purpose (it runs over every row of the largest files): typed columns as
        read, no lists, byte lengths. A row it refuses is judged again by the checked path.
        """
        m, r = self.mapping, self.resolved
        dates = m.used_dates()

        def raw(name: str) -> str:
            # As read: values needing a trim, or empty strings, send the file to the checked path.
            cols = [f"CAST({quote(c)} AS VARCHAR)" for c in r.columns.get(name, ())]
            if not cols:
                return "NULL::VARCHAR"
            return (
                cols[0]
                if len(cols) == 1
                else f"coalesce({', '.join(f'nullif({c}, {EMPTY})' for c in cols)})"
            )

        key = raw("kind") if m.direct else f"lower({raw('kind')})"
        inner = [
            f"{raw('id')} AS __id",
            f"{raw('rep')} AS __rep_text",
            f"{key} AS __key",
            f"lower({raw('outcome')}) AS __outcome",
            f"{raw('prospect')} AS __prospect",
            f"{raw('source')} AS __source",
            f"{self.amount_value()} AS __amount",
            *(f"{self.date_value(d)} AS __d_{d}" for d in dates),
        ]
        if m.direct:
            kind, date = "__key", literal(m.direct_date)
            unknown = f"__key NOT IN ({', '.join(literal(k) for k in m.kinds)})"
        else:
            kind = self._kinds_case("__key", "__outcome", part="kind")
            date = self._kinds_case("__key", "__outcome", part="date")
            unknown = "__kind IS NULL"
        middle = [f"{kind} AS __kind", f"{date} AS __date", "p.__rep_text AS __rep"]
        at = (
            f"__d_{dates[0]}"
            if len(dates) == 1
            else (
                "CASE "
                + " ".join(f"WHEN __date = {literal(d)} THEN __d_{d}" for d in dates)
                + " END"
            )
        )
        bad = [
            "__rep_text IS NULL",
            "__key IS NULL" if m.default is None else "false",
            unknown,
            f"{at} IS NULL",
            f"{at} > {self.run.now_sql}",
            "__amount < 0",
        ]
        if "id" in r.columns:
            bad.append("__id IS NULL")
        for v in ("__id", "__rep_text", "__prospect", "__source", "__key"):
            bad += [
                f"strlen({v}) > {MAX_VALUE_CHARS}",
                f"{v} = {EMPTY}",
                f"starts_with({v}, ' ')",
                f"ends_with({v}, ' ')",
            ]
        return (
            f"SELECT {self.event_columns(at=at)} FROM ("
            f"SELECT p.*, {', '.join(middle)} FROM (SELECT {', '.join(inner)} FROM ({relation})) p) "
            f"WHERE CASE WHEN {' OR '.join(bad)} THEN error('a row needs checking') ELSE true END"
        )

    def checks(self) -> list[_Check]:
        m, r = self.mapping, self.resolved
        checks: list[_Check] = []

        def columns(name: str) -> str:
            return " / ".join(r.columns.get(name) or r.dates.get(name) or (name,))

        if "id" in r.columns:
            checks.append(
                _Check("missing_value", columns("id"), "__id IS NULL", "NULL", "an id in every row")
            )
        checks.append(
            _Check(
                "missing_value",
                columns("rep"),
                "__rep_text IS NULL",
                "NULL",
                "the rep's name, email or key",
            )
        )
        for name in TEXT_FIELDS:
            if name in r.columns:
                value = "__rep_text" if name == "rep" else f"__{name}"
                checks.append(
                    _Check(
                        "value_too_long",
                        columns(name),
                        f"length({value}) > {MAX_VALUE_CHARS}",
                        f"left({value}, 100) || '…'",
                        f"at most {MAX_VALUE_CHARS} characters",
                    )
                )
        if m.needs_kind_column() and m.default is None:
            checks.append(
                _Check(
                    "missing_value",
                    columns("kind"),
                    "__kind_text IS NULL",
                    "NULL",
                    "a value in every row",
                )
            )
        if m.direct:
            expected = "an event kind: " + ", ".join(m.kinds)
        else:
            keys = [rule.key for rule in m.rules]
            expected = "one of: " + ", ".join(keys) + " (the mapping's [kinds])"
        value = (
            "__kind_text"
            if "outcome" not in r.columns
            else (f"__kind_text || coalesce('{OUTCOME_SEPARATOR}' || __outcome_text, '')")
        )
        checks.append(_Check("unknown_kind", columns("kind"), "__kinds IS NULL", value, expected))
        formats = f" (or {', '.join(m.date_formats)})" if m.date_formats else ""
        for date in m.used_dates():
            needed = self._needs(date)
            col = columns(date)
            checks.append(
                _Check(
                    "missing_value",
                    col,
                    f"{needed} AND __dt_{date} IS NULL",
                    "NULL",
                    f"a date ({date}) for this row's events",
                )
            )
            checks.append(
                _Check(
                    "bad_date",
                    col,
                    f"{needed} AND __dt_{date} IS NOT NULL AND __d_{date} IS NULL",
                    f"__dt_{date}",
                    f"a date like 2024-03-15 or 2024-03-15 14:30{formats}",
                )
            )
            checks.append(
                _Check(
                    "future_date",
                    col,
                    f"{needed} AND __d_{date} > {self.run.now_sql}",
                    f"CAST(__d_{date} AS VARCHAR)",
                    f"a date not after {self.run.rules.now:%Y-%m-%d} (the data has not happened yet)",
                )
            )
        if "amount" in r.columns:
            checks.append(
                _Check(
                    "bad_number",
                    columns("amount"),
                    "__amount_text IS NOT NULL AND __amount IS NULL",
                    "__amount_text",
                    "a number like 1234.50",
                )
            )
            checks.append(
                _Check(
                    "negative_amount",
                    columns("amount"),
                    "__amount < 0",
                    "CAST(__amount AS VARCHAR)",
                    "an amount of 0 or more",
                )
            )
        return checks

    def unknown_rep(self) -> str:
        """The problem struct of a row whose rep the roster does not know."""
        column = " / ".join(self.resolved.columns["rep"])
        return _problem(
            _Check(
                "unknown_rep",
                column,
                "true",
                "r.__rep_text",
                "a rep of the roster (load it with: backplan roster FILE), or import with --add-reps",
            )
        )

    def _needs(self, date: str) -> str:
        m = self.mapping
        if m.direct:
            return "__kinds IS NOT NULL"
        # Date names are lower-case words and kinds hold neither '@' nor ',': unambiguous.
        return f"contains(__kinds || ',', {literal('@' + date + ',')})"

    def problem(self) -> str:
        """The row's first problem as a struct (reason, column, value, expected), or NULL."""
        whens = [f"WHEN {c.condition} THEN {_problem(c)}" for c in self.checks()]
        return f"CASE {' '.join(whens)} ELSE NULL END"

    def event_columns(self, spec: str = "", at: str = "") -> str:
        """The canonical event columns for the event named by ``spec`` ('kind@date').

        Without ``spec`` (the fast path): the row's ``__kind``, happening at ``at``.
        """
        m = self.mapping
        kind = f"split_part({spec}, '@', 1)" if spec else "__kind"
        date = f"split_part({spec}, '@', 2)"
        dates = m.used_dates()
        if not at and len(dates) == 1:
            at = f"__d_{dates[0]}"
        elif not at:
            whens = " ".join(f"WHEN {date} = {literal(d)} THEN __d_{d}" for d in dates)
            at = f"CASE {whens} END"
        if "id" in self.resolved.columns:
            event_id = "__id" if m.direct else f"__id || ':' || {kind}"
        else:
            content = (
                f"concat_ws('|', __rep_text, epoch_us({at}), {kind}, coalesce(__prospect, ''), "
                "coalesce(CAST(__amount AS VARCHAR), ''), coalesce(__source, ''))"
            )
            event_id = f"'h' || md5({content})"
        if m.amount_kinds is None:
            amount = "__amount"
        else:
            kinds = ", ".join(literal(k) for k in sorted(m.amount_kinds))
            amount = f"CASE WHEN {kind} IN ({kinds}) THEN __amount END"
        return (
            f'{event_id} AS event_id, __rep AS rep, {at} AS "at", {kind} AS kind, '
            f"__prospect AS prospect, CAST({amount} AS DOUBLE) AS amount, __source AS source"
        )


def _problem(check: _Check) -> str:
    return (
        f"{{'reason': {literal(check.reason)}, 'column': {literal(check.column)}, "
        f"'value': CAST({check.value} AS VARCHAR), 'expected': {literal(check.expected)}}}"
    )


def _spec_list(events: tuple[EventSpec, ...]) -> str:
    return literal(",".join(str(e) for e in events))


def _clear(folder: Path) -> None:
    for path in folder.glob("*"):
        path.unlink(missing_ok=True)


__all__ = ["REASONS", "ImportOutcome", "ImportRules", "import_source"]
