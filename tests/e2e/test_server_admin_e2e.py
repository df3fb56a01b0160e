"""Settings, study groups, the question of the day across a restart, privacy and mentions, through the fake Discord."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.inprocess import bot_settings, running_bot
from tests.e2e.quizsteps import answer_ids, embed, questions
from tests.fakediscord import FakeDiscord
from tests.quizkit import FakeClock

EPHEMERAL = 64
MANAGE_GUILD = 0x20
STUDY = CHANNEL_ID + 1


@pytest.fixture
def fake(fake_discord: FakeDiscord) -> FakeDiscord:
    fake_discord.add_guild(GUILD_ID, channels=[CHANNEL_ID, STUDY])
    fake_discord.add_guild(GUILD_ID + 1, channels=[9_999])
    return fake_discord


async def run(
    fake: FakeDiscord, name: str, user: int = 2, manage: bool = False, where: int = CHANNEL_ID, **options: Any
) -> dict[str, Any]:
    member = fake.make_member(user, "admin" if manage else f"member{user}", permissions=MANAGE_GUILD if manage else 0)
    handle = await fake.invoke(name, options or None, guild_id=GUILD_ID, channel_id=where, member=member)
    response: dict[str, Any] = await handle.response(5)
    return response


def text_of(response: dict[str, Any]) -> str:
    return str(embed(response["data"]).get("description", ""))


async def test_settings_need_manage_server_even_if_discord_lets_the_command_through(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running_bot(fake, bot_settings(tmp_path)):
        refused = await run(fake, "ketamine-admin settings set", setting="seconds", value="30")
        assert refused["data"]["flags"] & EPHEMERAL and "Manage Server" in text_of(refused)
        bad = await run(fake, "ketamine-admin settings set", manage=True, setting="seconds", value="3")
        assert "from 5 to 120" in text_of(bad)
        done = await run(fake, "ketamine-admin settings set", manage=True, setting="seconds", value="30")
        assert embed(done["data"])["title"] == "Setting changed"
        shown = await run(fake, "ketamine settings show")
        assert any(f["value"].startswith("**30**") for f in embed(shown["data"])["fields"])
        history = await run(fake, "ketamine settings history")
        assert "**Seconds per question**: default → **30**" in text_of(history)
        blocked = await fake.invoke(
            "ketamine-admin studygroup add",
            {"channel": STUDY},
            guild_id=GUILD_ID,
            channel_id=CHANNEL_ID,
            member=fake.make_member(3, "m3"),
        )
        assert "Manage Server" in text_of(await blocked.response(5))
        foreign = await run(fake, "ketamine-admin studygroup add", manage=True, **{"channel": 9_999})
        assert "text channel of this server" in text_of(foreign)
        added = await run(fake, "ketamine-admin studygroup add", manage=True, **{"channel": STUDY, "topic": "risks"})
        assert embed(added["data"])["title"] == "Study group saved"
        elsewhere = await run(fake, "ketamine quiz start", user=4)
        assert f"<#{STUDY}>" in text_of(elsewhere)
        here = await run(fake, "ketamine quiz start", user=4, where=STUDY)
        assert embed(here["data"])["title"] == "Quiz starting"
    assert fake.errors == []


async def test_settings_history_pages_in_place(fake: FakeDiscord, tmp_path: Path) -> None:
    """Older and Newer edit the history message (ephemeral, so only its reader sees it) instead of piling up."""
    async with running_bot(fake, bot_settings(tmp_path)):
        for n in range(11):
            await run(fake, "ketamine-admin settings set", manage=True, setting="questions", value=str(30 + n))
        same = await run(fake, "ketamine-admin settings set", manage=True, setting="questions", value="40")
        assert embed(same["data"])["title"] == "Setting unchanged"
        member = fake.make_member(3, "m3")
        handle = await fake.invoke("ketamine settings history", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=member)
        first = await handle.response(5)
        assert first["data"]["flags"] & EPHEMERAL and "page 1/2" in embed(first["data"])["footer"]["text"]
        assert len(text_of(first).splitlines()) == 10
        message = handle.message
        assert message is not None
        turned = await (await fake.click(message, "ksb:sh:ketamine:1", member=member)).response(5)
        assert turned["type"] == 7, "the page replaces the clicked message"
        assert text_of(turned).endswith("**Questions per quiz**: default → **30**")
        assert "page 2/2" in embed(message)["footer"]["text"] and int(message["flags"]) & EPHEMERAL
    assert fake.errors == []


async def test_question_of_the_day_after_a_restart_between_the_schedule_and_the_post(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    clock = FakeClock(int(datetime(2026, 11, 24, 7, 0, tzinfo=UTC).timestamp() * 1000))
    settings = bot_settings(tmp_path)
    async with running_bot(fake, settings, clock=clock):
        for key, value in (("timezone", "Europe/Berlin"), ("daily_time", "09:00")):
            await run(fake, "ketamine-admin settings set", manage=True, setting=key, value=value)
        await run(fake, "ketamine-admin studygroup add", manage=True, **{"channel": STUDY, "daily": "on"})
    # The bot is down at 09:00 Berlin time (08:00 UTC) and comes back at 09:30.
    await clock.advance(90 * 60 * 1000)
    async with running_bot(fake, settings, clock=clock):
        await fake.wait_for(lambda: len(questions(fake, STUDY)) == 1, 10, "the missed question of the day")
        daily = questions(fake, STUDY)[0]
        assert embed(daily)["title"] == "Question of the day"
        ack = await fake.click(daily, answer_ids(daily)[0], member=fake.make_member(5, "owl"))
        assert embed((await ack.response(5))["data"])["title"].startswith("Locked in")
    async with running_bot(fake, settings, clock=clock):
        await clock.advance(60_000)
        assert len([m for m in fake.channel_messages(STUDY) if embed(m).get("title") == "Question of the day"]) == 1
    assert fake.errors == []


async def test_privacy_export_and_forget(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, bot_settings(tmp_path, quiz_seconds=30)) as bot:
        await run(fake, "ketamine quiz start", user=6)
        await fake.wait_for(lambda: len(questions(fake)) == 1, 10, "question")
        question = questions(fake)[0]
        await (await fake.click(question, answer_ids(question)[0], member=fake.make_member(6, "member6"))).response(5)
        handle = await fake.invoke(
            "ketamine privacy export", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=fake.make_member(6, "member6")
        )
        export = await handle.response(5)
        assert export["data"]["flags"] & EPHEMERAL
        (attachment,) = handle.message["attachments"]
        assert attachment["filename"] == "ketamine-study-bot-6.json"
        data = json.loads(fake.attachments[int(attachment["id"])])
        assert data["user_id"] == 6 and len(data["quiz_answers"]) == 1

        ask = await fake.invoke(
            "ketamine privacy forget", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=fake.make_member(6, "member6")
        )
        await ask.response(5)
        confirm = next(
            i
            for row in ask.message["components"]
            for i in [c["custom_id"] for c in row["components"]]
            if i.startswith("ksb:fg:")
        )
        done = await (await fake.click(ask.message, confirm, member=fake.make_member(6, "member6"))).response(5)
        assert embed(done["data"])["title"] == "Your data is deleted"
        assert bot.quiz is not None and await bot.quiz.uow().answers.history(GUILD_ID, 6) == []
    assert fake.errors == []


async def test_names_echoed_by_the_bot_cannot_ping(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, bot_settings(tmp_path, quiz_seconds=30)):
        await run(fake, "ketamine quiz start", user=7)
        await fake.wait_for(lambda: len(questions(fake)) == 1, 10, "question")
        question = questions(fake)[0]
        for user, name in ((7, "@everyone"), (8, "<@&123> **boss**"), (9, "@here")):
            await (await fake.click(question, answer_ids(question)[0], member=fake.make_member(user, name))).response(5)
        board = await run(fake, "ketamine leaderboard", user=7)
        text = embed(board["data"])["fields"][0]["value"]
        assert "\\@everyone" in text and "\\@here" in text and "\\<\\@\\&123\\>" in text
        assert "@everyone" not in text.replace("\\@everyone", "")
    assert fake.allowed_mentions and all(m == {"parse": []} for m in fake.allowed_mentions)
    assert fake.errors == []


async def test_removal_from_a_server_starts_its_grace_period(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, bot_settings(tmp_path)) as bot:
        await run(fake, "ketamine-admin settings set", manage=True, setting="questions", value="5")
        fake.remove_guild(GUILD_ID)

        async def departed() -> list[Any]:
            return await bot.app.db.fetch_all("SELECT guild_id FROM guild_departures")

        for _ in range(50):
            if await departed():
                break
            await asyncio.sleep(0.05)
        assert [r["guild_id"] for r in await departed()] == [GUILD_ID]
        fake.add_guild(GUILD_ID, channels=[CHANNEL_ID, STUDY])  # invited back in time: nothing is deleted
        for _ in range(50):
            if not await departed():
                break
            await asyncio.sleep(0.05)
        assert await departed() == []


async def test_admin_commands_are_a_top_level_command_discord_hides_from_members(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    """Discord applies a default permission and DM availability only to top-level commands: the admin commands
    live under /ketamine-admin, registered for Manage Server and servers only; /ketamine keeps no admin command."""
    async with running_bot(fake, bot_settings(tmp_path)):
        commands = {c["name"]: c for c in fake.global_commands}
    assert set(commands) == {"ketamine", "ketamine-admin"}
    admin, public = commands["ketamine-admin"], commands["ketamine"]
    assert int(admin["default_member_permissions"]) == MANAGE_GUILD
    assert admin.get("dm_permission") is False or admin.get("contexts") == [0]
    assert public.get("default_member_permissions") is None

    def leaves(command: dict[str, Any]) -> set[str]:
        found = set()
        for option in command.get("options", []):
            if option["type"] == 2:  # a subcommand group
                found |= {f"{option['name']} {sub['name']}" for sub in option.get("options", [])}
            elif option["type"] == 1:
                found.add(option["name"])
        return found

    assert leaves(admin) == {
        *("settings set", "studygroup add", "studygroup remove", "quiz close-daily"),
        *("reports list", "reports resolve", "reports dismiss", "question hide", "question show", "export"),
    }
    assert not leaves(public) & leaves(admin)
    assert {"settings show", "settings history", "studygroup list", "quiz start", "quiz stop"} <= leaves(public)
