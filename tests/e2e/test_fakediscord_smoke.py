"""Smoke tests of the fake Discord with a tiny, real discord.py bot (no bot/ code involved)."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.botkit.inprocess import run_client
from tests.fakediscord import FakeDiscord

GUILD_ID = 5000
CHANNEL_ID = 5001
TOPICS = ["Ketamine", "Ketamine metabolism", "Esketamine", "NMDA receptors", "Dissociation"]
NONE = discord.AllowedMentions.none()


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"vote:(?P<choice>[a-z]+):(?P<count>\d+)"):
    """The count lives in the custom_id, so any bot process can handle a click on any old message."""

    def __init__(self, choice: str, count: int = 0) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"{choice} ({count})", custom_id=f"vote:{choice}:{count}", style=discord.ButtonStyle.primary
            )
        )
        self.choice = choice
        self.count = count

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        return cls(match["choice"], int(match["count"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        self.count += 1
        self.item.label = f"{self.choice} ({self.count})"
        self.custom_id = f"vote:{self.choice}:{self.count}"
        await interaction.response.edit_message(view=self.view, allowed_mentions=NONE)


class MechanismSelect(discord.ui.Select[discord.ui.View]):
    def __init__(self) -> None:
        super().__init__(
            custom_id="demo:select",
            placeholder="Pick a mechanism",
            options=[
                discord.SelectOption(label="NMDA antagonism", value="nmda"),
                discord.SelectOption(label="AMPA activation", value="ampa"),
            ],
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"You picked {self.values[0]}", ephemeral=True, allowed_mentions=NONE)


class DemoGroup(app_commands.Group, name="demo", description="Demo commands"):
    def __init__(self, bot: DemoBot) -> None:
        super().__init__()
        self.bot = bot

    @app_commands.command(description="Pong, as an embed")
    async def ping(self, interaction: discord.Interaction) -> None:
        view = discord.ui.View(timeout=60)
        view.add_item(VoteButton("yes"))
        view.add_item(MechanismSelect())
        embed = discord.Embed(title="Pong", description="The fake Discord answers.")
        embed.add_field(name="Latency", value="0 ms")
        await interaction.response.send_message(embed=embed, view=view, allowed_mentions=NONE)

    @app_commands.command(description="Show a topic")
    @app_commands.describe(name="Topic name")
    async def topic(self, interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(f"Topic: {name}", allowed_mentions=NONE)

    @topic.autocomplete("name")
    async def topic_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=t, value=t) for t in TOPICS if t.lower().startswith(current.lower())][:25]

    @app_commands.command(description="Answers too late")
    async def slow(self, interaction: discord.Interaction) -> None:
        await asyncio.sleep(3.2)
        await self._answer(interaction, "finally")

    @app_commands.command(description="Two handlers race to answer")
    async def double(self, interaction: discord.Interaction) -> None:
        await asyncio.gather(self._answer(interaction, "first"), self._answer(interaction, "second"))

    @app_commands.command(description="An embed Discord rejects")
    async def huge(self, interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="Too many fields")
        for i in range(26):
            embed.add_field(name=f"f{i}", value="x")
        await self._answer(interaction, embed=embed)

    async def _answer(self, interaction: discord.Interaction, content: str | None = None, **kwargs: Any) -> None:
        try:
            await interaction.response.send_message(content, allowed_mentions=NONE, **kwargs)
        except discord.HTTPException as exc:
            self.bot.http_errors.append(exc)


class DemoBot(commands.Bot):
    def __init__(self) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            guild_ready_timeout=0.05,  # on_ready 50 ms after the last GUILD_CREATE instead of 2 s
        )
        self.http_errors: list[discord.HTTPException] = []

    async def setup_hook(self) -> None:
        self.tree.add_command(DemoGroup(self))
        self.add_dynamic_items(VoteButton)


@pytest.fixture
def fake(fake_discord: FakeDiscord) -> FakeDiscord:
    fake_discord.add_guild(GUILD_ID, name="Study Group", channels=[CHANNEL_ID, CHANNEL_ID + 1])
    return fake_discord


async def test_bot_connects_and_sees_the_guild(fake: FakeDiscord) -> None:
    async with run_client(DemoBot(), fake) as bot:
        assert bot.user is not None and bot.user.id == fake.bot_user_id
        assert bot.application_id == fake.application_id
        assert [g.id for g in bot.guilds] == [GUILD_ID]
        guild = bot.guilds[0]
        assert guild.name == "Study Group"
        assert [c.id for c in guild.text_channels] == [CHANNEL_ID, CHANNEL_ID + 1]
        assert guild.me is not None and guild.me.guild_permissions.send_messages
        assert fake.identify_count == 1
        assert fake.requests[:2] == ["GET /users/@me", "GET /oauth2/applications/@me"]
        # a guild added while connected is announced at once
        fake.add_guild(6000, name="Late Guild")
        await fake.wait_for(lambda: bot.get_guild(6000) is not None, 2, "GUILD_CREATE of a late guild")
    assert fake.unknown_routes == []
    assert fake.errors == []


async def test_tree_sync_registers_commands(fake: FakeDiscord) -> None:
    async with run_client(DemoBot(), fake) as bot:
        synced = await bot.tree.sync()
        assert [c.name for c in synced] == ["demo"]
        (demo,) = fake.global_commands
        assert sorted(o["name"] for o in demo["options"]) == ["double", "huge", "ping", "slow", "topic"]
        assert synced[0].id == int(demo["id"])

        guild = discord.Object(GUILD_ID)
        bot.tree.copy_global_to(guild=guild)
        await bot.tree.sync(guild=guild)
        assert [c["name"] for c in fake.guild_commands[GUILD_ID]] == ["demo"]
        assert fake.sync_count == 2
        assert [c.name for c in await bot.tree.fetch_commands()] == ["demo"]
    assert fake.errors == [] and fake.unknown_routes == []


async def test_slash_command_replies_with_embed(fake: FakeDiscord) -> None:
    async with run_client(DemoBot(), fake) as bot:
        await bot.tree.sync()
        handle = await fake.invoke("demo ping", member=fake.make_member(2001, "alice"))
        response = await handle.response()
        assert response["type"] == 4
        (embed,) = response["data"]["embeds"]
        assert embed["title"] == "Pong" and embed["fields"][0]["name"] == "Latency"
        assert fake.allowed_mentions == [{"parse": []}]
        message = handle.message
        assert message is not None and message["channel_id"] == str(CHANNEL_ID)
        assert message["interaction_metadata"]["user"]["id"] == "2001"
        assert handle.latency is not None and handle.latency < 1.0
        assert fake.channel_messages(CHANNEL_ID) == [message]
    assert fake.errors == []


async def test_autocomplete_returns_choices(fake: FakeDiscord) -> None:
    async with run_client(DemoBot(), fake) as bot:
        await bot.tree.sync()
        handle = await fake.autocomplete("demo topic", {"name": "ketam"}, focused="name")
        response = await handle.response()
        assert response["type"] == 8
        assert handle.choices == [
            {"name": "Ketamine", "value": "Ketamine"},
            {"name": "Ketamine metabolism", "value": "Ketamine metabolism"},
        ]
        picked = await fake.invoke("demo topic", {"name": "Esketamine"})
        assert (await picked.response())["data"]["content"] == "Topic: Esketamine"
    assert fake.errors == []


async def test_select_menu(fake: FakeDiscord) -> None:
    async with run_client(DemoBot(), fake) as bot:
        await bot.tree.sync()
        ping = await fake.invoke("demo ping")
        await ping.response()
        assert ping.message is not None
        choice = await fake.select(ping.message, "demo:select", ["nmda"])
        response = await choice.response()
        assert response["type"] == 4
        assert response["data"]["content"] == "You picked nmda"
        assert response["data"]["flags"] & 64  # ephemeral
    assert fake.errors == []


async def test_dynamic_button_survives_bot_restart(fake: FakeDiscord) -> None:
    async with run_client(DemoBot(), fake) as bot:
        await bot.tree.sync()
        ping = await fake.invoke("demo ping")
        await ping.response()
        message = ping.message
        assert message is not None
        click = await fake.click(message, "vote:yes:0")
        assert (await click.response())["type"] == 7  # UPDATE_MESSAGE edits the clicked message in place
        assert message["components"][0]["components"][0]["label"] == "yes (1)"

    # A new process-like bot instance: no View state survives, only the registered dynamic item.
    async with run_client(DemoBot(), fake):
        click = await fake.click(message, "vote:yes:1")
        assert (await click.response())["type"] == 7
        assert message["components"][0]["components"][0]["label"] == "yes (2)"
        assert message["components"][0]["components"][0]["custom_id"] == "vote:yes:2"
    assert fake.identify_count == 2
    assert fake.errors == []


async def test_late_callback_is_rejected(fake: FakeDiscord) -> None:
    async with run_client(DemoBot(), fake) as bot:
        await bot.tree.sync()
        handle = await fake.invoke("demo slow")
        await fake.wait_for(lambda: bool(bot.http_errors), 5, "the bot's late answer")
        (error,) = bot.http_errors
        assert isinstance(error, discord.NotFound) and error.code == 10062
        assert not handle.acknowledged
        assert [(e.status, e.code) for e in fake.errors] == [(404, 10062)]


async def test_double_acknowledgement_is_rejected(fake: FakeDiscord) -> None:
    async with run_client(DemoBot(), fake) as bot:
        await bot.tree.sync()
        handle = await fake.invoke("demo double")
        assert (await handle.response())["data"]["content"] == "first"
        await fake.wait_for(lambda: bool(bot.http_errors), 5, "the second answer")
        assert [e.code for e in bot.http_errors] == [40060]
        assert [(e.status, e.code) for e in fake.errors] == [(400, 40060)]
        assert handle.record.rejected_callbacks[0]["data"]["content"] == "second"


async def test_oversized_embed_is_rejected(fake: FakeDiscord) -> None:
    async with run_client(DemoBot(), fake) as bot:
        await bot.tree.sync()
        await fake.invoke("demo huge")
        await fake.wait_for(lambda: bool(bot.http_errors), 5, "the rejected embed")
        assert [e.code for e in bot.http_errors] == [50035]
        (error,) = fake.errors
        assert error.code == 50035 and error.errors is not None
        assert error.errors["data"]["embeds"]["0"]["fields"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"


async def test_injected_500_and_429_are_retried(fake: FakeDiscord) -> None:
    async with run_client(DemoBot(), fake) as bot:
        fake.fail_next("PUT /applications/", 500)
        await bot.tree.sync()  # discord.py sleeps 1 s after a 500 and retries
        assert fake.injected == ["PUT /applications/1000/commands"]
        assert fake.sync_count == 1

        fake.fail_next("/callback", 429, retry_after=0.05)
        handle = await fake.invoke("demo ping")
        assert (await handle.response())["type"] == 4
        assert len(fake.injected) == 2 and fake.injected[1].endswith("/callback")
    assert fake.errors == []


async def test_gateway_drop_resumes(fake: FakeDiscord) -> None:
    async with run_client(DemoBot(), fake) as bot:
        await bot.tree.sync()
        await fake.drop_gateway(resume=True)
        await fake.wait_ready(timeout=5)
        assert (fake.identify_count, fake.resume_count) == (1, 1)
        handle = await fake.invoke("demo topic", {"name": "after resume"})
        assert (await handle.response())["data"]["content"] == "Topic: after resume"
    assert fake.errors == []


async def test_network_guard_refuses_non_loopback(tmp_path: Path) -> None:
    started = time.perf_counter()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(OSError, match="test network guard"):
        sock.connect(("10.0.0.1", 9))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(OSError, match="test network guard"):
        sock.connect_ex(("10.0.0.1", 9))
    with pytest.raises(OSError, match="test network guard"):
        await asyncio.open_connection("10.0.0.1", 9)
    with pytest.raises(OSError, match="test network guard"):
        await asyncio.open_connection("discord.com", 443)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorError, match="test network guard"):
            await session.get("http://10.0.0.1:9/")
    assert time.perf_counter() - started < 1.0  # refused by the guard, not by a network timeout

    # loopback and AF_UNIX still work
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()

    unix_server = await asyncio.start_unix_server(echo, path=str(tmp_path / "s.sock"))
    tcp_server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = tcp_server.sockets[0].getsockname()[1]
    async with unix_server, tcp_server:
        for opened in (
            asyncio.open_unix_connection(str(tmp_path / "s.sock")),
            asyncio.open_connection("127.0.0.1", port),
        ):
            reader, writer = await opened
            writer.write(b"hi\n")
            assert await reader.readline() == b"hi\n"
            writer.close()
            await writer.wait_closed()


async def test_point_discord_py_here_restores_the_real_urls() -> None:
    before = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    async with FakeDiscord() as fake:
        with fake.point_discord_py_here():
            assert fake.api_base == discord.http.Route.BASE
            assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == fake.gateway_url
        assert before == (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    assert before[0] == "https://discord.com/api/v10"


async def test_enforced_nonce_returns_the_first_message(fake: FakeDiscord) -> None:
    async with run_client(DemoBot(), fake) as bot:
        channel = bot.get_partial_messageable(CHANNEL_ID)
        first = await channel.send("question 1", nonce="ksb-nonce-1")  # discord.py sets enforce_nonce
        again = await channel.send("question 1, sent again after a crash", nonce="ksb-nonce-1")
        other = await channel.send("question 2", nonce="ksb-nonce-2")
        assert again.id == first.id and again.content == "question 1"
        assert other.id != first.id
        assert [m["content"] for m in fake.channel_messages(CHANNEL_ID)] == ["question 1", "question 2"]
        with pytest.raises(discord.HTTPException) as refused:
            await channel.send("too long a nonce", nonce="n" * 26)
        assert refused.value.code == 50035
