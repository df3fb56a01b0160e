"""Per-server settings: what each one means, its allowed values, and how typed text becomes a value.

Stored as text per (server, key) so adding a setting needs no schema change; this module is the one
place that knows the keys. Their ranges and defaults come from :mod:`bot.core.quiz.limits`, shared with the
environment settings and the schema, so the model, the parsers and the "allowed" texts cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field

from bot.core.errors import InvalidInput
from bot.core.quiz import limits
from bot.core.quiz.limits import Range

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class ServerSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    questions: int = Field(default=limits.QUESTIONS.default, ge=limits.QUESTIONS.low, le=limits.QUESTIONS.high)
    seconds: int = Field(default=limits.SECONDS.default, ge=limits.SECONDS.low, le=limits.SECONDS.high)
    points: int = Field(default=limits.POINTS.default, ge=limits.POINTS.low, le=limits.POINTS.high)
    speed_bonus: bool = limits.SPEED_BONUS
    topics: tuple[str, ...] = ()
    """Topic ids in the quiz pool; empty means every topic."""
    daily_time: str = "09:00"
    timezone: str = "UTC"
    daily_window_hours: int = Field(
        default=limits.DAILY_WINDOW_HOURS.default, ge=limits.DAILY_WINDOW_HOURS.low, le=limits.DAILY_WINDOW_HOURS.high
    )


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: str
    allowed: str
    parse: Callable[[str, Sequence[str]], object]
    show: Callable[[object], str] = str


def _whole(allowed: Range[int]) -> Callable[[str, Sequence[str]], object]:
    def parse(text: str, topics: Sequence[str]) -> object:
        try:
            value = int(text.strip())
        except ValueError:
            raise InvalidInput(f"Give a whole number from {allowed.allowed}.") from None
        if value not in allowed:
            raise InvalidInput(f"{value} is out of range: give a whole number from {allowed.allowed}.")
        return value

    return parse


def _switch(text: str, topics: Sequence[str]) -> object:
    value = text.strip().lower()
    if value in {"on", "yes", "true", "1"}:
        return True
    if value in {"off", "no", "false", "0"}:
        return False
    raise InvalidInput("Give `on` or `off`.")


def _topics(text: str, topics: Sequence[str]) -> object:
    value = text.strip().lower()
    if value in {"", "all"}:
        return ()
    chosen = tuple(dict.fromkeys(part.strip() for part in value.replace(" ", ",").split(",") if part.strip()))
    unknown = [t for t in chosen if t not in topics]
    if unknown:
        raise InvalidInput(f"Unknown topic `{unknown[0][:40]}`. Choose from: {', '.join(topics)}, or `all`.")
    return chosen


def _time(text: str, topics: Sequence[str]) -> object:
    match = _TIME.match(text.strip())
    if match is None:
        raise InvalidInput("Give a 24-hour time as HH:MM, for example 09:00 or 18:30.")
    return f"{int(match[1]):02d}:{match[2]}"


def _zone(text: str, topics: Sequence[str]) -> object:
    name = text.strip()
    if len(name) > 64 or name not in available_timezones():
        raise InvalidInput("Give an IANA time zone name, for example Europe/Berlin, America/New_York or UTC.")
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError:
        raise InvalidInput(f"The time zone {name} is not known on this machine.") from None
    return name


def _onoff(value: object) -> str:
    return "on" if value else "off"


def _pool(value: object) -> str:
    return ", ".join(value) if isinstance(value, tuple) and value else "all topics"


SPECS: Mapping[str, SettingSpec] = {
    spec.key: spec
    for spec in (
        SettingSpec("questions", "Questions per quiz", limits.QUESTIONS.allowed, _whole(limits.QUESTIONS)),
        SettingSpec("seconds", "Seconds per question", limits.SECONDS.allowed, _whole(limits.SECONDS)),
        SettingSpec("points", "Points per right answer", limits.POINTS.allowed, _whole(limits.POINTS)),
        SettingSpec("speed_bonus", "Speed bonus", "on or off", _switch, _onoff),
        SettingSpec("topics", "Topics in the quiz pool", "topic ids separated by commas, or all", _topics, _pool),
        SettingSpec("daily_time", "Question of the day at", "HH:MM, 24-hour", _time),
        SettingSpec("timezone", "Time zone", "an IANA name such as Europe/Berlin", _zone),
        SettingSpec(
            "daily_window_hours",
            "Question of the day open for (hours)",
            limits.DAILY_WINDOW_HOURS.allowed,
            _whole(limits.DAILY_WINDOW_HOURS),
        ),
    )
}


def parse_setting(key: str, text: str, topics: Sequence[str]) -> object:
    spec = SPECS.get(key)
    if spec is None:
        raise InvalidInput(f"There is no setting `{key[:40]}`. Settings: {', '.join(SPECS)}.")
    if len(text) > 200:
        raise InvalidInput("That value is too long.")
    return spec.parse(text, topics)


def encode(value: object) -> str:
    """The stored text of a value (tuples as comma lists, booleans as on/off)."""
    if isinstance(value, bool):
        return _onoff(value)
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


def decode(stored: Mapping[str, str], defaults: ServerSettings, topics: Sequence[str]) -> ServerSettings:
    """Settings from stored text; a value that no longer parses (a removed topic) falls back to the default."""
    values: dict[str, object] = {}
    for key, text in stored.items():
        spec = SPECS.get(key)
        if spec is None:
            continue
        try:
            values[key] = spec.parse(text, topics) if key != "topics" else _topics(text or "all", topics)
        except InvalidInput:
            continue
    return defaults.model_copy(update=values)


def label_of(key: str) -> str:
    """What people call a setting; a key this version no longer knows (an old audit row) reads as itself."""
    spec = SPECS.get(key)
    return spec.label if spec is not None else key


def show_stored(key: str, stored: str | None, topics: Sequence[str]) -> str:
    """A stored value as people read it: "default" when none was set, "all topics" for an empty pool, on/off.

    A value that no longer parses (a topic since removed from the content) is shown as it was stored, since
    that is still what was set at the time.
    """
    if stored is None:
        return "default"
    spec = SPECS.get(key)
    if spec is None:
        return stored
    try:
        return spec.show(spec.parse(stored, topics))
    except InvalidInput:
        return stored


def describe(settings: ServerSettings) -> list[tuple[str, str, str]]:
    """(label, current value, allowed values) for every setting, for the show command."""
    return [(spec.label, spec.show(getattr(settings, spec.key)), spec.allowed) for spec in SPECS.values()]
