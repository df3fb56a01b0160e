"""The real, unmodified discord.py client runs the bot against the fake Discord on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.core.content.library import ContentLibrary, ContentModule, TopicCommand
from bot.core.reply import Reply
from bot.discord_app.sync import SyncMode
from bot.services.app import App
from bot.services.bundle import Services
from bot.services.catalog import Caller, Handler, OptionValue
from bot.services.clock import Clock
from bot.services.content import ContentService
from bot.services.publisher import Publisher
from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.inprocess import bot_settings, running_bot
from tests.fakediscord import FakeDiscord
from tests.helpers import CONTENT, TOPIC_COMMANDS, add_second_module, copy_content

MODULE = ContentLibrary.load(CONTENT).modules["ketamine"]
DISCLAIMER = "For education only, not medical advice"
EPHEMERAL = 64


@pytest.fixture
def fake(fake_discord: FakeDiscord) -> FakeDiscord:
    fake_discord.add_guild(GUILD_ID, channels=[CHANNEL_ID])
    return fake_discord


def title_of(topic_id: str) -> str:
    topic = MODULE.topic(topic_id)
    assert topic is not None
    return topic.title


def embed_of(response: dict[str, Any]) -> dict[str, Any]:
    embeds = response["data"]["embeds"]
    assert len(embeds) == 1
    embed: dict[str, Any] = embeds[0]
    return embed


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message.get("components", []) for c in row.get("components", [])]


async def invoke(fake: FakeDiscord, name: str, **options: Any) -> tuple[dict[str, Any], Any]:
    handle = await fake.invoke(
        name, options or None, guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=fake.make_member(77, "ana")
    )
    return await handle.response(), handle


def assert_clean(fake: FakeDiscord) -> None:
    assert fake.errors == [], fake.errors
    assert fake.unknown_routes == []
    assert fake.allowed_mentions, "every message the bot sent is recorded"
    assert all(m == {"parse": []} for m in fake.allowed_mentions), fake.allowed_mentions


async def test_bot_registers_the_ketamine_group(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, bot_settings(tmp_path)) as bot:
        assert [g.id for g in bot.guilds] == [GUILD_ID]
    group, admin = fake.global_commands
    assert group["name"] == "ketamine" and admin["name"] == "ketamine-admin"
    names = [o["name"] for o in group["options"]]
    assert names == [
        *TOPIC_COMMANDS,
        "topics",
        "search",
        "sources",
        "quiz",
        "leaderboard",
        "stats",
        "review",
        "settings",
        "studygroup",
        "privacy",
        "help",
    ]
    assert [o["name"] for o in admin["options"]] == ["quiz", "settings", "studygroup", "export", "reports", "question"]
    effects = next(o for o in group["options"] if o["name"] == "effects")
    assert [c["value"] for c in effects["options"][0]["choices"]] == ["physical", "psychological", "both"]
    search = next(o for o in group["options"] if o["name"] == "search")
    query = search["options"][0]
    assert query["autocomplete"] is True and query["max_length"] == 100 and query["required"] is True
    assert fake.sync_count == 1


async def test_help_answers_only_the_member_who_asked(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, bot_settings(tmp_path)):
        response, _ = await invoke(fake, "ketamine help")
    assert response["data"]["flags"] & EPHEMERAL
    embed = embed_of(response)
    assert embed["title"] == "Ketamine for pain management: commands"
    assert "`/ketamine quiz start [questions] [topic] [difficulty]`" in embed["description"]
    assert "/ketamine-admin studygroup" not in embed["description"], "ana has no Manage Server"
    assert_clean(fake)


async def test_sync_only_when_the_tree_changed(fake: FakeDiscord, tmp_path: Path) -> None:
    settings = bot_settings(tmp_path)
    async with running_bot(fake, settings):
        pass
    async with running_bot(fake, settings):
        pass
    assert fake.sync_count == 1, "an unchanged tree is not synced again"
    async with running_bot(fake, settings, SyncMode.FORCE):
        pass
    assert fake.sync_count == 2
    async with running_bot(fake, settings, SyncMode.SKIP):
        pass
    assert fake.sync_count == 2
    content = copy_content(tmp_path)
    add_second_module(content)
    async with running_bot(fake, bot_settings(tmp_path, content_dir=content)):
        pass
    assert fake.sync_count == 3
    assert sorted(c["name"] for c in fake.global_commands) == [
        "caffeine",
        "caffeine-admin",
        "ketamine",
        "ketamine-admin",
    ]


async def test_dev_guild_sync_goes_to_that_guild_only(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, bot_settings(tmp_path, dev_guild_id=GUILD_ID)):
        pass
    assert fake.global_commands == []
    assert [c["name"] for c in fake.guild_commands[GUILD_ID]] == ["ketamine", "ketamine-admin"]


@pytest.mark.parametrize(
    ("command", "options", "topic_id"),
    [
        ("overview", {}, "overview"),
        ("uses", {}, "uses"),
        ("mechanism", {}, "mechanism"),
        ("pharmacokinetics", {}, "pharmacokinetics"),
        ("infusion", {}, "infusion"),
        ("risks", {}, "risks"),
        ("effects", {"kind": "physical"}, "physical-effects"),
        ("effects", {"kind": "psychological"}, "psychological-effects"),
        ("effects", {"kind": "both"}, "physical-effects"),
    ],
)
async def test_each_topic_command_gets_its_embed(
    fake: FakeDiscord, tmp_path: Path, command: str, options: dict[str, str], topic_id: str
) -> None:
    async with running_bot(fake, bot_settings(tmp_path)):
        response, handle = await invoke(fake, f"ketamine {command}", **options)
    assert response["type"] == 4
    embed = embed_of(response)
    assert embed["title"] == title_of(topic_id)
    topic = MODULE.topic(topic_id)
    assert topic is not None and embed["description"] == topic.summary
    assert DISCLAIMER in embed["footer"]["text"]
    assert handle.latency is not None and handle.latency < 3
    assert_clean(fake)


async def test_topics_menu_and_paging_work_across_a_restart(fake: FakeDiscord, tmp_path: Path) -> None:
    settings = bot_settings(tmp_path)
    async with running_bot(fake, settings) as bot:
        response, handle = await invoke(fake, "ketamine topics")
        index = handle.message
        assert embed_of(response)["title"] == MODULE.info.name
        assert custom_ids(index)[0] == "ksb:op:ketamine"
        opened = await (
            await fake.select(index, "ksb:op:ketamine", ["mechanism"], member=fake.make_member(78, "ben"))
        ).response()
        assert opened["type"] == 7 and embed_of(opened)["title"] == title_of("mechanism")
        page_message = fake.messages[int(index["id"])]
        assert "ksb:pg:ketamine:t.mechanism:1" in custom_ids(page_message)
        assert bot.persistent_views == [], "no view kept for the reply sent (see below)"

    async with running_bot(fake, settings) as bot:
        turned = await (await fake.click(page_message, "ksb:pg:ketamine:t.mechanism:1")).response()
        assert turned["type"] == 7
        embed = embed_of(turned)
        assert embed["title"].endswith("(continued)") and "Page 2/" in embed["footer"]["text"]
        back = await (await fake.click(fake.messages[int(index["id"])], "ksb:ix:ketamine")).response()
        assert embed_of(back)["title"] == MODULE.info.name
        # Clicks are taken by their custom_id: discord.py keeps no view of any message sent (it would keep one per
        # reply for good, and run an empty callback of its own at every click).
        assert bot.persistent_views == []
    assert_clean(fake)


async def test_search_and_autocomplete(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, bot_settings(tmp_path)):
        completion = await fake.autocomplete(
            "ketamine search", {"query": "nmda"}, "query", guild_id=GUILD_ID, channel_id=CHANNEL_ID
        )
        reply = await completion.response()
        assert reply["type"] == 8
        choices = reply["data"]["choices"]
        assert 0 < len(choices) <= 25 and choices[0]["name"].lower().startswith("nmda")

        found, handle = await invoke(fake, "ketamine search", query="norketamine")
        embed = embed_of(found)
        assert embed["title"] == "Search: norketamine" and "Metabolism" in embed["description"]
        first_result = custom_ids(handle.message)[0]
        opened = await (await fake.click(handle.message, first_result)).response()
        assert embed_of(opened)["title"].startswith("Pharmacokinetics")

        missing, _ = await invoke(fake, "ketamine search", query="zzqqxx")
        assert missing["data"]["flags"] & EPHEMERAL and "Nearest:" in embed_of(missing)["description"]
    assert_clean(fake)


@pytest.mark.parametrize(
    ("name", "options", "expected"),
    [
        ("ketamine search", {"query": "q" * 500}, "500 characters long"),
        ("ketamine search", {"query": "   "}, "is empty"),
        ("ketamine effects", {"kind": "loud"}, "must be one of: physical, psychological, both"),
    ],
)
async def test_bad_input_gets_an_ephemeral_message(
    fake: FakeDiscord, tmp_path: Path, name: str, options: dict[str, str], expected: str
) -> None:
    async with running_bot(fake, bot_settings(tmp_path)):
        response, _ = await invoke(fake, name, **options)
    assert response["data"]["flags"] & EPHEMERAL
    assert expected in embed_of(response)["description"]
    assert "Traceback" not in str(response)
    assert_clean(fake)


async def test_forged_button_gets_a_clear_refusal(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, bot_settings(tmp_path)):
        _, handle = await invoke(fake, "ketamine mechanism")
        message = dict(handle.message)
        message["id"] = str(fake.snowflake())
        forged = [
            {"type": 1, "components": [{"type": 2, "style": 2, "label": "x", "custom_id": "ksb:pg:ketamine:t.gone:0"}]}
        ]
        message["components"] = forged
        refused = await (await fake.click(message, "ksb:pg:ketamine:t.gone:0")).response()
    assert refused["type"] == 4 and refused["data"]["flags"] & EPHEMERAL
    assert "no longer in /ketamine" in embed_of(refused)["description"]


class ExplodingContent(ContentService):
    """Every topic command fails the way a bug in it would."""

    def topic_handler(self, command: TopicCommand) -> Handler:
        async def explode(caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
            raise ZeroDivisionError("boom")

        return explode


def with_exploding_content(app: App, clock: Clock, publisher: Publisher) -> Services:
    """The production graph, with the content service swapped for ``ExplodingContent``."""
    return Services.create(dataclasses.replace(app, content=ExplodingContent(app.library)), clock, publisher)


async def test_unexpected_error_shows_a_code_not_a_traceback(
    fake: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(fake, bot_settings(tmp_path), build_services=with_exploding_content):
        response, _ = await invoke(fake, "ketamine overview")
    text = embed_of(response)["description"]
    assert response["data"]["flags"] & EPHEMERAL
    assert "error `E-" in text and "ZeroDivisionError" not in text and "Traceback" not in text
    code = text.split("`")[1]
    logged = [r for r in caplog.records if code in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None


async def test_a_reply_too_late_for_discord_is_one_warning_not_an_error(
    fake: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An overloaded bot answers after Discord's 3 s: Discord refuses the reply (10062). The member cannot be told
    anything more, and it is not a bug: a warning saying what it means, then a count a minute, no traceback."""
    async with running_bot(fake, bot_settings(tmp_path)):
        fake.interaction_deadline = 0.0  # every reply arrives after the window
        handles = [
            await fake.invoke("ketamine overview", guild_id=GUILD_ID, channel_id=CHANNEL_ID) for _ in range(3)
        ]
        await fake.wait_for(lambda: all(h.record.rejected_callbacks for h in handles), 10, "three refused replies")
        await fake.wait_for(lambda: len(fake.errors) == 3, 5, "nothing else sent")
    assert all(error.code == 10062 for error in fake.errors), fake.errors
    problems = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info is not None]
    assert problems == []
    warned = [r.getMessage() for r in caplog.records if "expired before its reply reached Discord" in r.getMessage()]
    assert len(warned) == 1, "one line, not one per interaction"
    assert "ms after Discord sent it; 3000 allowed" in warned[0] and "This interaction failed" in warned[0]
