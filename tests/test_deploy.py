"""The deployment files stay in step with the code: every setting documented, the image and unit hardened."""

from __future__ import annotations

import re
from typing import Any

import yaml

from bot.settings import PROJECT_ROOT, Settings

DEPLOY = PROJECT_ROOT / "deploy"


def test_env_example_documents_exactly_the_settings() -> None:
    text = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
    fields = {name.upper() for name in Settings.model_fields}
    assert documented == fields, f"missing: {fields - documented}; unknown: {documented - fields}"
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} needs a description (shown to admins)"


def test_dockerfile_is_multi_stage_non_root_checked_and_healthchecked() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert len(re.findall(r"^FROM python:3\.11-slim", text, flags=re.MULTILINE)) == 2
    assert re.search(r"^USER bot$", text, flags=re.MULTILINE)
    assert 'VOLUME ["/data"]' in text and "DATABASE_PATH=/data/bot.sqlite3" in text
    assert "RUN python -m bot check" in text
    assert "HEALTHCHECK" in text and '"bot", "health"' in text


def test_compose_and_systemd_unit() -> None:
    compose = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    assert "env_file:" in compose and "restart: unless-stopped" in compose and "bot-data:/data" in compose
    unit = (DEPLOY / "bot.service").read_text(encoding="utf-8")
    for option in (
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "KillSignal=SIGTERM",
    ):
        assert option in unit
    assert "ExecStart=/opt/ketamine-study-bot/.venv/bin/python -m bot run" in unit


def test_docker_build_context_leaves_out_local_state_and_secrets() -> None:
    ignored = set((PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".venv", "data", ".env", "**/__pycache__", ".mypy_cache", ".pytest_cache", ".git"} <= ignored


def test_systemd_database_does_not_depend_on_environment_order() -> None:
    """EnvironmentFile= wins over Environment=, so the unit must not rely on Environment= for the database path:
    the bot finds StateDirectory= through STATE_DIRECTORY (tested in test_operator_steps)."""
    unit = (DEPLOY / "bot.service").read_text(encoding="utf-8")
    assert "StateDirectory=ketamine-study-bot" in unit and "Environment=DATABASE_PATH" not in unit
    backup = (DEPLOY / "backup.service").read_text(encoding="utf-8")
    for shared in (
        "User=ketamine-bot",
        "EnvironmentFile=/etc/ketamine-study-bot.env",
        "StateDirectory=ketamine-study-bot",
    ):
        assert shared in unit and shared in backup
    assert "-m bot backup /var/lib/ketamine-study-bot/backups/ --keep" in backup
    timer = (DEPLOY / "backup.timer").read_text(encoding="utf-8")
    assert "OnCalendar=daily" in timer and "Persistent=true" in timer


def test_matplotlib_keeps_its_font_cache_where_the_bot_may_write() -> None:
    """Elsewhere matplotlib warns on the first chart of every process and rebuilds its font cache in a temporary
    folder: the image's /app and the unit's checkout and home are read-only to the bot."""
    assert "MPLCONFIGDIR=/data/matplotlib" in (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    unit = (DEPLOY / "bot.service").read_text(encoding="utf-8")
    assert "Environment=MPLCONFIGDIR=%S/ketamine-study-bot/matplotlib" in unit, "inside StateDirectory="


SHARDED = DEPLOY / "compose.sharded.yaml"
SECRET_SETTINGS = {"DISCORD_TOKEN", "DATABASE_URL", "POSTGRES_PASSWORD"}
"""Settings that hold a secret: in the sharded compose file they come from files (``*_FILE``), never the environment."""


def sharded_compose() -> dict[str, Any]:
    loaded = yaml.safe_load(SHARDED.read_text(encoding="utf-8"))  # merges the x-bot anchor into each bot
    assert isinstance(loaded, dict)
    return loaded


def bots(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: service for name, service in compose["services"].items() if name.startswith("bot")}


def test_sharded_compose_parses_and_every_service_is_health_checked() -> None:
    compose = sharded_compose()
    services = compose["services"]
    assert set(services) == {"postgres", *bots(compose)} and len(bots(compose)) >= 2
    for name, service in services.items():
        check = service.get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"
        assert service.get("restart") == "unless-stopped", name
    assert services["postgres"]["healthcheck"]["test"][1].startswith("pg_isready")
    for name, service in bots(compose).items():
        assert service["healthcheck"]["test"] == ["CMD", "python", "-m", "bot", "health"], name
        assert service["depends_on"] == {"postgres": {"condition": "service_healthy"}}, name
        assert service["build"]["dockerfile"] == "deploy/Dockerfile" and service["env_file"] == "../.env", name


def test_sharded_compose_keeps_every_secret_out_of_the_environment() -> None:
    compose = sharded_compose()
    files = compose["secrets"]
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        assert isinstance(environment, dict), f"{name}: environment as a mapping, so it can be checked"
        assert not SECRET_SETTINGS & set(environment), f"{name} has a secret in its environment"
        assert not any("://" in str(value) for value in environment.values()), f"{name}: a URL in the environment"
        secretive = [key for key in environment if re.search(r"PASSWORD|TOKEN|URL|SECRET", key)]
        assert all(key.endswith("_FILE") for key in secretive), f"{name}: {secretive}"
        for key, value in environment.items():
            if key.endswith("_FILE"):
                secret = value.removeprefix("/run/secrets/")
                assert value == f"/run/secrets/{secret}" and secret in service["secrets"], f"{name}: {key}"
                assert files[secret] == {"file": f"./secrets/{secret}"}, "a compose secret read from a file"
    for bot in bots(compose).values():
        assert {"DATABASE_URL_FILE", "DISCORD_TOKEN_FILE"} <= set(bot["environment"])
        assert set(Settings.model_fields) >= {key.lower() for key in bot["environment"]}, "settings the bot knows"
    assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert "deploy/secrets/" in (PROJECT_ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "deploy/secrets" in (PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").split()


def test_sharded_compose_slices_cover_every_shard_once() -> None:
    """The bots together hold each shard of one count exactly once: a gap leaves servers unanswered, an overlap
    would run their quizzes twice."""
    slices = [
        Settings(_env_file=None, **{k.lower(): v for k, v in bot["environment"].items() if k.startswith("SHARD")})  # type: ignore[arg-type]
        for bot in bots(sharded_compose()).values()
    ]
    counts = {s.shard_count for s in slices}
    assert len(counts) == 1 and None not in counts, "every bot names the same SHARD_COUNT"
    (count,) = counts
    assert count is not None
    held = [shard for s in slices for shard in s.shards.held(count)]
    assert sorted(held) == list(range(count))
    assert all(not s.shards.every_shard for s in slices), "each bot holds a slice"
