"""Reading TOML definitions (funnels, playbooks, rate sheets) with errors that point at the line.

The core takes plain dataclasses; this module is the boundary that reads
files, validates them with pydantic, and turns every problem into a
``DefinitionError`` naming the file, the line and the field.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from backplan.core.errors import BackplanError, DefinitionError
from backplan.core.funnel import Channel, Funnel, Layer, Stage
from backplan.core.playbook import Coaching, Kind, Playbook

KEY = r"^[a-z][a-z0-9_-]*$"
CONVERSION_KEY = r"^[a-z][a-z0-9_-]*/[a-z][a-z0-9_-]*$"


class StrictSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StageSpec(StrictSpec):
    key: str = Field(pattern=KEY)
    label: str = ""
    unit: str = ""
    plural: str = ""
    kinds: list[str] = Field(min_length=1)
    focus: bool = False
    carries_value: bool = False
    tracks: list[str] = []
    bounded: bool = True
    minutes: float = Field(default=0.0, ge=0)
    layer: Layer | None = None


class ChannelSpec(StrictSpec):
    key: str = Field(pattern=KEY)
    label: str = ""
    kinds: list[str] = Field(min_length=1)
    feeds: list[str] = Field(min_length=1)


class FunnelSpec(StrictSpec):
    key: str = Field(pattern=KEY)
    label: str = ""
    description: str = ""
    stages: list[StageSpec] = Field(min_length=2)
    channels: list[ChannelSpec] = []

    def build(self) -> Funnel:
        stages = tuple(
            Stage(
                key=s.key,
                label=s.label or s.key.replace("_", " ").capitalize(),
                kinds=tuple(s.kinds),
                unit=s.unit,
                plural=s.plural,
                focus=s.focus,
                carries_value=s.carries_value,
                tracks=tuple(s.tracks),
                bounded=s.bounded,
                minutes=s.minutes,
                layer=s.layer,
            )
            for s in self.stages
        )
        channels = tuple(
            Channel(c.key, c.label or c.key.capitalize(), tuple(c.kinds), tuple(c.feeds))
            for c in self.channels
        )
        return Funnel(self.key, self.label or self.key, stages, channels, self.description)


SpecT = TypeVar("SpecT", bound=BaseModel)


def read_text(path: Path) -> str:
    """A definition file's text; a missing or non-UTF-8 file raises a DefinitionError."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError("file not found", file=str(path)) from None
    except UnicodeDecodeError:
        raise DefinitionError("not UTF-8 text; save it as UTF-8", file=str(path)) from None


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """The parsed TOML and its text; syntax errors name the line."""
    text = read_text(path)
    return parse_toml(text, str(path)), text


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """TOML ``text`` parsed; a syntax error names ``source`` (a file, or e.g. ``playbook (edited)``)
    and the line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line = re.search(r"line (\d+)", str(e))
        raise DefinitionError(
            f"not valid TOML: {e}", file=source, line=int(line[1]) if line else None
        ) from None


def validate(spec: type[SpecT], data: dict[str, Any], text: str, file: str) -> SpecT:
    """``data`` checked against ``spec``; the first problem raises a DefinitionError."""
    try:
        return spec.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        loc = tuple(first["loc"])
        message = _expected(first["msg"], first.get("input"))
        if loc and loc[-1] == "[key]":  # a table name, not a field, is wrong
            loc = loc[:-1]
            message = f"the name {loc[-1]!r} is not a valid key: {message}"
        raise DefinitionError(
            message,
            file=file,
            line=locate(text, loc),
            field=_dotted(loc),
        ) from None


def load_funnel(path: Path) -> Funnel:
    """A funnel from a TOML file (see ``backplan/defaults/funnels/outbound.toml``)."""
    return funnel_from_text(read_text(path), str(path))


def funnel_from_text(text: str, source: str, *, key: str | None = None) -> Funnel:
    """A funnel from TOML ``text``; errors name ``source``, the line and the field.

    With ``key``, the text's own ``key`` must be that one (and is taken from it when absent).
    """
    data = parse_toml(text, source)
    if key is not None:
        given = data.setdefault("key", key)
        if given != key:
            raise DefinitionError(
                f"the funnel's key must be its name {key!r} (got {given!r}); "
                "change the key, or save it under that name",
                file=source,
                line=locate(text, ("key",)),
                field="key",
            )
    spec = validate(FunnelSpec, data, text, source)
    try:
        return spec.build()
    except BackplanError as e:
        raise DefinitionError(str(e), file=source) from None


StageKey = Annotated[str, StringConstraints(pattern=KEY)]
ConversionKey = Annotated[str, StringConstraints(pattern=CONVERSION_KEY)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class CoachingSpec(StrictSpec):
    """One playbook entry. In a file that extends another, every field is optional:
    the fields given replace the inherited ones, ``more_suggestions`` appends."""

    area: Text | None = None
    why: str | None = None
    suggestions: list[Text] | None = Field(default=None, min_length=1)
    more_suggestions: list[Text] = []


class PlaybookSpec(StrictSpec):
    include_defaults: bool = True
    conversions: dict[ConversionKey, CoachingSpec] = {}
    channels: dict[ConversionKey, CoachingSpec] = {}
    volume: dict[StageKey, CoachingSpec] = {}


_TABLES: tuple[tuple[str, Kind], ...] = (
    ("conversions", "conversion"),
    ("channels", "channel"),
    ("volume", "volume"),
)


def load_playbook(path: Path, base: Playbook | None = None) -> Playbook:
    """A playbook from a TOML file (see ``backplan/defaults/playbook.toml``).

    With ``base`` (the defaults), the file overrides or extends it entry by
    entry, unless it says ``include_defaults = false``.
    """
    return playbook_from_text(read_text(path), str(path), base)


def playbook_from_text(text: str, source: str, base: Playbook | None = None) -> Playbook:
    """A playbook from TOML ``text`` over ``base``, as ``load_playbook``; errors name ``source``."""
    data = parse_toml(text, source)
    spec = validate(PlaybookSpec, data, text, source)
    inherit = base if base is not None and spec.include_defaults else Playbook()
    tables: dict[str, dict[str, Coaching]] = {}
    for table, kind in _TABLES:
        merged = dict(getattr(inherit, table))
        for key, entry in getattr(spec, table).items():
            merged[key] = _coaching(kind, key, entry, merged.get(key), text, source, table)
        tables[table] = merged
    return Playbook(tables["conversions"], tables["channels"], tables["volume"])


def _coaching(
    kind: Kind,
    key: str,
    entry: CoachingSpec,
    inherited: Coaching | None,
    text: str,
    file: str,
    table: str,
) -> Coaching:
    area = entry.area or (inherited.area if inherited else None)
    suggestions = entry.suggestions or (list(inherited.suggestions) if inherited else None)
    for name, value in (("area", area), ("suggestions", suggestions)):
        if not value:
            raise DefinitionError(
                "this field is missing; a new entry needs area and suggestions",
                file=file,
                line=locate(text, (table, key)),
                field=f"{table}.{key}.{name}",
            )
    assert area is not None and suggestions is not None
    why = entry.why if entry.why is not None else (inherited.why if inherited else "")
    return Coaching(key, kind, area, why, (*suggestions, *entry.more_suggestions))


def locate(text: str, loc: Sequence[str | int]) -> int | None:
    """The 1-based line in ``text`` where the TOML field at ``loc`` is (or its table starts).

    ``("stages", 2, "kinds")`` is the ``kinds =`` line of the third ``[[stages]]``;
    ``("conversions", "sqls/meetings", "area")`` the ``area =`` line under
    ``[conversions."sqls/meetings"]``.
    """
    lines = text.splitlines()
    start, end, found = 0, len(lines), None
    tables: list[str] = []
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        if not isinstance(part, str):
            return found
        if parts and isinstance(nth := parts[0], int):
            parts.pop(0)
            headers = [i for i in range(start, end) if lines[i].strip() == f"[[{part}]]"]
            if nth >= len(headers):
                return found
            start = headers[nth]
            found = start + 1
            end = next((i for i in range(start + 1, end) if _is_header(lines[i])), end)
            start += 1
            continue
        tables.append(part)
        header = _table_header(lines, tables)
        if header is not None:
            found = header + 1
            if _header_path(lines[header]) == tables:
                start = header + 1
                end = next(
                    (i for i in range(start, len(lines)) if _is_header(lines[i])), len(lines)
                )
            continue
        key = re.compile(rf"^\s*\"?{re.escape(part)}\"?\s*=")
        hit = next((i for i in range(start, end) if key.match(lines[i])), None)
        if hit is None:
            return found
        found = hit + 1
    return found


def _is_header(line: str) -> bool:
    return line.lstrip().startswith("[")


def _table_header(lines: list[str], tables: list[str]) -> int | None:
    """The index of the ``[table]`` header for ``tables``, or of the first table under it."""
    exact = prefixed = None
    for i, line in enumerate(lines):
        path = _header_path(line)
        if path is None or path[: len(tables)] != tables:
            continue
        if path == tables:
            exact = i
            break
        prefixed = i if prefixed is None else prefixed
    return exact if exact is not None else prefixed


def _header_path(line: str) -> list[str] | None:
    """``[conversions."sqls/meetings"]`` → ``["conversions", "sqls/meetings"]``; None otherwise."""
    text = line.strip()
    if not text.startswith("[") or text.startswith("[["):
        return None
    parts, current, quote = [], "", ""
    for char in text[1:]:
        if quote:
            if char == quote:
                quote = ""
            else:
                current += char
        elif char in "\"'":
            quote = char
        elif char in ".]":
            parts.append(current.strip())
            current = ""
            if char == "]":
                return parts
        else:
            current += char
    return None


def _dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _expected(message: str, value: object) -> str:
    if message == "Field required":
        return "this field is missing"
    if isinstance(value, dict | list):
        return message
    return f"{message} (got {value!r})"
