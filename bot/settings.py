"""Settings from the environment and ``.env``. Built in ``main``, never at import, so tests pass their own."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.quiz import limits
from bot.core.shards import MAX_SHARD_COUNT, ShardPlan, check_ids_within, describe_ids, parse_shard_ids

PROJECT_ROOT = Path(__file__).resolve().parent.parent

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
DEFAULT_DATABASE = Path("data/bot.sqlite3")


class Settings(BaseSettings):
    # env_ignore_empty: `DEV_GUILD_ID=` in a copied .env.example (or a systemd EnvironmentFile, or compose's
    # env_file) means "unset", the way every example file and operator reads it, not "the empty string".
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    discord_token: SecretStr | None = Field(
        default=None, description="Bot token from the Discord developer portal; without it the console starts."
    )
    database_path: Path = Field(
        default=DEFAULT_DATABASE, description="SQLite database file (used when DATABASE_URL is not set)."
    )
    database_url: SecretStr | None = Field(
        default=None,
        description=(
            "postgresql://user:password@host:5432/dbname to keep the data in PostgreSQL instead of the SQLite file "
            "(a secret: it may hold a password)."
        ),
    )
    database_url_file: Path | None = Field(
        default=None,
        description=(
            "A file whose text is DATABASE_URL, such as a Docker secret (/run/secrets/database_url), so the password "
            "is in no environment variable; set DATABASE_URL or this, not both."
        ),
    )
    discord_token_file: Path | None = Field(
        default=None,
        description="A file whose text is DISCORD_TOKEN (a Docker secret); set DISCORD_TOKEN or this, not both.",
    )
    shard_count: int | None = Field(
        default=None,
        ge=1,
        le=MAX_SHARD_COUNT,
        description=(
            "How many shards the bot runs as, over all its processes (the same in each). Unset: as many as Discord "
            "recommends, all in this process."
        ),
    )
    shard_ids: str | None = Field(
        default=None,
        description=(
            "The shards this process holds, e.g. 0-3 or 0,2,5 (with SHARD_COUNT). Unset: every shard. Only "
            "PostgreSQL serves several processes."
        ),
    )
    content_dir: Path = Field(default=PROJECT_ROOT / "content", description="Folder holding the content modules.")
    dev_guild_id: int | None = Field(
        default=None, description="Sync commands to this one server only (instant; for development)."
    )
    log_level: LogLevel = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_file: Path | None = Field(default=None, description="Also log to this file, rotated at 5 MB (5 kept).")
    # Bounds and defaults from bot.core.quiz.limits, the same ones the per-server settings and the schema use.
    quiz_questions: int = Field(
        default=limits.QUESTIONS.default,
        ge=limits.QUESTIONS.low,
        le=limits.QUESTIONS.high,
        description="Questions per quiz unless the starter says.",
    )
    quiz_seconds: int = Field(
        default=limits.SECONDS.default,
        ge=limits.SECONDS.low,
        le=limits.SECONDS.high,
        description="Seconds to answer each question.",
    )
    quiz_points: int = Field(
        default=limits.POINTS.default,
        ge=limits.POINTS.low,
        le=limits.POINTS.high,
        description="Points for a right answer.",
    )
    quiz_speed_bonus: bool = Field(
        default=limits.SPEED_BONUS, description="Faster right answers score up to double points."
    )
    quiz_reveal_seconds: float = Field(
        default=limits.REVEAL_SECONDS.default,
        ge=limits.REVEAL_SECONDS.low,
        le=limits.REVEAL_SECONDS.high,
        description="Pause after a reveal.",
    )
    data_retention_days: int = Field(
        default=30, ge=0, le=3650, description="Days a server's data is kept after the bot is removed from it."
    )
    job_lease_seconds: float = Field(
        default=10,
        ge=1,
        le=600,
        description=(
            "Seconds a process's claim on a job (a quiz's next move, a results post, the question-of-the-day "
            "schedule) lasts unless renewed: after a process dies, another takes its due work over within this time."
        ),
    )
    job_poll_seconds: float = Field(
        default=5,
        ge=0.1,
        le=300,
        description=(
            "Seconds between looks at the jobs when no wake-up arrives (PostgreSQL's NOTIFY wakes a waiting process "
            "sooner); also how often a process tries to become the leader."
        ),
    )
    state_directory: Path | None = Field(
        default=None,
        description=(
            "Set by systemd's StateDirectory=. The database goes there by default, and a relative DATABASE_PATH "
            "or LOG_FILE is placed in it, so a settings file copied from .env.example never points the bot into "
            "the read-only checkout."
        ),
    )
    discord_api_url: str | None = Field(
        default=None, description="Testing only: REST base URL of a local fake Discord (http://127.0.0.1:...)."
    )
    discord_gateway_url: str | None = Field(
        default=None, description="Testing only: gateway URL of a local fake Discord (ws://127.0.0.1:...)."
    )
    discord_identify_seconds: float | None = Field(
        default=None,
        ge=0,
        le=5,
        description=(
            "Testing only, with DISCORD_API_URL: seconds between two shards connecting (Discord asks for 5, the "
            "default)."
        ),
    )

    @property
    def shards(self) -> ShardPlan:
        """The shards this process holds, from SHARD_COUNT and SHARD_IDS (checked when the settings were built)."""
        ids = parse_shard_ids(self.shard_ids) if self.shard_ids is not None else None
        return ShardPlan(self.shard_count, ids)

    def owns_guild(self, guild_id: int) -> bool:
        """Whether this process answers for server ``guild_id``: it drives that server's quizzes, and other
        processes do their due work only when it has left it undone."""
        return self.shards.owns(guild_id)

    @model_validator(mode="after")
    def _relative_paths_in_state_directory(self) -> Settings:
        if self.state_directory is None:
            return self
        if self.database_path == DEFAULT_DATABASE and "database_path" not in self.model_fields_set:
            self.database_path = self.state_directory / DEFAULT_DATABASE.name
        elif not self.database_path.is_absolute():
            self.database_path = self.state_directory / self.database_path
        if self.log_file is not None and not self.log_file.is_absolute():
            self.log_file = self.state_directory / self.log_file
        return self

    @model_validator(mode="after")
    def _secrets_from_files(self) -> Settings:
        """DATABASE_URL_FILE and DISCORD_TOKEN_FILE: the secret is read from the file (a Docker or systemd
        credential), as if it had been set directly, so the rest of the bot knows one way to find it."""
        if self.database_url_file is not None:
            if self.database_url is not None:
                raise ValueError("set DATABASE_URL or DATABASE_URL_FILE, not both")
            text = _read_secret("DATABASE_URL_FILE", self.database_url_file)
            self.database_url = SecretStr(_checked_postgres_url(text, "the URL in DATABASE_URL_FILE "))
        if self.discord_token_file is not None:
            if self.discord_token is not None:
                raise ValueError("set DISCORD_TOKEN or DISCORD_TOKEN_FILE, not both")
            self.discord_token = SecretStr(_read_secret("DISCORD_TOKEN_FILE", self.discord_token_file))
        return self

    @field_validator("database_url", mode="before")
    @classmethod
    def _postgres_url(cls, value: object) -> object:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str) and not text.strip():
            return None
        if isinstance(text, str):
            _checked_postgres_url(text)
        return value

    @field_validator("shard_ids")
    @classmethod
    def _shard_ids(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Shard numbers that parse and are shards of SHARD_COUNT, kept in the canonical form (``0-3``)."""
        if value is None:
            return None
        ids = parse_shard_ids(value)
        if "shard_count" not in info.data:
            return describe_ids(ids)  # SHARD_COUNT itself was refused; that error says enough
        count = info.data["shard_count"]
        if count is None:
            raise ValueError(
                "needs SHARD_COUNT (--shard-count), the number of shards over all processes (e.g. SHARD_COUNT=8 "
                "with SHARD_IDS=0-3 in one process and SHARD_IDS=4-7 in the other)"
            )
        check_ids_within(ids, count)
        return describe_ids(ids)

    @field_validator("discord_identify_seconds")
    @classmethod
    def _identify_only_against_a_fake(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is not None and info.data.get("discord_api_url") is None:
            raise ValueError("is for tests against a local fake Discord only (with DISCORD_API_URL); leave it unset")
        return value

    @field_validator("discord_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


def _read_secret(name: str, path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"{name} {path}: cannot read it ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{name} {path}: not a text file") from exc
    if not text:
        raise ValueError(f"{name} {path} is empty")
    return text


def _checked_postgres_url(text: str, what: str = "") -> str:
    if not text.startswith(("postgresql://", "postgres://")):
        raise ValueError(
            f"{what}must start with postgresql:// (e.g. postgresql://bot:password@localhost:5432/bot); "
            "for SQLite leave DATABASE_URL empty and set DATABASE_PATH"
        )
    return text
