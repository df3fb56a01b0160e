"""The deployment files stay in step with the code: every setting documented, the image and unit hardened."""

from __future__ import annotations

import re

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
