"""The fake Discord shards as Discord does, shown with discord.py's own sharded client (no bot/ code involved):
the recommended count from GET /gateway/bot, one connection per shard, each server's events on its shard only,
DMs on shard 0, and close code 4010 for a shard that does not fit (4011 for an unsharded client that must shard).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from tests.botkit.inprocess import run_client
from tests.fakediscord import FakeDiscord, GatewayClosed
from tests.fakediscord.gateway import CLOSE_INVALID_SHARD, CLOSE_SHARDING_REQUIRED, OP_IDENTIFY


class ShardedDemo(commands.AutoShardedBot):
    """discord.py's sharded bot, with one command; only the spacing between identifies is shortened."""

    def __init__(self, **options: Any) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.none() | discord.Intents(guilds=True),
            guild_ready_timeout=0.05,
            **options,
        )

        @self.tree.command(name="where", description="which shard answers")
        async def where(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"guild {interaction.guild_id}")

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s between shards (Discord's rate); the fake needs no wait."""


def events(fake: FakeDiscord, shard: int, name: str) -> list[int | None]:
    conn = fake.gateway.holder(shard)
    assert conn is not None and conn.session is not None, f"shard {shard} is not connected"
    return [guild for event, guild in conn.session.dispatched if event == name]


def place_guilds(fake: FakeDiscord) -> list[int]:
    """One guild on each of the fake's shards, in shard order (and so ascending)."""
    guilds: list[int] = []
    for shard in range(fake.shard_count):
        guilds.append(fake.guild_on_shard(shard, after=guilds[-1] if guilds else 1 << 30))
        fake.add_guild(guilds[-1], f"Server {shard}", channels=[guilds[-1] + 1])
    return guilds


def test_guild_on_shard_follows_discords_formula() -> None:
    fake = FakeDiscord(shard_count=4)
    for shard in range(4):
        guild = fake.guild_on_shard(shard, after=123 << 22)
        assert guild > 123 << 22 and (guild >> 22) % 4 == shard == fake.shard_of(guild)
    assert fake.shard_of(None) == 0, "direct messages belong to shard 0"


async def test_gateway_bot_recommends_the_fakes_shard_count(fake_discord: FakeDiscord) -> None:
    fake_discord.shard_count = 3
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{fake_discord.api_base}/gateway/bot", headers={"Authorization": "Bot x"}) as answer,
    ):
        body = await answer.json()
    assert body["shards"] == 3 and body["url"] == fake_discord.gateway_url


async def test_each_shard_gets_its_own_connection_and_only_its_servers(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    fake.shard_count = 2
    first, second = place_guilds(fake)
    async with run_client(ShardedDemo(), fake) as bot:  # no shard_count: discord.py asks GET /gateway/bot
        assert bot.shard_count == 2 and sorted(bot.shards) == [0, 1]
        assert {tuple(conn.session.shard or ()) for conn in fake.gateway.shards.values() if conn.session} == {
            (0, 2),
            (1, 2),
        }
        assert fake.gateway.holder(0) is not fake.gateway.holder(1)
        assert events(fake, 0, "GUILD_CREATE") == [first] and events(fake, 1, "GUILD_CREATE") == [second]
        assert {g.id: g.shard_id for g in bot.guilds} == {first: 0, second: 1}
        await bot.tree.sync()

        for guild in (first, second):
            handle = await fake.invoke("where", guild_id=guild, channel_id=guild + 1)
            assert (await handle.response())["data"]["content"] == f"guild {guild}"
        dm = await fake.invoke("where", guild_id=None, member=fake.make_member(77, "dm"))
        assert (await dm.response())["data"]["content"] == "guild None"
        assert events(fake, 0, "INTERACTION_CREATE") == [first, None], "shard 0: its server and the DM"
        assert events(fake, 1, "INTERACTION_CREATE") == [second]

        third = fake.guild_on_shard(1, after=second)
        fake.add_guild(third, "Joined later", channels=[third + 1])
        await fake.wait_for(lambda: bot.get_guild(third) is not None, 5, "the new server")
        assert events(fake, 1, "GUILD_CREATE")[-1] == third and third not in events(fake, 0, "GUILD_CREATE")

        await fake.drop_gateway(resume=True, shard=1)  # one shard drops and resumes; the other is untouched
        await fake.wait_ready(timeout=5)
        assert fake.resume_count == 1 and fake.identify_count == 2
    assert fake.errors == []


async def test_a_slice_of_the_shards_gets_only_its_servers(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    fake.shard_count = 4
    guilds = place_guilds(fake)
    async with run_client(ShardedDemo(shard_ids=[0, 1], shard_count=4), fake, shards=[0, 1]) as bot:
        assert sorted(bot.shards) == [0, 1] and sorted(fake.gateway.shards) == [0, 1]
        assert sorted(g.id for g in bot.guilds) == guilds[:2]
        await bot.tree.sync()
        handle = await fake.invoke("where", guild_id=guilds[1], channel_id=guilds[1] + 1)
        assert (await handle.response())["data"]["content"] == f"guild {guilds[1]}"
        with pytest.raises(GatewayClosed, match="no bot holds shard 2 of 4"):
            await fake.invoke("where", guild_id=guilds[2], channel_id=guilds[2] + 1)
        assert not fake.gateway.is_ready(), "shards 2 and 3 have no connection"


async def identify(fake: FakeDiscord, shard: list[int] | None) -> int | None:
    """IDENTIFY on a raw websocket with ``shard``; the close code the fake answers with (None: it accepted)."""
    payload: dict[str, Any] = {"token": "Bot x", "intents": 1, "properties": {}}
    if shard is not None:
        payload["shard"] = shard
    async with aiohttp.ClientSession() as http, http.ws_connect(fake.gateway_url) as ws:
        hello = await ws.receive_json(timeout=5)
        assert hello["op"] == 10
        await ws.send_str(json.dumps({"op": OP_IDENTIFY, "d": payload}))
        message = await ws.receive(timeout=5)
        if message.type is aiohttp.WSMsgType.TEXT:
            assert json.loads(message.data)["t"] == "READY"
            return None
        await asyncio.sleep(0)
        return ws.close_code


@pytest.mark.parametrize(
    ("count", "shard", "code"),
    [
        (2, [0, 2], None),
        (2, [1, 2], None),
        (2, [2, 2], CLOSE_INVALID_SHARD),  # no shard 2 of 2
        (2, [0, 3], CLOSE_INVALID_SHARD),  # a count the fake does not run as
        (2, [-1, 2], CLOSE_INVALID_SHARD),
        (2, None, CLOSE_SHARDING_REQUIRED),  # an unsharded client when the bot must shard
        (1, None, None),  # the plain client: shard 0 of 1
    ],
)
async def test_identify_with_a_shard_that_does_not_fit_is_closed(
    fake_discord: FakeDiscord, count: int, shard: list[int] | None, code: int | None
) -> None:
    fake_discord.shard_count = count
    assert await identify(fake_discord, shard) == code
    assert fake_discord.gateway.refused == ([] if code is None else [(shard, code)])


async def test_discord_py_stops_on_an_invalid_shard(fake_discord: FakeDiscord) -> None:
    fake_discord.shard_count = 2
    client = ShardedDemo(shard_ids=[0], shard_count=3)
    with pytest.raises(discord.ConnectionClosed) as closed:
        async with asyncio.timeout(15), client:
            await client.start("fake-token")
    assert closed.value.code == CLOSE_INVALID_SHARD
    assert fake_discord.identify_count == 0
