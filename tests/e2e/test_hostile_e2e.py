"""Hostile clicks and option values through the real discord.py client and the fake Discord.

A hundred component clicks with random and forged custom_ids (``ksb:`` near-misses, other servers' quiz
sessions, random text) and hostile values for ``/ketamine search`` and ``/ketamine quiz start``. Every id the
bot claims (``ksb:…``) gets exactly one answer within Discord's 3 s, errors only to the clicker; an id that is
not the bot's is left alone (discord.py does not answer it; Discord shows "interaction failed") and nothing is
logged. No message shows a traceback, and the bot still answers normally at the end.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import random
from pathlib import Path
from typing import Any

import pytest

from bot.core.actions import PREFIX
from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.inprocess import bot_settings, running_bot
from tests.fakediscord import FakeDiscord, InteractionHandle
from tests.hostilekit import FIXED_TEXT, NEAR_MISSES, repeated

EPHEMERAL = 64
OTHER_GUILD, OTHER_CHANNEL = 5252, 5353
ERROR_TITLE = "Sorry, that did not work"
CLICKS = 100
ALPHABET = [*"abcdefghijklmnopqrstuvwxyz0123456789:.-_ ", "é", "🧪", "\x00", "\n", "\u202e", "@", "<", ">", "`", "*"]


@pytest.fixture
def fake(fake_discord: FakeDiscord) -> FakeDiscord:
    fake_discord.add_guild(GUILD_ID, channels=[CHANNEL_ID])
    fake_discord.add_guild(OTHER_GUILD, channels=[OTHER_CHANNEL])
    return fake_discord


def claimed(custom_id: str) -> bool:
    """Every ``ksb:`` id is the bot's: well formed or not, it takes it and answers it (the rest it ignores)."""
    return custom_id.startswith(PREFIX)


def answer_ids(message: dict[str, Any]) -> list[str]:
    ids = [c["custom_id"] for row in message.get("components", []) for c in row.get("components", [])]
    return [i for i in ids if i.startswith("ksb:qa:")]


def questions(fake: FakeDiscord, channel: int) -> list[dict[str, Any]]:
    return [m for m in fake.channel_messages(channel, include_ephemeral=False) if answer_ids(m)]


def random_text(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(size))


def random_custom_ids(rng: random.Random, mine: list[str], theirs: list[str]) -> list[str]:
    """Forged and random custom_ids, at most 100 characters as Discord allows."""
    makers = [
        lambda: "ksb:" + rng.choice(NEAR_MISSES),
        lambda: rng.choice(NEAR_MISSES),
        lambda: "ksb:" + random_text(rng, rng.randint(0, 96)),
        lambda: random_text(rng, rng.randint(1, 100)),
        lambda: rng.choice(theirs),  # another server's quiz
        lambda: rng.choice(mine).rsplit(":", 1)[0] + ":" + rng.choice(["9", "5", "x", "", "00", "4"]),
        lambda: rng.choice(mine).replace(":0:", rng.choice([":7:", ":99:", ":-1:", "::"]), 1),
        lambda: rng.choice(["KSB:ix:ketamine", " ksb:ix:ketamine", "ksb:ix:ketamine ", "ksb:ix:", "ksb:"]),
        lambda: "ksb:op:" + rng.choice(["ketamine", "other", "", random_text(rng, 20)]),
        lambda: rng.choice(["ksb:ix:ketamine", "ksb:pg:ketamine:s:1", "ksb:pg:ketamine:t.mechanism:0"]),
    ]
    return [rng.choice(makers)()[:100] for _ in range(CLICKS)]


def forged_message(template: dict[str, Any], fake: FakeDiscord, custom_id: str, rng: random.Random) -> dict[str, Any]:
    """A copy of a message the bot sent, in this server's channel, carrying one component with ``custom_id``."""
    message = copy.deepcopy(template)
    message["id"] = str(fake.snowflake())
    message["channel_id"] = str(CHANNEL_ID)
    if custom_id.startswith("ksb:op:") or rng.random() < 0.1:
        values = [random_text(rng, rng.randint(1, 30)) or "x" for _ in range(rng.randint(1, 3))]
        values = list(dict.fromkeys([*values, *rng.sample(["mechanism", "gone", "risks"], 1)]))
        component = {
            "type": 3,
            "custom_id": custom_id,
            "options": [{"label": v, "value": v} for v in values],
            "min_values": 1,
            "max_values": len(values),
        }
    else:
        component = {"type": 2, "style": 1, "label": "x", "custom_id": custom_id}
    message["components"] = [{"type": 1, "components": [component]}]
    return message


async def click(fake: FakeDiscord, message: dict[str, Any], custom_id: str, rng: random.Random) -> InteractionHandle:
    member = fake.make_member(rng.randint(1, 30), rng.choice(["ana", "@everyone", "<@&1> **x**"]))
    component = message["components"][0]["components"][0]
    if component["type"] == 3:
        values = [o["value"] for o in component["options"]]
        chosen = rng.sample(values, rng.randint(1, len(values)))
        return await fake.select(message, custom_id, chosen, member=member, guild_id=GUILD_ID, channel_id=CHANNEL_ID)
    return await fake.click(message, custom_id, member=member, guild_id=GUILD_ID, channel_id=CHANNEL_ID)


