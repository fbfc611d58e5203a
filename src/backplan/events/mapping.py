"""Column mappings: how a CRM export's columns become canonical events.

A mapping is a TOML file. Shipped ones live in ``backplan/defaults/mappings``
(``events``, ``opportunities``, ``salesforce-tasks``, ``hubspot-calls``, ...);
a user writes their own the same way (see docs/import.md)::

    label = "Our dialer export"

    [columns]                  # a list names alternatives: the first one the file has
    id = "Call ID"
    rep = ["Agent", "Agent email"]
    kind = "Disposition"       # the value looked up in [kinds]
    prospect = "Lead ID"

    [dates]                    # named dates; a kind takes "at" unless it says kind@date
    at = "Started"

    [kinds]                    # value of the kind column -> the events it records
    Answered = ["dial", "connect"]
    "*" = ["dial"]             # any other value

Without a ``[kinds]`` table the kind column already holds event kinds
(``dial``, ``connect``, ...). Rows whose kinds list is empty are skipped.

A field may also be a table (see docs/import.md, "Values, value maps, lookups")::

    rep = { value = "marketing" }                           # the same value in every row
    rep = { columns = ["Owner", "Created By"] }             # the first non-empty, row by row
    source = { column = "Source", map = { "OnlineStore" = "Online Store" } }
    source = { lookup = "leads.csv", key = "Lead Id", column = "Lead Source" }

A lookup takes, from another file, the ``column`` of the row whose id
(``lookup_key``, by default the column named like ``key``) equals this row's
``key`` column: a deal's lead source from the lead it came from.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import Field

from backplan.core.errors import DefinitionError
from backplan.defaults.definitions import StrictSpec, locate, read_toml, validate
from backplan.events.errors import MissingColumns, UnknownMapping
from backplan.events.kinds import known_kinds

FIELDS: tuple[str, ...] = ("id", "rep", "kind", "outcome", "prospect", "amount", "source")
ANY = "*"
OUTCOME_SEPARATOR = " / "

Columns = str | list[str]


class FieldSpec(StrictSpec):
    """A field written as a table: columns, a constant, a value map, or a lookup."""

    column: str | None = None
    columns: list[str] | None = None
    value: str | None = None
    map: dict[str, str] = {}
    lookup: str | None = None
    key: str | None = None
    lookup_key: str | None = None


FieldValue = Columns | FieldSpec
# Words that give a column away when a file names it its own way (for the mapping skeleton).
HINTS: dict[str, tuple[str, ...]] = {
    "id": ("id", "key", "number"),
    "rep": ("owner", "agent", "assigned", "rep", "user", "seller", "salesperson"),
    "kind": ("type", "outcome", "disposition", "stage", "status", "result", "kind"),
    "outcome": ("outcome", "result", "disposition", "done", "status"),
    "prospect": ("contact", "account", "lead", "company", "prospect", "organization", "customer"),
    "amount": ("amount", "value", "revenue", "price"),
    "source": ("source", "campaign", "channel"),
    "date": ("date", "time", "start", "created", "when", "at"),
}


class ColumnsSpec(StrictSpec):
    id: FieldValue | None = None
    rep: FieldValue
    kind: FieldValue | None = None
    outcome: FieldValue | None = None
    prospect: FieldValue | None = None
    amount: FieldValue | None = None
    source: FieldValue | None = None


@dataclass(frozen=True)
class Lookup:
    """A field's value taken from another file: ``column`` of the row whose ``lookup_key``
    equals this row's ``key`` column."""

    file: str
    key: str
    column: str
    lookup_key: str


class MappingSpec(StrictSpec):
    label: str = ""
    description: str = ""
    columns: ColumnsSpec
    dates: dict[str, Columns] = Field(min_length=1)
    kinds: dict[str, list[str]] = {}
    optional: list[str] = []
    amount_kinds: list[str] = []
    date_formats: list[str] = []
    timezone: str = "UTC"
    decimal: Literal[".", ","] = "."
    rep_match: Literal["any", "key", "email", "name"] = "any"


