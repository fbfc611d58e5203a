"""Reading TOML definitions (funnels, rate sheets) with errors that point at the line.

The core takes plain dataclasses; this module is the boundary that reads
files, validates them with pydantic, and turns every problem into a
``DefinitionError`` naming the file, the line and the field.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backplan.core.errors import BackplanError, DefinitionError
from backplan.core.funnel import Channel, Funnel, Layer, Stage

KEY = r"^[a-z][a-z0-9_-]*$"


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


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """The parsed TOML and its text; syntax errors name the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError("file not found", file=str(path)) from None
    except UnicodeDecodeError:
        raise DefinitionError("not UTF-8 text; save it as UTF-8", file=str(path)) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as e:
        line = re.search(r"line (\d+)", str(e))
        raise DefinitionError(
            f"not valid TOML: {e}", file=str(path), line=int(line[1]) if line else None
        ) from None


def validate(spec: type[SpecT], data: dict[str, Any], text: str, file: str) -> SpecT:
    """``data`` checked against ``spec``; the first problem raises a DefinitionError."""
    try:
        return spec.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        loc = tuple(first["loc"])
        raise DefinitionError(
            _expected(first["msg"], first.get("input")),
            file=file,
            line=locate(text, loc),
            field=_dotted(loc),
        ) from None


def load_funnel(path: Path) -> Funnel:
    """A funnel from a TOML file (see ``backplan/defaults/funnels/outbound.toml``)."""
    data, text = read_toml(path)
    spec = validate(FunnelSpec, data, text, str(path))
    try:
        return spec.build()
    except BackplanError as e:
        raise DefinitionError(str(e), file=str(path)) from None


def locate(text: str, loc: Sequence[str | int]) -> int | None:
    """The 1-based line in ``text`` where the TOML field at ``loc`` is (or its table starts).

    ``("stages", 2, "kinds")`` is the ``kinds =`` line of the third ``[[stages]]``.
    """
    lines = text.splitlines()
    start, end, found = 0, len(lines), None
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
        key = re.compile(rf"^\s*\"?{re.escape(part)}\"?\s*=")
        hit = next((i for i in range(start, end) if key.match(lines[i])), None)
        if hit is None:
            return found
        found = hit + 1
    return found


def _is_header(line: str) -> bool:
    return line.lstrip().startswith("[")


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
