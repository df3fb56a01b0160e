"""Settings come from the environment and .env, are built on demand, and keep the token secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings


def test_defaults_without_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DISCORD_TOKEN", "DATABASE_PATH", "CONTENT_DIR", "DEV_GUILD_ID", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.discord_token is None
    assert settings.database_path == Path("data/bot.sqlite3")
    assert (settings.content_dir / "ketamine" / "module.yaml").exists()
    assert settings.dev_guild_id is None and settings.log_level == "INFO"


def test_env_file_and_secret_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("DISCORD_TOKEN=abc.def\nDEV_GUILD_ID=123\nLOG_LEVEL=debug\n", encoding="utf-8")
    settings = Settings()
    assert settings.discord_token is not None and settings.discord_token.get_secret_value() == "abc.def"
    assert "abc.def" not in repr(settings)
    assert settings.dev_guild_id == 123 and settings.log_level == "DEBUG"


def test_blank_token_means_console(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "  ")
    assert Settings().discord_token is None


def test_bad_value_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEV_GUILD_ID", "not-a-number")
    with pytest.raises(ValueError, match="dev_guild_id"):
        Settings()
