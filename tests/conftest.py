"""Shared fixtures. The fake Discord and the loopback-only network guard live in tests/fakediscord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.services.app import App
from bot.services.bundle import Services
from tests.helpers import make_settings
from tests.quizkit import FakeClock, RecordingPublisher

pytest_plugins = ["tests.fakediscord.pytest_plugin"]


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    """Every use case over a fresh database, with a hand-moved clock and a recording publisher."""
    app = await App.open(make_settings(tmp_path))
    bundle = Services.create(app, FakeClock(), RecordingPublisher())
    try:
        yield bundle
    finally:
        await bundle.stop()
        await app.close()
