"""A mapping proposed for an export nobody has mapped yet: ``backplan mappings suggest FILE``.

The columns are recognised by their names (owner, stage, close date, ...) and by
what a sample of their values looks like (unique ids, dates and their format,
amounts like ``$1,250.00``, a few repeated owners, won/lost stage names, inbound
and outbound). The result is a mapping TOML with a comment on every choice and
on everything it could not decide; for the usual calls, meetings and deals
exports of Salesforce, HubSpot, Pipedrive and Zoho it imports as written.

    >>> header = ["Deal ID", "Deal Owner", "Stage", "Created", "Close Date", "Amount"]
    >>> rows = [["D1", "Ana", "Closed Won", "2024-03-01", "2024-03-20", "$1,250.00"]]
    >>> "kind = \\"Stage\\"" in suggest_mapping(header, rows, name="deals.csv").toml
    True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from backplan.events import export_columns as ec
from backplan.events.export_columns import Column, DateColumn, connected, shown


@dataclass
class Suggestion:
    """A mapping TOML for an export, and what it decided."""

    kind: str
    toml: str
    chosen: dict[str, str] = field(default_factory=dict)
    undecided: list[str] = field(default_factory=list)


def suggest_mapping(
    header: Sequence[str],
    rows: Sequence[Sequence[str | None]],
    *,
    kind: str | None = None,
    name: str = "the export",
) -> Suggestion:
    """A mapping TOML for a file with ``header`` whose first rows are ``rows``."""
    columns = [
        Column(h, [(r[i] or "").strip() if i < len(r) else "" for r in rows])
        for i, h in enumerate(header)
    ]
    return _Suggester(columns, kind, name).run()


class _Suggester:
    def __init__(self, columns: list[Column], kind: str | None, name: str) -> None:
        self.columns = columns
        self.name = name
        if kind is None:
            self.kind, self.kind_reason = ec.guess_export_kind(columns)
        else:
            self.kind, self.kind_reason = kind, "as asked (--kind)"
        self.used: set[str] = set()
        self.lines: dict[str, tuple[str, str]] = {}
        """[columns] field → (TOML value, comment)."""
        self.dates: dict[str, tuple[str, str]] = {}
        self.kinds: list[tuple[str, str, str]] = []
        """[kinds] lines: key, events, comment."""
        self.undecided: list[str] = []
        self.formats: dict[str, str] = {}
        self.optional: list[str] = []
        self.decimal = "."
        self.amount_kinds = False
        self.date_columns = self._date_columns()

    def _date_columns(self) -> dict[str, DateColumn]:
        found: dict[str, DateColumn] = {}
        for c in self.columns:
            if c.named(r"\bid\b|amount|value|duration|probability|number|count"):
                continue
            ok, fmt = ec.detect_date_format(c.values)
            if ok and not all(v.replace(".", "").isdigit() for v in c.filled):
                found[c.name] = DateColumn(c, fmt)
        return found

    # -- finding columns -----------------------------------------------------------

    def pick(
        self, pattern: str, *, exclude: str = "", among: Sequence[Column] = ()
    ) -> Column | None:
        for c in among or self.columns:
            if c.name in self.used or not c.filled:
                continue
            if c.named(pattern) and not (exclude and c.named(exclude)):
                return c
        return None

    def pick_all(self, patterns: Sequence[str], exclude: str = "") -> list[Column]:
        found: list[Column] = []
        for pattern in patterns:
            c = self.pick(pattern, exclude=exclude)
            if c is not None and c not in found:
                found.append(c)
                self.used.add(c.name)
        return found

    def set(self, name: str, columns: Sequence[Column], comment: str) -> None:
        for c in columns:
            self.used.add(c.name)
        value = (
            _toml(columns[0].name)
            if len(columns) == 1
            else "[" + ", ".join(_toml(c.name) for c in columns) + "]"
        )
        self.lines[name] = (value, comment)

    def run(self) -> Suggestion:
        self.find_id()
        self.find_rep()
        self.find_prospect()
        self.find_amount()
        self.find_source()
        {
            "calls": self.calls,
            "meetings": self.meetings,
            "deals": self.deals,
            "leads": self.leads,
        }[self.kind]()
        return Suggestion(
            self.kind,
            self.render(),
            {k: v for k, (v, _) in {**self.lines, **self.dates}.items()},
            self.undecided,
        )

    def find_id(self) -> None:
        own = {
            "calls": r"call|activity|task|engagement",
            "meetings": r"meeting|event|activity|engagement",
            "deals": r"deal|opportunit",
            "leads": r"lead",
        }[self.kind]
        foreign = r"associated|contact|account|company|owner|user|organi[sz]ation|person|pipeline|campaign|parent|manager"
        if self.kind != "leads":
            foreign += r"|lead"
        candidates = [
            c
            for c in self.columns
            if c.named(r"(^|\b)(record )?id$|\bid\b|^key$") and not c.named(foreign)
        ]
        candidates.sort(
            key=lambda c: (not c.named(own), not c.named(r"^(record )?id$"), not c.unique())
        )
        if candidates and candidates[0].unique():
            self.set(
                "id",
                [candidates[0]],
                "unique in every row sampled: re-imports recognise each record",
            )
            return
        if candidates:
            self.set(
                "id",
                [candidates[0]],
                "check: its values repeat in the sample; an id must name one record",
            )
            return
        self.undecided.append(
            "no id column: each event's id will be a hash of its content; rows that are "
            "exactly alike become one event (the import reports them)"
        )

    def find_rep(self) -> None:
        owner = self.pick_all(
            [
                r"(deal|opportunity|call|meeting|activity|task|lead|record|hubspot|contact) owner(?! id)",
                r"^owner( name)?$",
                r"assigned",
                r"(sales ?rep|salesperson|sales agent|agent|^rep$|^user$|host|organi[sz]er)",
                r"owner(?! id)",
            ],
            exclude=r"\bid\b|email",
        )
        fallback = self.pick_all([r"created by|creator"], exclude=r"\bid\b")
        chosen = owner[:1] + fallback[:1]
        if not chosen:
            emails = [
                c
                for c in self.columns
                if c.name not in self.used
                and c.filled
                and all(ec.EMAIL.match(v) for v in c.filled)
                and len(c.distinct) <= max(1, len(c.filled) // 2)
            ]
            chosen = emails[:1]
        if not chosen:
            self.lines["rep"] = (
                '{ value = "team" }',
                "could not decide: no owner column found; name the column of the rep who did "
                'it, or keep one value for every row (rep = { value = "marketing" })',
            )
            self.undecided.append("the owner (rep) column")
            return
        reps = len(chosen[0].distinct)
        comment = f"the owner: {reps} different value{'s' if reps != 1 else ''} sampled"
        if len(chosen) > 1:
            comment += f"; where it is empty, {chosen[1].name!r}"
        if all(ec.EMAIL.match(v) for v in chosen[0].filled):
            comment += "; emails: the roster matches reps by email"
        self.set("rep", chosen, comment)

    def find_prospect(self) -> None:
        found = self.pick_all(
            [
                r"associated contact",
                r"contact( person| name)?$|^person",
                r"^(name|full name)$",
                r"associated compan|account( name)?$|compan(y|ies)( name)?$|organi[sz]ation( name)?$",
                r"prospect|customer|lead name|related to|what|who",
            ],
            exclude=r"owner|\bid\b|email|phone|source|type",
        )
        if found:
            self.set("prospect", found[:2], "the contact or account (the first non-empty of these)")
            self.optional.append("prospect")

    def find_amount(self) -> None:
        if self.kind != "deals":
            return
        c = self.pick(r"amount|value|revenue|price|worth", exclude=r"probab|currency|\bid\b")
        if c is None:
            c = next(
                (
                    x
                    for x in self.columns
                    if x.name not in self.used
                    and x.amounts()
                    and any(re.search(r"[$€£,.]", v) for v in x.filled)
                ),
                None,
            )
        if c is None:
            self.undecided.append("no amount column: won deals carry no value")
            return
        if not c.amounts():
            self.set("amount", [c], "check: some sampled values are not numbers")
        else:
            comma = [v for v in c.filled if re.search(r"\d,\d{1,2}$", v)]
            note = "amounts like " + repr(c.filled[0])
            if comma and len(comma) == len([v for v in c.filled if re.search(r"[.,]\d{1,2}$", v)]):
                self.decimal = ","
                note += '; the comma is the decimal point (decimal = ",")'
            self.set("amount", [c], note)
        self.optional.append("amount")

    def find_source(self) -> None:
        found = self.pick_all(
            [r"lead source|original source|source type", r"source|campaign|channel"],
            exclude=r"\bid\b|drill|data",
        )
        if found:
            self.set("source", found[:1], "the lead source or campaign")
            self.optional.append("source")

    def date(
        self, name: str, patterns: Sequence[str], comment: str, *, exclude: str = ""
    ) -> list[Column]:
        found: list[Column] = []
        for pattern in patterns:
            for d in self.date_columns.values():
                c = d.column
                if c.name in self.used or c in found:
                    continue
                if c.named(pattern) and not (exclude and c.named(exclude)):
                    found.append(c)
        if found:
            for c in found:
                self.used.add(c.name)
                fmt = self.date_columns[c.name].format
                if fmt:
                    self.formats[fmt] = c.filled[0]
            value = (
                _toml(found[0].name)
                if len(found) == 1
                else "[" + ", ".join(_toml(c.name) for c in found) + "]"
            )
            fmts = {self.date_columns[c.name].format or "ISO 8601" for c in found}
            self.dates[name] = (value, f"{comment}; dates read as {', '.join(sorted(fmts))}")
        return found

    def any_date(self, name: str, comment: str) -> list[Column]:
        rest = [d.column for d in self.date_columns.values() if d.column.name not in self.used]
        if not rest:
            return []
        c = rest[0]
        self.used.add(c.name)
        fmt = self.date_columns[c.name].format
        if fmt:
            self.formats[fmt] = c.filled[0]
        self.dates[name] = (_toml(c.name), f"check: {comment}; the only date column left")
        return [c]

    # -- per kind of export -----------------------------------------------------------

    def outcome_column(self, patterns: Sequence[str]) -> Column | None:
        for pattern in patterns:
            c = self.pick(pattern, exclude=r"\bid\b|date|time|notes?$|body|description")
            if c is not None and len(c.distinct) <= max(12, len(c.filled) // 3):
                return c
        return None

    def direction_column(self) -> Column | None:
        for c in self.columns:
            if c.name in self.used or not c.filled:
                continue
            values = set(c.filled)
            if all(ec.INBOUND.match(v) or ec.OUTBOUND.match(v) for v in values):
                return c
        return None

    def done_column(self) -> Column | None:
        for c in self.columns:
            if c.name in self.used or not c.filled:
                continue
            if c.named(r"done|completed$|status") and all(
                ec.DONE_TRUE.match(v) or ec.DONE_FALSE.match(v) for v in c.filled
            ):
                return c
        return None

    def calls(self) -> None:
        direction = self.direction_column()
        if direction is not None:
            self.used.add(direction.name)
        done = self.done_column()
        if done is not None:
            self.used.add(done.name)
        outcome = self.outcome_column([r"outcome|result|disposition", r"call status|^status$"])
        if outcome is not None:
            self.used.add(outcome.name)
        at = self.date(
            "at",
            [r"activity date|call date|call start|start", r"^date$|time|date"],
            "when the call happened",
            exclude=r"creat|modif|updat|due",
        )
        if not at:
            at = self.date(
                "at",
                [r"creat|due|date|time"],
                "when the call happened (check)",
                exclude=r"modif|updat",
            )
        if not at:
            self.any_date("at", "when the call happened")
        reached = [v for v in (outcome.distinct if outcome else {}) if connected(v)]
        if outcome is not None:
            self.lines["outcome" if direction or done else "kind"] = (
                _toml(outcome.name),
                f"the call's outcome: {shown(outcome)}",
            )
        if direction is not None:
            self.lines["kind"] = (
                _toml(direction.name),
                "the direction: an inbound call is no dial (the rep did not call)",
            )
            for way, events in (("outbound", ["dial"]), ("inbound", [])):
                values = [
                    v
                    for v in direction.distinct
                    if (ec.OUTBOUND if way == "outbound" else ec.INBOUND).match(v)
                ]
                for v in values:
                    for c in reached:
                        self.kinds.append(
                            (f"{v} / {c}", _events([*events, "connect"]), "reached: a conversation")
                        )
                    self.kinds.append(
                        (
                            v,
                            _events(events),
                            "not reached" if way == "outbound" else "inbound, not reached: nothing",
                        )
                    )
            self.kinds.append(("*", _events(["dial"]), "no direction given: a dial"))
        elif done is not None:
            self.lines["kind"] = (_toml(done.name), f"done or not: {shown(done)}")
            for v in done.distinct:
                if ec.DONE_TRUE.match(v):
                    for c in reached:
                        self.kinds.append(
                            (f"{v} / {c}", _events(["dial", "connect"]), "reached: a conversation")
                        )
                    self.kinds.append((v, _events(["dial"]), "done: a dial"))
            self.kinds.append(("*", "[]", "not done yet: nothing (import again later)"))
        elif outcome is not None:
            for c in reached:
                self.kinds.append((c, _events(["dial", "connect"]), "reached: a conversation"))
            self.kinds.append(("*", _events(["dial"]), "every other outcome: a dial"))
        else:
            self.kinds.append(("*", _events(["dial"]), "no outcome column: every call is a dial"))
            self.undecided.append("no outcome column: no call counts as a conversation (connect)")
        if outcome is not None and not reached:
            self.undecided.append(
                f"which outcomes of {outcome.name!r} mean the prospect was reached "
                f'({shown(outcome)}): add them under [kinds] with ["dial", "connect"]'
            )

    def meetings(self) -> None:
        done = self.done_column()
        if done is not None:
            self.used.add(done.name)
        outcome = self.outcome_column([r"outcome|result|status"])
        if outcome is not None:
            self.used.add(outcome.name)
        booked = self.date("booked", [r"creat|add time|booked"], "when the meeting was booked")
        held = self.date(
            "held",
            [r"start|meeting date|activity date|^date$|due date|scheduled|marked as done"],
            "when the meeting takes place",
            exclude=r"creat|modif|updat|end",
        )
        if not held:
            held = self.any_date("held", "when the meeting takes place")
        if not booked:
            self.dates["booked"] = self.dates["held"] if held else ('"YOUR DATE COLUMN"', "")
            self.undecided.append(
                "no creation date: a meeting counts as booked when it takes place"
            )
        column = outcome or done
        if column is None:
            self.kinds.append(
                (
                    "*",
                    _events(["meeting_booked@booked", "meeting_held@held"]),
                    "no outcome column: every meeting is booked and held (a future one is rejected until it happened)",
                )
            )
            self.undecided.append("no outcome column: meetings that did not happen count as held")
            return
        self.lines["kind"] = (_toml(column.name), f"the meeting's outcome: {shown(column)}")
        for v in column.distinct:
            if ec.NO_SHOW.search(v):
                self.kinds.append(
                    (
                        v,
                        _events(["meeting_booked@booked", "no_show@held"]),
                        "booked, the prospect did not come",
                    )
                )
            elif ec.HELD.search(v) or ec.DONE_TRUE.match(v):
                self.kinds.append(
                    (v, _events(["meeting_booked@booked", "meeting_held@held"]), "booked and held")
                )
        self.kinds.append(
            (
                "*",
                _events(["meeting_booked@booked"]),
                "scheduled, cancelled, rescheduled: booked only",
            )
        )

    def deals(self) -> None:
        stage = self.stage_column()
        opened = self.date(
            "opened",
            [r"creat|add time|engage|open"],
            "when the deal was opened",
            exclude=r"modif|updat",
        )
        closed = self.date(
            "closed",
            [r"won time|won date", r"lost time|lost date", r"clos"],
            "when the deal was won or lost",
            exclude=r"modif|updat|expected",
        )
        if not opened:
            opened = self.any_date("opened", "when the deal was opened")
        if stage is None:
            self.kinds.append(
                ("*", _events(["opp@opened"]), "no stage column: every deal is opened, none won")
            )
            self.undecided.append(
                "no stage or status column: won and lost deals cannot be told apart"
            )
            return
        self.lines["kind"] = (_toml(stage.name), f"the stage: {shown(stage)}")
        if not closed:
            self.dates["closed"] = self.dates.get("opened", ('"YOUR CLOSE DATE"', ""))
            self.undecided.append("no close date: won and lost deals close at their creation date")
        for v in stage.distinct:
            if ec.WON.search(v):
                self.kinds.append((v, _events(["opp@opened", "won@closed"]), "won"))
            elif ec.LOST.search(v):
                self.kinds.append((v, _events(["opp@opened", "lost@closed"]), "lost"))
        self.kinds.append(("*", _events(["opp@opened"]), "still open: opened only"))
        self.amount_kinds = True

    def stage_column(self) -> Column | None:
        best, score = None, 0
        for c in self.columns:
            if c.name in self.used or not c.filled:
                continue
            hits = sum(1 for v in c.filled if ec.WON.search(v) or ec.LOST.search(v))
            named = 1 if c.named(r"stage|status|outcome|result") else 0
            if hits and (hits, named) > (score, 0):
                best, score = c, hits
        if best is None:
            best = self.outcome_column([r"stage|status"])
        if best is not None:
            self.used.add(best.name)
        return best

    def leads(self) -> None:
        status = self.outcome_column([r"lead status|status|stage"])
        at = self.date(
            "at", [r"creat|add time|date"], "when the lead came in", exclude=r"modif|updat"
        )
        if not at:
            self.any_date("at", "when the lead came in")
        if status is None:
            self.kinds.append(
                (
                    "*",
                    _events(["sql"]),
                    "no status column: every lead counts as a sales-qualified lead (sql)",
                )
            )
            self.undecided.append("no lead status: every lead counts as qualified")
            return
        self.used.add(status.name)
        self.lines["kind"] = (_toml(status.name), f"the lead status: {shown(status)}")
        for v in status.distinct:
            if ec.QUALIFIED.search(v) and not ec.UNQUALIFIED.search(v):
                self.kinds.append((v, _events(["sql"]), "qualified: a sales-qualified lead"))
        self.kinds.append(("*", "[]", "not qualified (yet): nothing"))

    # -- the TOML ------------------------------------------------------------------

    def render(self) -> str:
        out = [
            f"# A mapping suggested for {self.name} ({self.kind}: {self.kind_reason}).",
            "# Each line says why it was chosen; lines starting with 'check' are guesses.",
            f"# Import with: backplan import {_shell(self.name)} --mapping THIS-FILE.toml",
        ]
        if self.undecided:
            out.append("# Not decided (read these):")
            out += [f"#   - {u}" for u in self.undecided]
        out += ["", f"label = {_toml(self.name + ' (suggested)')}  # the import log shows this"]
        optional = [o for o in self.optional if o in self.lines]
        if optional:
            out.append(f"optional = [{', '.join(_toml(o) for o in optional)}]  # may be empty")
        if self.formats:
            fmts = ", ".join(_toml(f) for f in self.formats)
            examples = ", ".join(repr(e) for e in self.formats.values())
            out.append(f"date_formats = [{fmts}]  # detected from values like {examples}")
        if self.decimal == ",":
            out.append('decimal = ","  # amounts like 1.234,50')
        if self.amount_kinds:
            out.append('amount_kinds = ["won", "lost"]  # the amount goes with the deal\'s result')
        out += ["", "[columns]"]
        for name in ("id", "rep", "kind", "outcome", "prospect", "amount", "source"):
            if name in self.lines:
                value, comment = self.lines[name]
                out.append(f"{name} = {value}" + (f"  # {comment}" if comment else ""))
        out += ["", "[dates]"]
        for name, (value, comment) in self.dates.items():
            out.append(f"{name} = {value}" + (f"  # {comment}" if comment else ""))
        out += ["", "[kinds]  # a value of the kind column -> the events it records"]
        for key, events, comment in self.kinds:
            out.append(f"{_toml(key)} = {events}  # {comment}")
        unused = [c.name for c in self.columns if c.name not in self.used and c.filled]
        if unused:
            out += ["", "# Columns not used: " + ", ".join(unused)]
        return "\n".join(out) + "\n"


def _events(kinds: Sequence[str]) -> str:
    return "[" + ", ".join(_toml(k) for k in kinds) + "]"


def _shell(name: str) -> str:
    return f'"{name}"' if re.search(r"\s", name) else name


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
