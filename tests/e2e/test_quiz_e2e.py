"""The quiz through the real discord.py client and the fake Discord: buttons, reveals, results, load."""

from __future__ import annotations

import asyncio
import copy
import time
from pathlib import Path

import pytest

from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.inprocess import running_bot
from tests.e2e.quizsteps import (
    answer_ids,
    click,
    embed,
    past_deadline,
    questions,
    quiz_settings,
    start,
    titled,
    wait_titles,
)
from tests.fakediscord import FakeDiscord
from tests.quizkit import FakeClock

EPHEMERAL = 64


@pytest.fixture
def fake(fake_discord: FakeDiscord) -> FakeDiscord:
    fake_discord.add_guild(GUILD_ID, channels=[CHANNEL_ID, CHANNEL_ID + 1])
    return fake_discord


async def test_quiz_round_trip_in_a_channel(fake: FakeDiscord, tmp_path: Path, database_url: str | None) -> None:
    clock = FakeClock()
    async with running_bot(fake, quiz_settings(tmp_path, reveal=0, database_url=database_url), clock=clock):
        started = await start(fake, questions=2)
        assert embed(started["data"])["title"] == "Quiz starting"
        await fake.wait_for(lambda: len(questions(fake)) == 1, 10, "first question")
        first = questions(fake)[0]
        stale_copy = copy.deepcopy(first)
        assert embed(first)["title"] == "Question 1/2" and "<t:" in embed(first)["description"]
        assert len(first.get("nonce") or "") == 24, (
            "posted with a nonce, so a post retried after a crash is not doubled"
        )
        buttons = answer_ids(first)
        assert 2 <= len(buttons) <= 5

        for user, button in ((1, buttons[0]), (2, buttons[1]), (3, buttons[0])):
            ack = await click(fake, first, button, user)
            assert ack["data"]["flags"] & EPHEMERAL
            assert embed(ack["data"])["title"] == f"Locked in: {'ABCDE'[buttons.index(button)]}"
        again = await click(fake, first, buttons[1], 1)
        assert embed(again["data"])["title"] == "You already answered A"

        await past_deadline(fake, clock, lambda: bool(titled(fake, "the answer is")), "the first reveal")
        revealed = await wait_titles(fake, "the answer is")
        assert revealed[0]["id"] == first["id"], "the question message itself shows the answer"
        assert answer_ids(fake.messages[int(first["id"])]) == [], "answer buttons are removed at the reveal"
        description = embed(revealed[0])["description"]
        assert "**Why:**" in description
        assert embed(revealed[0])["fields"][0]["name"] == "Source"

        await fake.wait_for(
            lambda: len(questions(fake)) == 1 and questions(fake)[0]["id"] != first["id"], 10, "second question"
        )
        second = questions(fake)[0]
        posted = clock.now_ms()
        for user in (1, 2, 3):
            await click(fake, second, answer_ids(second)[0], user)
        await wait_titles(fake, "the answer is", count=2)
        assert clock.now_ms() == posted, "everyone had answered: revealed with the clock standing still"

        results = await wait_titles(fake, "Quiz over · results")
        lines = embed(results[0])["description"].splitlines()
        assert len(lines) == 3 and all("pts" in line for line in lines)
        stale_copy["id"] = str(fake.snowflake())  # a client still showing the old buttons
        late = await click(fake, stale_copy, buttons[0], 4)
        assert late["data"]["flags"] & EPHEMERAL and "This quiz is over" in embed(late["data"])["description"]

        board = await (
            await fake.invoke(
                "ketamine leaderboard", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=fake.make_member(2, "member2")
            )
        ).response()
        all_time = embed(board["data"])["fields"][0]["value"]
        assert all_time.count("pts") == 4 and "You: #" in all_time
        stats = await (
            await fake.invoke(
                "ketamine stats",
                {"member": fake.make_member(3, "member3")},
                guild_id=GUILD_ID,
                channel_id=CHANNEL_ID,
                member=fake.make_member(2, "member2"),
            )
        ).response()
        assert embed(stats["data"])["title"] == "Stats · member3"
        assert embed(stats["data"])["description"].startswith("2 questions answered")
    assert fake.errors == []
    assert all(m == {"parse": []} for m in fake.allowed_mentions)


async def test_one_quiz_per_channel_status_stop_and_dm(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, quiz_settings(tmp_path, seconds=30)):
        await start(fake, user=1)
        await fake.wait_for(lambda: len(questions(fake)) == 1, 10, "first question")
        busy = await start(fake, user=2)
        text = embed(busy["data"])["description"]
        assert busy["data"]["flags"] & EPHEMERAL and "already running" in text
        assert f"https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/{questions(fake)[0]['id']}" in text
        elsewhere = await start(fake, user=2, channel=CHANNEL_ID + 1)
        assert embed(elsewhere["data"])["title"] == "Quiz starting"

        status = await (
            await fake.invoke(
                "ketamine quiz status", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=fake.make_member(5, "e")
            )
        ).response()
        assert "Question 1 of" in embed(status["data"])["description"]
        refused = await (
            await fake.invoke(
                "ketamine quiz stop", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=fake.make_member(5, "e")
            )
        ).response()
        assert "Manage Server" in embed(refused["data"])["description"]
        manager = fake.make_member(6, "mod", permissions=0x20)  # MANAGE_GUILD
        stopped = await (
            await fake.invoke("ketamine quiz stop", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=manager)
        ).response()
        assert embed(stopped["data"])["title"] == "Quiz stopped"
        await wait_titles(fake, "Quiz stopped · results so far")
        click_after = await click(fake, questions(fake)[0], answer_ids(questions(fake)[0])[0], 7)
        assert "over" in embed(click_after["data"])["description"]

        dm = await (await fake.invoke("ketamine quiz start", guild_id=None, member=None)).response()
        assert dm["data"]["flags"] & EPHEMERAL and "server" in embed(dm["data"])["description"]
        bad = await (
            await fake.invoke(
                "ketamine quiz start", {"questions": 99}, guild_id=GUILD_ID, channel_id=CHANNEL_ID + 1, member=manager
            )
        ).response()
        assert (
            "from 1 to 50" in embed(bad["data"])["description"]
            or "already running" in embed(bad["data"])["description"]
        )
    assert fake.errors == []