@dataclass(frozen=True)
class EventSpec:
    """One event a row records: its kind and the named date it happens at."""

    kind: str
    date: str

    def __str__(self) -> str:
        return f"{self.kind}@{self.date}"


@dataclass(frozen=True)
class KindRule:
    """Rows whose kind value (and outcome) match ``key`` record ``events``."""

    key: str
    events: tuple[EventSpec, ...]

    @property
    def has_outcome(self) -> bool:
        return OUTCOME_SEPARATOR in self.key


@dataclass(frozen=True)
class Mapping:
    """A validated mapping, ready to be matched against a file's header."""

    name: str
    label: str
    columns: dict[str, tuple[str, ...]]
    dates: dict[str, tuple[str, ...]]
    rules: tuple[KindRule, ...] = ()
    default: tuple[EventSpec, ...] | None = None
    optional: frozenset[str] = frozenset()
    amount_kinds: frozenset[str] | None = None
    date_formats: tuple[str, ...] = ()
    timezone: str = "UTC"
    decimal: str = "."
    kinds: tuple[str, ...] = ()
    path: Path | None = None
    rep_match: str = "any"
    """What the rep column names a rep by: its roster ``key``, ``email``, ``name`` or ``any``."""
    values: dict[str, str] = field(default_factory=dict)
    """Fields with a constant (or a last fallback when their columns are empty)."""
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per field: lower-cased value in the file → the value stored (or looked up in [kinds])."""
    lookups: dict[str, Lookup] = field(default_factory=dict)

    @property
    def plain(self) -> bool:
        """No constants, value maps or lookups: the fast import path can read the columns as typed."""
        return not (self.values or self.value_maps or self.lookups)

    @property
    def direct(self) -> bool:
        """True when the kind column holds event kinds themselves (no [kinds] table)."""
        return not self.rules and self.default is None

    @property
    def direct_date(self) -> str:
        return "at" if "at" in self.dates else next(iter(self.dates))

    @property
    def one_event_per_row(self) -> bool:
        """Every row records exactly one event (or is rejected): the fast import path applies."""
        if self.direct:
            return True
        specs = [r.events for r in self.rules] + (
            [self.default] if self.default is not None else []
        )
        return all(len(s) == 1 for s in specs)

    def all_events(self) -> list[EventSpec]:
        if self.direct:
            return [EventSpec(k, self.direct_date) for k in self.kinds]
        out: list[EventSpec] = []
        for specs in [r.events for r in self.rules] + [self.default or ()]:
            out.extend(s for s in specs if s not in out)
        return out

    def used_dates(self) -> list[str]:
        used = {s.date for s in self.all_events()}
        return [d for d in self.dates if d in used]

    def needs_kind_column(self) -> bool:
        return self.direct or bool(self.rules)

    def required(self, name: str) -> bool:
        if name in self.optional:
            return False
        if name == "kind":
            return self.needs_kind_column()
        if name in self.dates:
            return name in self.used_dates()
        return name in self.columns

    def resolve(self, header: Sequence[str], file: str) -> ResolvedMapping:
        """The file's own column names for each field; MissingColumns if a required one is absent."""
        by_lower: dict[str, str] = {}
        for h in header:
            by_lower.setdefault(h.strip().lower(), h)
        found: dict[str, tuple[str, ...]] = {}
        missing: list[str] = []
        wanted = [(n, alts) for n, alts in self.columns.items()] + [
            (n, alts) for n, alts in self.dates.items() if n in self.used_dates()
        ]
        lookup_keys: dict[str, str] = {}
        for name, lookup in self.lookups.items():
            if lookup.key.lower() in by_lower:
                lookup_keys[name] = by_lower[lookup.key.lower()]
                found[name] = ()
            elif self.required(name):
                missing.append(name)
        for name, alternatives in wanted:
            if name in self.lookups:
                continue
            present = tuple(
                dict.fromkeys(by_lower[a.lower()] for a in alternatives if a.lower() in by_lower)
            )
            if present or name in self.values:
                found[name] = present
            elif self.required(name):
                missing.append(name)
        if missing:
            raise self._missing(missing, header, file)
        return ResolvedMapping(
            self,
            {k: v for k, v in found.items() if k in self.columns},
            {k: v for k, v in found.items() if k in self.dates},
            lookup_keys,
        )

    def _missing(self, missing: list[str], header: Sequence[str], file: str) -> MissingColumns:
        def wanted(name: str) -> str:
            if name in self.lookups:
                return f"{name} (the lookup key {self.lookups[name].key!r})"
            alts = self.columns.get(name) or self.dates.get(name) or ()
            return f"{name} ({' or '.join(repr(a) for a in alts)})"

        shown = ", ".join(repr(h) for h in header[:40]) + (" ..." if len(header) > 40 else "")
        message = (
            f"the mapping {self.name!r} needs columns this file does not have: "
            f"{'; '.join(wanted(m) for m in missing)}. The file's columns are: {shown}. "
            "If the file is right, write a mapping for it (a TOML file naming your columns, "
            "see docs/import.md) and run: backplan import FILE --mapping my-mapping.toml"
        )
        return MissingColumns(
            message, file=file, missing=missing, found=list(header), hint=self.skeleton(header)
        )

    def skeleton(self, header: Sequence[str]) -> str:
        """A mapping TOML for a file with ``header``, starting from this one; guesses marked."""
        lower = {h.lower(): h for h in header}

        def guess(name: str, alternatives: Sequence[str]) -> tuple[str, bool]:
            for a in alternatives:
                if a.lower() in lower:
                    return lower[a.lower()], True
            for word in HINTS.get(name, HINTS["date"] if name in self.dates else ()):
                for h in lower:
                    if re.search(rf"\b{word}", h):
                        return lower[h], False
            for a in alternatives:
                close = difflib.get_close_matches(a.lower(), list(lower), n=1, cutoff=0.6)
                if close:
                    return lower[close[0]], False
            return "YOUR COLUMN", False

        def line(name: str, alternatives: Sequence[str]) -> str:
            column, sure = guess(name, alternatives)
            note = "" if sure else "  # check this: a guess"
            return f"{name} = {_toml_str(column)}{note}"

        lines = [f'label = "{self.label or self.name} (adapted)"']
        if self.optional:
            lines.append(f"optional = [{', '.join(_toml_str(o) for o in sorted(self.optional))}]")
        lines += ["", "[columns]"]
        lines += [line(name, alts) for name, alts in self.columns.items()]
        lines += ["", "[dates]"]
        lines += [line(name, alts) for name, alts in self.dates.items()]
        if not self.direct:
            lines += ["", "[kinds]"]
            for rule in self.rules:
                specs = ", ".join(_toml_str(str(e)) for e in rule.events)
                lines.append(f"{_toml_str(rule.key)} = [{specs}]")
            if self.default is not None:
                lines.append(f'"*" = [{", ".join(_toml_str(str(e)) for e in self.default)}]')
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ResolvedMapping:
    """A mapping matched to one file: the file's columns for each field and date."""

    mapping: Mapping
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lookup_keys: dict[str, str] = field(default_factory=dict)
    """Per looked-up field: this file's column holding the other file's id."""

    def used_columns(self) -> list[str]:
        out: list[str] = []
        for cols in [*self.columns.values(), *self.dates.values(), self.lookup_keys.values()]:
            out.extend(c for c in cols if c not in out)
        return out

    def shown(self, name: str) -> str:
        """How a field's columns are named in a rejected row: 'Owner / Created By'."""
        if name in self.lookup_keys:
            lookup = self.mapping.lookups[name]
            return f"{self.lookup_keys[name]} → {lookup.file}: {lookup.column}"
        cols = self.columns.get(name) or self.dates.get(name) or ()
        if not cols and name in self.mapping.values:
            return f"{name} (the value {self.mapping.values[name]!r})"
        return " / ".join(cols) or name


