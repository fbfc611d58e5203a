"""The DuckDB SQL of an import: how a mapping over a file becomes statements.

``Expressions`` builds, for one mapping over one file, the SQL that parses a row's
fields, names the events it records, finds its first problem and produces the
canonical event columns; the functions below build the statements an import run
executes around it (renaming reps, duplicate ids; the rejects file is built by
``events.rejects_sql``). Nothing here runs a statement: ``events.importer``
does, and reports progress while it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from backplan.core.bounds import EARLIEST
from backplan.events.mapping import OUTCOME_SEPARATOR, EventSpec, ResolvedMapping
from backplan.events.readers import literal, quote

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
EARLIEST_SQL = f"TIMESTAMPTZ '{EARLIEST.isoformat()} 00:00:00+00'"
"""Events before backplan's first day (``core/bounds.py``) are rejected as ``early_date``."""
EMPTY = "''"
PARQUET = "FORMAT parquet, DICTIONARY_SIZE_LIMIT 1024"
"""How an import writes Parquet. A column of few values (rep, kind, source) keeps its
dictionary; one of many (ids, prospects) is written plain at once instead of filling a
dictionary of thousands first and dropping it: about a sixth less CPU for the whole copy
of a CSV, for files about an eighth larger (docs/performance.md, Import)."""


@dataclass(frozen=True)
class Check:
    reason: str
    column: str
    condition: str
    value: str
    expected: str


