"""What the services need from the host's settings, as a protocol: the services read these values and nothing
else, and never import ``bot/settings.py`` (whose environment parsing is the entry points' job).

``bot.settings.Settings`` satisfies it as it is; a test may hand in any object with these attributes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from bot.core.shards import ShardPlan
from bot.storage.connect import DatabaseSettings


class ServiceSettings(DatabaseSettings, Protocol):
    @property
    def content_dir(self) -> Path: ...
    @property
    def quiz_questions(self) -> int: ...
    @property
    def quiz_seconds(self) -> int: ...
    @property
    def quiz_points(self) -> int: ...
    @property
    def quiz_speed_bonus(self) -> bool: ...
    @property
    def quiz_reveal_seconds(self) -> float: ...
    @property
    def data_retention_days(self) -> int: ...
    @property
    def job_lease_seconds(self) -> float: ...
    @property
    def job_poll_seconds(self) -> float: ...
    def owns_guild(self, guild_id: int) -> bool:
        """Whether this process answers for a server (drives its quizzes); see ``bot.services.jobs``."""
    @property
    def shards(self) -> ShardPlan:
        """The shards this process holds: its background work (resumed quizzes, questions of the day, servers
        left while it was down) is for their servers only, so processes holding other shards never do it twice."""
        ...