async def test_fifty_members_click_in_the_same_second(
    fake: FakeDiscord, tmp_path: Path, database_url: str | None
) -> None:
    async with running_bot(fake, quiz_settings(tmp_path, seconds=30, database_url=database_url)) as bot:
        await start(fake)
        await fake.wait_for(lambda: len(questions(fake)) == 1, 10, "first question")
        message = questions(fake)[0]
        buttons = answer_ids(message)
        began = time.monotonic()
        handles = await asyncio.gather(
            *(
                fake.click(message, buttons[i % len(buttons)], member=fake.make_member(1000 + i, f"m{i}"))
                for i in range(50)
            )
        )
        responses = await asyncio.gather(*(h.response(5) for h in handles))
        spread = time.monotonic() - began
        assert all(embed(r["data"])["title"].startswith("Locked in") for r in responses)
        latencies = sorted(h.latency for h in handles)
        assert latencies[-1] < 3, latencies
        assert bot.quiz is not None
        (session,) = await bot.quiz.uow().quizzes.running()
        stored = await bot.quiz.uow().answers.answers(session.id, 0)
        assert len(stored) == 50 and len({a.user_id for a in stored}) == 50
        doubles = await asyncio.gather(
            *(fake.click(message, buttons[0], member=fake.make_member(1000 + i, f"m{i}")) for i in range(50))
        )
        again = await asyncio.gather(*(h.response(5) for h in doubles))
        assert all(embed(r["data"])["title"].startswith("You already answered") for r in again)
        assert len(await bot.quiz.uow().answers.answers(session.id, 0)) == 50
    print(
        f"50 clicks in {spread:.2f} s; slowest ack {latencies[-1] * 1000:.0f} ms, median {latencies[25] * 1000:.0f} ms"
    )
    assert fake.errors == []


async def test_deleted_question_message_the_quiz_goes_on(fake: FakeDiscord, tmp_path: Path) -> None:
    clock = FakeClock()
    async with running_bot(fake, quiz_settings(tmp_path, reveal=0), clock=clock):
        await start(fake, questions=2)
        await fake.wait_for(lambda: len(questions(fake)) == 1, 10, "first question")
        first = questions(fake)[0]
        fake.delete_message(int(first["id"]))  # a moderator deletes the quiz message
        first_reveal = "Question 1/2 · the answer is"
        await past_deadline(fake, clock, lambda: bool(titled(fake, first_reveal)), "the first reveal")
        revealed = await wait_titles(fake, first_reveal)
        assert revealed[0]["id"] != first["id"], "the reveal is posted as a new message"
        await wait_titles(fake, "Question 2/2")
        await past_deadline(fake, clock, lambda: bool(titled(fake, "Quiz over · results")), "the results")
    assert [e for e in fake.errors if "10008" not in str(e)] == []


async def test_clicks_racing_a_stop_are_in_the_results_or_told_the_quiz_is_over(
    fake: FakeDiscord, tmp_path: Path, database_url: str | None
) -> None:
    """Members click while the starter stops the quiz: each click is either acknowledged and in the posted
    results, or refused with "this quiz is over"; never acknowledged and left out."""
    async with running_bot(fake, quiz_settings(tmp_path, seconds=30, database_url=database_url)) as bot:
        await start(fake)
        await fake.wait_for(lambda: len(questions(fake)) == 1, 10, "first question")
        message = questions(fake)[0]
        buttons = answer_ids(message)
        assert bot.quiz is not None
        (session,) = await bot.quiz.uow().quizzes.running()
        starter = fake.make_member(1, "starter")
        clicks = [fake.click(message, buttons[0], member=fake.make_member(2000 + i, f"p{i}")) for i in range(8)]
        stop = fake.invoke("ketamine quiz stop", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=starter)
        handles = await asyncio.gather(*clicks[:4], stop, *clicks[4:])
        responses = await asyncio.gather(*(h.response(5) for h in handles))
        titles = {2000 + i: embed(r["data"]) for i, r in enumerate(responses[:4] + responses[5:])}
        assert embed(responses[4]["data"])["title"] == "Quiz stopped"
        acked = {user for user, e in titles.items() if e["title"].startswith("Locked in")}
        refused = {user for user, e in titles.items() if "This quiz is over" in e.get("description", "")}
        assert acked | refused == set(titles), titles
        await wait_titles(fake, "Quiz stopped · results so far", timeout=10)
        (results,) = [
            m
            for m in fake.channel_messages(CHANNEL_ID, include_ephemeral=False)
            if m.get("embeds") and embed(m).get("title") == "Quiz stopped · results so far"
        ]
        shown = str(embed(results))
        assert all(f"p{user - 2000}" in shown for user in acked), (acked, shown)
        stored = {a.user_id for a in await bot.quiz.uow().answers.answers(session.id)}
        assert stored == acked