def assert_answered_once(handle: InteractionHandle, what: str) -> dict[str, Any]:
    record = handle.record
    assert record.callback is not None, f"{what}: no answer"
    assert handle.latency is not None and handle.latency < 3, f"{what}: answered after {handle.latency} s"
    assert record.rejected_callbacks == [] and record.followup_ids == [], f"{what}: answered more than once"
    data = record.callback.get("data") or {}
    for embed in data.get("embeds") or []:
        if embed.get("title") == ERROR_TITLE:
            assert data.get("flags", 0) & EPHEMERAL, f"{what}: an error shown to everyone"
            assert embed.get("description"), f"{what}: an error with no message"
            assert "Something went wrong on our side" not in embed["description"], f"{what}: an unexpected error"
    return record.callback


async def test_hostile_clicks_and_options_each_get_one_answer_or_are_ignored(
    fake: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture, database_url: str | None
) -> None:
    caplog.set_level(logging.WARNING)
    rng = random.Random(20261124)
    settings = bot_settings(
        tmp_path, quiz_seconds=60, quiz_questions=2, quiz_reveal_seconds=0.2, database_url=database_url
    )
    async with running_bot(fake, settings):
        # A quiz in each server: this server's answer ids to mangle, and the other server's to replay here.
        quizzes: dict[int, list[str]] = {}
        for guild, channel in ((GUILD_ID, CHANNEL_ID), (OTHER_GUILD, OTHER_CHANNEL)):
            started = await fake.invoke(
                "ketamine quiz start", guild_id=guild, channel_id=channel, member=fake.make_member(1, "starter")
            )
            await started.response(3)
            assert_answered_once(started, "quiz start")
            await fake.wait_for(lambda channel=channel: bool(questions(fake, channel)), 10, "a question")
            quizzes[guild] = answer_ids(questions(fake, channel)[0])
        overview = await fake.invoke("ketamine overview", guild_id=GUILD_ID, channel_id=CHANNEL_ID)
        await overview.response(3)
        template = overview.message
        assert template is not None

        handles: list[tuple[str, bool, InteractionHandle]] = []
        for custom_id in random_custom_ids(rng, quizzes[GUILD_ID], quizzes[OTHER_GUILD]):
            handle = await click(fake, forged_message(template, fake, custom_id, rng), custom_id, rng)
            if claimed(custom_id):
                await handle.response(3)
                assert_answered_once(handle, f"click {custom_id!r}")
            handles.append((custom_id, claimed(custom_id), handle))

        option_sets: list[tuple[str, dict[str, Any]]] = []
        for text in [*FIXED_TEXT, repeated("@everyone ", 6000), repeated("x", 101)]:
            option_sets.append(("ketamine search", {"query": text}))
        for number in (0, -1, 51, 2**53, 2**70, -(2**70), 3):
            option_sets.append(("ketamine quiz start", {"questions": number, "difficulty": rng.choice([0, 4, 2])}))
        for text in rng.sample(FIXED_TEXT, 12):
            option_sets.append(("ketamine quiz start", {"topic": text}))
        other_member = fake.make_member(OTHER_GUILD + 1, "@everyone")
        option_sets.append(("ketamine stats", {"member": other_member}))
        for name, options in option_sets:
            handle = await fake.invoke(
                name, options, guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=fake.make_member(2, "ben")
            )
            await handle.response(3)
            answer = assert_answered_once(handle, f"/{name} {json.dumps(options)[:80]}")
            assert answer["type"] == 4

        await asyncio.sleep(0.3)  # time for any late, unexpected answer to an id the bot does not claim
        ignored = [(cid, h) for cid, mine, h in handles if not mine]
        answered = [cid for cid, mine, h in handles if mine]
        assert len(answered) >= 60 and len(ignored) >= 10, (len(answered), len(ignored))
        assert all(h.record.callback is None for _, h in ignored), [cid for cid, h in ignored if h.acknowledged]
        refusals = [h for _, mine, h in handles if mine and (h.record.callback or {}).get("type") == 4]
        assert refusals, "no forged id was refused"

        final = await fake.invoke("ketamine overview", guild_id=GUILD_ID, channel_id=CHANNEL_ID)
        response = await final.response(3)
        assert response["type"] == 4 and response["data"]["embeds"][0]["title"].startswith("Ketamine")

    shown = json.dumps([*fake.messages.values(), *(r.callback for r in fake.interactions.values())])
    assert "Traceback" not in shown and "Something went wrong on our side" not in shown
    assert fake.errors == [], fake.errors
    assert all(m == {"parse": []} for m in fake.allowed_mentions)
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged == [], [r.getMessage() for r in logged]
