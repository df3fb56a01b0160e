"""Shards: which servers one bot process answers for when the bot runs as several processes.

Discord splits a bot's servers over ``count`` shards by id: server ``g`` belongs to shard ``(g >> 22) % count``,
and direct messages to shard 0. Each gateway connection holds one shard; a process may hold several (its slice),
and every process of one bot must use the same count. Pure: the settings, the Discord adapter, the services and
the health check all ask the same ``ShardPlan``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.words import noun

MAX_SHARD_COUNT = 1024
"""More shards than any bot of this kind needs (each holds up to 2500 servers); a bound against typing slips."""

_PART = re.compile(r"^(\d+)(?:-(\d+))?$")


def shard_of(guild_id: int, count: int) -> int:
    """The shard that holds server ``guild_id`` when the bot runs as ``count`` shards (Discord's formula)."""
    return (guild_id >> 22) % count


def parse_shard_ids(text: str) -> tuple[int, ...]:
    """``0-3``, ``0,2,5`` or ``0-3,8-11`` as shard numbers, ascending. ValueError with a message an operator can
    act on: what was wrong and an example of what works."""
    found: list[int] = []
    for raw in text.split(","):
        part = raw.strip()
        match = _PART.match(part)
        if match is None:
            raise ValueError(f"expected shard numbers such as 0-3 or 0,2,5, not {text.strip()!r}")
        low = int(match[1])
        high = int(match[2]) if match[2] is not None else low
        if high < low:
            raise ValueError(f"a range of shards runs upward ({high}-{low}), not {part!r}")
        if high - low >= MAX_SHARD_COUNT:
            raise ValueError(f"{part!r} names more than {MAX_SHARD_COUNT} shards")
        found.extend(range(low, high + 1))
    twice = sorted({i for i in found if found.count(i) > 1})
    if twice:
        raise ValueError(f"shard {twice[0]} is named twice in {text.strip()!r}")
    return tuple(sorted(found))


def describe_ids(ids: Iterable[int]) -> str:
    """Shard numbers the way an operator types them: ``0-3``, ``0,2,5``, ``0-3,8-11``."""
    parts: list[str] = []
    run: list[int] = []
    for shard in sorted(ids):
        if run and shard == run[-1] + 1:
            run.append(shard)
            continue
        if run:
            parts.append(_run(run))
        run = [shard]
    if run:
        parts.append(_run(run))
    return ",".join(parts)


def _run(run: list[int]) -> str:
    return str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}"


def check_ids_within(ids: tuple[int, ...], count: int) -> None:
    """ValueError when a shard number is not one of ``count`` shards (they are numbered 0 to count - 1)."""
    outside = [i for i in ids if i >= count]
    if outside:
        raise ValueError(
            f"shard {outside[0]} is not one of the {count} shards of SHARD_COUNT (they are numbered 0 to {count - 1})"
        )


@dataclass(frozen=True)
class ShardPlan:
    """The shards this process holds: ``count`` over all processes (None: as many as Discord recommends, learnt
    at connection, all of them here) and ``ids`` (None: every one of them)."""

    count: int | None = None
    ids: tuple[int, ...] | None = None

    @property
    def every_shard(self) -> bool:
        """This process holds every shard, so it answers for every server (the only layout SQLite allows)."""
        return self.ids is None or self.count is None or set(self.ids) == set(range(self.count))

    def owns(self, guild_id: int | None) -> bool:
        """Whether this process answers for server ``guild_id`` (None: direct messages, on shard 0)."""
        if self.every_shard:
            return True
        assert self.ids is not None and self.count is not None
        return (0 if guild_id is None else shard_of(guild_id, self.count)) in self.ids

    def held(self, count: int) -> tuple[int, ...]:
        """The shards this process holds once the bot runs as ``count`` shards."""
        return self.ids if self.ids is not None else tuple(range(count))

    def describe(self) -> str:
        if self.count is None:
            return "every shard (as many as Discord recommends)"
        if self.every_shard:
            return f"all {self.count} shards" if self.count > 1 else "1 shard"
        assert self.ids is not None
        return f"{noun(len(self.ids), 'shard')} {describe_ids(self.ids)} of {self.count}"
