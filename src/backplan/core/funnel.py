"""Funnels: ordered stages that count events, fed by one or more channels.

A funnel is data. Teams define their own (dials → conversations → meetings →
SQLs → deals, or calls → pitches → demos → opps → deals); the defaults ship as
TOML in ``backplan/defaults/funnels``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum

from backplan.core.errors import FunnelError, UnknownStage


class Layer(StrEnum):
    """The layers of the onion a sales leader peels, outside in (case S5)."""

    RESULTS = "results"
    PIPELINE = "pipeline"
    MEETINGS = "meetings"
    ACTIVITY = "activity"


ONION = (Layer.RESULTS, Layer.PIPELINE, Layer.MEETINGS, Layer.ACTIVITY)


@dataclass(frozen=True)
class Stage:
    """One step of a funnel.

    ``kinds`` are the event kinds it counts; ``tracks`` are kinds reported
    beside it without being counted (meetings held, no-shows). ``focus`` marks
    the controllable daily number a rep plans around; ``carries_value`` marks
    the stage whose events carry deal value (revenue objectives land there).
    ``layer`` places the stage in the onion (activity, meetings, pipeline,
    results); when not given, the funnel infers it from the stage's position.
    ``unit`` and ``plural`` name one and several units in sentences ("1 SQL",
    "12 SQLs"); ``bounded`` says the rate into this stage from the one above is a true
    conversion, so it cannot exceed 1. ``minutes`` is the effort one unit
    takes, used to weigh activity saved across stages.
    """

    key: str
    label: str
    kinds: tuple[str, ...]
    unit: str = ""
    plural: str = ""
    focus: bool = False
    carries_value: bool = False
    tracks: tuple[str, ...] = ()
    bounded: bool = True
    minutes: float = 0.0
    layer: Layer | None = None

    def __post_init__(self) -> None:
        if not self.plural:
            object.__setattr__(self, "plural", self.key.replace("_", " "))
        if not self.unit:
            singular = self.plural[:-1] if self.plural.endswith("s") else self.plural
            object.__setattr__(self, "unit", singular)


@dataclass(frozen=True)
class Channel:
    """A way of reaching prospects (calls, emails, social messages) and the stages it feeds."""

    key: str
    label: str
    kinds: tuple[str, ...]
    feeds: tuple[str, ...]


@dataclass(frozen=True)
class Conversion:
    """The step from one stage to the next; its rate is written ``to/from``."""

    source: Stage
    target: Stage

    @property
    def key(self) -> str:
        return f"{self.target.key}/{self.source.key}"

    @property
    def label(self) -> str:
        return f"{self.source.label} → {self.target.label}"

    @property
    def short(self) -> str:
        """``dial → conversation``: compact, for tables."""
        return f"{self.source.unit} → {self.target.unit}"


@dataclass(frozen=True)
class Funnel:
    """An ordered list of stages, top (most activity) first.

    >>> f = Funnel("mini", "Mini", (Stage("dials", "Dials", ("dial",)),
    ...                             Stage("sqls", "SQLs", ("sql",), focus=True)))
    >>> [c.key for c in f.conversions()]
    ['sqls/dials']
    """

    key: str
    label: str
    stages: tuple[Stage, ...]
    channels: tuple[Channel, ...] = ()
    description: str = ""
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.stages) < 2:
            raise FunnelError(f"funnel {self.key!r} needs at least two stages to convert between")
        index: dict[str, int] = {}
        for i, stage in enumerate(self.stages):
            if stage.key in index:
                raise FunnelError(f"funnel {self.key!r} names stage {stage.key!r} twice")
            index[stage.key] = i
        object.__setattr__(self, "_index", index)
        focus = [s.key for s in self.stages if s.focus]
        if len(focus) != 1:
            raise FunnelError(
                f"funnel {self.key!r} must mark exactly one stage as focus (found {focus or 'none'})"
            )
        valued = [s.key for s in self.stages if s.carries_value]
        if len(valued) > 1:
            raise FunnelError(f"funnel {self.key!r} has several value stages: {valued}")
        for channel in self.channels:
            for fed in channel.feeds:
                self.stage(fed)
        object.__setattr__(self, "stages", tuple(self._with_layers()))

    def _with_layers(self) -> Iterator[Stage]:
        """Stages with a layer each: as declared, else activity up to the focus,
        meetings just below it, results at the value stage (or the last), pipeline between."""
        focus = self.index(self.focus.key)
        last = next((i for i, s in enumerate(self.stages) if s.carries_value), len(self.stages) - 1)
        for i, stage in enumerate(self.stages):
            if stage.layer is not None:
                yield stage
                continue
            if i <= focus:
                layer = Layer.ACTIVITY
            elif i == focus + 1 and i < last:
                layer = Layer.MEETINGS
            elif i >= last:
                layer = Layer.RESULTS
            else:
                layer = Layer.PIPELINE
            yield replace(stage, layer=layer)

    def __iter__(self) -> Iterator[Stage]:
        return iter(self.stages)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.stages)

    @property
    def focus(self) -> Stage:
        return next(s for s in self.stages if s.focus)

    @property
    def value_stage(self) -> Stage | None:
        return next((s for s in self.stages if s.carries_value), None)

    def index(self, key: str) -> int:
        try:
            return self._index[key]
        except KeyError:
            raise UnknownStage(
                f"unknown stage {key!r} in funnel {self.key!r}; its stages are {', '.join(self.keys)}"
            ) from None

    def stage(self, key: str) -> Stage:
        return self.stages[self.index(key)]

    def conversions(self, down_to: str | None = None) -> list[Conversion]:
        """The conversions from the top down to stage ``down_to`` (default: the last stage)."""
        last = len(self.stages) - 1 if down_to is None else self.index(down_to)
        return [Conversion(self.stages[i], self.stages[i + 1]) for i in range(last)]

    def conversion(self, key: str) -> Conversion:
        """The conversion written ``to/from``, e.g. ``conversations/dials``."""
        target, sep, source = key.partition("/")
        if not sep:
            raise UnknownStage(f"a rate is written TO/FROM, e.g. {self.conversions()[0].key}")
        i, j = self.index(source), self.index(target)
        if j != i + 1:
            raise UnknownStage(
                f"{key!r} does not join two neighbouring stages of {self.key!r}; "
                f"its conversions are {', '.join(c.key for c in self.conversions())}"
            )
        return Conversion(self.stages[i], self.stages[j])
