"""pytest plugin (loaded from tests/conftest.py): the loopback-only network guard and the ``fake_discord`` fixture."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from .fake import FakeDiscord
from .netguard import install_network_guard


def pytest_configure(config: pytest.Config) -> None:
    # discord.player imports the stdlib audioop (deprecated in 3.11, removed in 3.13); not ours to fix.
    config.addinivalue_line("filterwarnings", "ignore:'audioop' is deprecated:DeprecationWarning")


@pytest.fixture(scope="session", autouse=True)
def network_guard() -> Iterator[None]:
    """For the whole session, any connect to a non-loopback address raises ``OSError("test network guard: ...")``."""
    uninstall = install_network_guard()
    try:
        yield
    finally:
        uninstall()


@pytest_asyncio.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord with discord.py pointed at it (Route.BASE / DEFAULT_GATEWAY restored afterwards)."""
    async with FakeDiscord() as fake:
        with fake.point_discord_py_here():
            yield fake