def mappings_dir() -> Path:
    return Path(str(files("backplan.defaults") / "mappings"))


def mapping_names() -> list[str]:
    """The mappings shipped with backplan (``roster`` is the roster's own and not listed)."""
    return sorted(p.stem for p in mappings_dir().glob("*.toml") if p.stem != "roster")


def load_mapping(name: str, extra_kinds: Sequence[str] = ()) -> Mapping:
    """A shipped mapping by name, or the user's TOML file by path."""
    path = Path(name)
    if name in mapping_names():
        return _load_shipped(name, tuple(extra_kinds))
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise UnknownMapping(f"mapping file {name} not found")
        return read_mapping(path, extra_kinds)
    raise UnknownMapping(
        f"no mapping named {name!r}; shipped mappings are {', '.join(mapping_names())}, "
        "or give the path to your own mapping TOML file"
    )


@cache
def _load_shipped(name: str, extra_kinds: tuple[str, ...]) -> Mapping:
    return read_mapping(mappings_dir() / f"{name}.toml", extra_kinds)


def read_mapping(path: Path, extra_kinds: Sequence[str] = ()) -> Mapping:
    """Read and check a mapping TOML; problems raise DefinitionError with file, line and field."""
    data, text = read_toml(path)
    spec = validate(MappingSpec, data, text, str(path))
    kinds = known_kinds(extra_kinds)
    file = str(path)

    def fail(message: str, *loc: str | int) -> DefinitionError:
        return DefinitionError(
            message, file=file, line=locate(text, loc), field=".".join(map(str, loc))
        )

    columns: dict[str, tuple[str, ...]] = {}
    values: dict[str, str] = {}
    value_maps: dict[str, dict[str, str]] = {}
    lookups: dict[str, Lookup] = {}
    for name in FIELDS:
        value = getattr(spec.columns, name)
        if value is None:
            continue
        if not isinstance(value, FieldSpec):
            columns[name] = _alternatives(value)
            if not columns[name]:
                raise fail("give at least one column name", "columns", name)
            continue
        columns[name], constant, lookup = _field(value, name, fail)
        if constant is not None:
            values[name] = constant
        if lookup is not None:
            lookups[name] = lookup
        if value.map:
            value_maps[name] = {k.strip().lower(): v.strip() for k, v in value.map.items()}
    dates = {name: _alternatives(value) for name, value in spec.dates.items()}
    for name, alts in dates.items():
        if not re.match(r"^[a-z][a-z0-9_]*$", name):
            raise fail("date names are lower-case words (at, opened, closed ...)", "dates", name)
        if not alts:
            raise fail("give at least one column name", "dates", name)
    direct_date = "at" if "at" in dates else (next(iter(dates)) if len(dates) == 1 else None)

    def event(text_spec: str, key: str) -> EventSpec:
        kind, _, date = text_spec.strip().lower().partition("@")
        if kind not in kinds:
            raise fail(
                f"unknown event kind {kind!r}; known kinds: {', '.join(kinds)} "
                "(add more with the setting extra_kinds)",
                "kinds",
                key,
            )
        if date and date not in dates:
            raise fail(
                f"no date named {date!r} in [dates] (it has {', '.join(dates)})", "kinds", key
            )
        if not date:
            if direct_date is None:
                raise fail(
                    f"say which date {kind!r} happens at: {kind}@<date>, dates are "
                    f"{', '.join(dates)}",
                    "kinds",
                    key,
                )
            date = direct_date
        return EventSpec(kind, date)

    rules: list[KindRule] = []
    default: tuple[EventSpec, ...] | None = None
    for key, specs in spec.kinds.items():
        events = tuple(dict.fromkeys(event(s, key) for s in specs))
        if key.strip() == ANY:
            default = events
            continue
        rule = KindRule(_kind_key(key), events)
        if rule.has_outcome and "outcome" not in columns:
            raise fail("a 'value / outcome' key needs an outcome column in [columns]", "kinds", key)
        rules.append(rule)
    if (rules or not spec.kinds) and "kind" not in columns:
        raise fail(
            'name the column that holds the kind (or give only a "*" rule in [kinds])', "columns"
        )
    if not spec.kinds and direct_date is None:
        raise fail("name the events' date 'at' (or give a single date)", "dates")
    for name in spec.optional:
        if name not in columns and name not in dates:
            raise fail(f"{name!r} is neither a column nor a date of this mapping", "optional")
        if name == "rep":
            raise fail("rep cannot be optional: every event belongs to a rep", "optional")
    for kind in spec.amount_kinds:
        if kind not in kinds:
            raise fail(f"unknown event kind {kind!r}", "amount_kinds")
    try:
        zoneinfo.ZoneInfo(spec.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise fail(
            f"unknown time zone {spec.timezone!r} (e.g. UTC, Europe/Berlin)", "timezone"
        ) from None
    return Mapping(
        name=path.stem if path.parent == mappings_dir() else str(path),
        label=spec.label or path.stem,
        columns=columns,
        dates=dates,
        rules=tuple(rules),
        default=default,
        optional=frozenset(spec.optional),
        amount_kinds=frozenset(spec.amount_kinds) if spec.amount_kinds else None,
        date_formats=tuple(spec.date_formats),
        timezone=spec.timezone,
        decimal=spec.decimal,
        kinds=kinds,
        path=path,
        rep_match=spec.rep_match,
        values=values,
        value_maps=value_maps,
        lookups=lookups,
    )


FIELD_SYNTAX = (
    'write it as "Column", ["Column", "Other column"], { value = "constant" }, '
    '{ columns = ["Owner", "Created By"], map = { "OnlineStore" = "Online Store" } } or '
    '{ lookup = "leads.csv", key = "Lead Id", column = "Lead Source" }'
)


def _field(
    spec: FieldSpec, name: str, fail: Callable[..., DefinitionError]
) -> tuple[tuple[str, ...], str | None, Lookup | None]:
    """A field written as a table: its columns, its constant and its lookup, checked."""
    if spec.lookup is not None:
        if spec.columns is not None or spec.value is not None:
            raise fail(
                "a lookup takes key (this file's column with the id) and column (the other "
                f"file's column); no columns or value beside it: {FIELD_SYNTAX}",
                "columns",
                name,
            )
        if not spec.key or not spec.column:
            raise fail(
                "a lookup needs key (this file's column holding the other file's id) and "
                'column (the value to take from the other file), e.g. { lookup = "leads.csv", '
                'key = "Lead Id", column = "Lead Source" }',
                "columns",
                name,
            )
        lookup = Lookup(spec.lookup, spec.key, spec.column, spec.lookup_key or spec.key)
        return (), None, lookup
    if spec.key is not None or spec.lookup_key is not None:
        raise fail(
            f"key and lookup_key belong to a lookup = ... field: {FIELD_SYNTAX}", "columns", name
        )
    alternatives = _alternatives([*([spec.column] if spec.column else []), *(spec.columns or [])])
    if not alternatives and spec.value is None:
        raise fail(f"name a column or give a value: {FIELD_SYNTAX}", "columns", name)
    if name == "id" and spec.value is not None:
        raise fail("an id cannot be a constant (leave id out to hash each event)", "columns", name)
    if spec.value is not None and not spec.value.strip():
        raise fail("a value cannot be empty", "columns", name)
    return alternatives, spec.value.strip() if spec.value is not None else None, None


def _alternatives(value: Columns) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    return tuple(dict.fromkeys(i.strip() for i in items if i.strip()))


def _kind_key(text: str) -> str:
    """Kind values match case-insensitively, ignoring spaces around the outcome separator."""
    value, sep, outcome = text.partition(OUTCOME_SEPARATOR)
    value = " ".join(value.split()).lower()
    if not sep:
        return value
    return f"{value}{OUTCOME_SEPARATOR}{' '.join(outcome.split()).lower()}"


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