class Expressions:
    """The SQL of one mapping over one file: parsing, kinds, checks, and event columns."""

    def __init__(self, resolved: ResolvedMapping, now: datetime, *, typed: bool) -> None:
        self.mapping = resolved.mapping
        self.resolved = resolved
        self.now = now
        # The latest moment an event may happen: now, give or take a time zone.
        self.now_sql = f"TIMESTAMPTZ {literal((now + FUTURE_TOLERANCE).isoformat())}"
        self.typed = typed

    def text(self, name: str) -> str:
        """A field (or named date) as trimmed text: the first of its columns with a value,
        else its constant; looked up in another file, and through its value map, if it says so.
        """
        m = self.mapping
        cols = self.resolved.columns.get(name) or self.resolved.dates.get(name) or ()
        parts = [f"nullif(trim(CAST({quote(c)} AS VARCHAR)), '')" for c in cols]
        if name in self.resolved.lookup_keys:
            key = f"nullif(trim(CAST({quote(self.resolved.lookup_keys[name])} AS VARCHAR)), '')"
            parts = [f"(SELECT v FROM {lookup_table(name)} WHERE k = {key})"]
        if name in m.values and name in self.resolved.columns:
            parts.append(literal(m.values[name]))
        if not parts:
            return "NULL::VARCHAR"
        value = parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
        if name in m.value_maps:
            whens = " ".join(
                f"WHEN {literal(k)} THEN {literal(v)}" for k, v in m.value_maps[name].items()
            )
            value = f"CASE lower({value}) {whens} ELSE {value} END"
        return value

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
            return spec_list(events)

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
            f"{at} > {self.now_sql}",
            f"{at} < {EARLIEST_SQL}",
            "NOT isfinite(__amount)",
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
        select = (
            f"SELECT {self.event_columns(at=at)} FROM ("
            f"SELECT p.*, {', '.join(middle)} FROM (SELECT {', '.join(inner)} FROM ({relation})) p)"
        )
        if self.checks_after_write:
            return select
        return f"{select} WHERE CASE WHEN {' OR '.join(bad)} THEN error('a row needs checking') ELSE true END"

    @property
    def checks_after_write(self) -> bool:
        """Whether the fast path checks the events it wrote rather than each row as it reads.

        So when the events are the file's values as read (the kind column holds kinds, every
        kind keeps its amount): a few aggregates over the written columns then cost about
        half of the same checks on every row while the CSV is parsed.
        """
        return self.mapping.direct and self.mapping.amount_kinds is None

    def fast_doubts(self, events: str) -> str:
        """One row over the events the fast path wrote: how many id hashes repeat, and whether
        an event needs the checked path (with ``checks_after_write``: the row checks as
        aggregates; reps and kinds are checked on their distinct values)."""
        repeated = "count(*) - count(DISTINCT hash(event_id))"
        if not self.checks_after_write:
            return f"SELECT {repeated}, false FROM {events}"
        doubts = [
            'count("at") < count(*)',
            f'min("at") < {EARLIEST_SQL}',
            f'max("at") > {self.now_sql}',
            "min(amount) < 0",
            "NOT isfinite(max(amount))",  # NaN sorts above infinity: max finds either
        ]
        if "id" in self.resolved.columns:
            doubts.append("count(event_id) < count(*)")
        for column in ("event_id", "prospect", "source"):
            doubts += [
                f"max(strlen({column})) > {MAX_VALUE_CHARS}",
                f"bool_or(ends_with({column}, ' '))",
                # The least value is below '!' when any value is empty or starts with a space.
                f"min({column}) < '!'",
            ]
        return f"SELECT {repeated}, coalesce({' OR '.join(doubts)}, false) FROM {events}"

    def checks(self) -> list[Check]:
        m, r = self.mapping, self.resolved
        checks: list[Check] = []

        def columns(name: str) -> str:
            return r.shown(name)

        if "id" in r.columns:
            checks.append(
                Check("missing_value", columns("id"), "__id IS NULL", "NULL", "an id in every row")
            )
        checks.append(
            Check(
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
                    Check(
                        "value_too_long",
                        columns(name),
                        f"length({value}) > {MAX_VALUE_CHARS}",
                        f"left({value}, 100) || '…'",
                        f"at most {MAX_VALUE_CHARS} characters",
                    )
                )
        if m.needs_kind_column() and m.default is None:
            checks.append(
                Check(
                    "missing_value",
                    columns("kind"),
                    "__kind_text IS NULL",
                    "NULL",
                    "a value in every row",
                )
            )
        if m.direct:
            expected = (
                "an event kind: "
                + ", ".join(m.kinds)
                + ' (or say what this value means in the mapping: kind = { column = "...", '
                'map = { "Call" = "dial" } }, or a [kinds] table)'
            )
        else:
            keys = [rule.key for rule in m.rules]
            expected = (
                "one of: "
                + ", ".join(keys)
                + ' (the mapping\'s [kinds]; add a line "<this value>" = ["dial"] to record it, '
                'or "*" = [] to skip every other value)'
            )
        value = (
            "__kind_text"
            if "outcome" not in r.columns
            else (f"__kind_text || coalesce('{OUTCOME_SEPARATOR}' || __outcome_text, '')")
        )
        checks.append(Check("unknown_kind", columns("kind"), "__kinds IS NULL", value, expected))
        formats = f" (or {', '.join(m.date_formats)})" if m.date_formats else ""
        for date in m.used_dates():
            needed = self._needs(date)
            col = columns(date)
            checks.append(
                Check(
                    "missing_value",
                    col,
                    f"{needed} AND __dt_{date} IS NULL",
                    "NULL",
                    f"a date ({date}) for this row's events",
                )
            )
            checks.append(
                Check(
                    "bad_date",
                    col,
                    f"{needed} AND __dt_{date} IS NOT NULL AND __d_{date} IS NULL",
                    f"__dt_{date}",
                    f"a date like 2024-03-15 or 2024-03-15 14:30{formats}",
                )
            )
            checks.append(
                Check(
                    "future_date",
                    col,
                    f"{needed} AND __d_{date} > {self.now_sql}",
                    f"CAST(__d_{date} AS VARCHAR)",
                    f"a date not after {self.now:%Y-%m-%d} (the data has not happened yet)",
                )
            )
            checks.append(
                Check(
                    "early_date",
                    col,
                    f"{needed} AND __d_{date} < {EARLIEST_SQL}",
                    f"CAST(__d_{date} AS VARCHAR)",
                    f"a date on or after {EARLIEST.isoformat()}",
                )
            )
        if "amount" in r.columns:
            checks.append(
                Check(
                    "bad_number",
                    columns("amount"),
                    "__amount_text IS NOT NULL AND __amount IS NULL",
                    "__amount_text",
                    "a number like 1234.50",
                )
            )
            checks.append(
                Check(
                    "non_finite_amount",
                    columns("amount"),
                    "NOT isfinite(__amount)",
                    "coalesce(__amount_text, CAST(__amount AS VARCHAR))",
                    "a finite amount like 1234.50 (not NaN, infinity or beyond 1e308)",
                )
            )
            checks.append(
                Check(
                    "negative_amount",
                    columns("amount"),
                    "__amount < 0",
                    "CAST(__amount AS VARCHAR)",
                    "an amount of 0 or more",
                )
            )
        return checks

    def unreachable_rep(self) -> str:
        """The problem struct of a row that would add a rep whose key holds '/'."""
        return problem_struct(
            Check(
                "unreachable_rep",
                self.resolved.shown("rep"),
                "true",
                "r.__rep_text",
                "a new rep's name without '/' (a rep's page is /reps/NAME); load them in the "
                "roster under another key, with this name as their name",
            )
        )

    def unknown_rep(self) -> str:
        """The problem struct of a row whose rep the roster does not know."""
        column = self.resolved.shown("rep")
        return problem_struct(
            Check(
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
        whens = [f"WHEN {c.condition} THEN {problem_struct(c)}" for c in self.checks()]
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


def lookup_table(name: str) -> str:
    """The table a field's lookup is registered as: ``k`` (the id), ``v`` (the value)."""
    return f"lookup_{name}"


def problem_struct(check: Check) -> str:
    return (
        f"{{'reason': {literal(check.reason)}, 'column': {literal(check.column)}, "
        f"'value': CAST({check.value} AS VARCHAR), 'expected': {literal(check.expected)}}}"
    )


def spec_list(events: tuple[EventSpec, ...]) -> str:
    return literal(",".join(str(e) for e in events))


EVENT_COLUMNS = 'event_id, rep, "at", kind, prospect, amount, source'
"""The canonical event columns, in the store's order."""


def rename_reps(staged: Path, target: Path) -> str:
    """Copy the staged events to ``target``, each rep named as ``rep_keys`` maps it (raw → rep)."""
    return (
        f'COPY (SELECT s.event_id, coalesce(k.rep, s.rep) AS rep, s."at", s.kind, s.prospect, '
        f"s.amount, s.source FROM read_parquet({literal(staged / '*.parquet')}) s "
        f"LEFT JOIN rep_keys k ON s.rep = k.raw) TO {literal(target / 'part-0.parquet')} "
        f"({PARQUET})"
    )


def repeated_hashes(relation: str) -> str:
    """How many event id hashes ``relation`` holds more than once (equal hashes are candidates)."""
    return (
        f"SELECT count(*) FROM (SELECT hash(event_id) AS h FROM {relation} "
        "GROUP BY h HAVING count(*) > 1)"
    )
