"""``/ketamine stats`` with its chart of accuracy per topic over the last eight weeks, on both engines."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from bot.core.chart import GridChart
from bot.core.quiz.progress import CHART_FILENAME, WEEK_MS
from bot.services.bundle import Services
from bot.services.catalog import Caller
from bot.services.charts import ChartRenderer
from tests.helpers import make_settings
from tests.quizkit import FakeClock, RecordingPublisher
from tests.servicekit import close_services, open_services


def member(user: int) -> Caller:
    return Caller(user_id=user, display_name=f"user{user}", guild_id=10, channel_id=20)


async def answer_a_question(services: Services, caller: Caller) -> None:
    publisher = services.quiz.publisher
    assert isinstance(publisher, RecordingPublisher)
    await services.router.run(caller, "ketamine", "quiz start", {"questions": 1})
    await publisher.wait_until(lambda: any(r.buttons for _, _, r in publisher.posts))
    question = next(r for _, _, r in publisher.posts if r.buttons)
    assert (await services.router.press(caller, question.buttons[0].action)).title.startswith("Locked in")


async def test_stats_attach_the_chart_of_the_last_eight_weeks(services: Services) -> None:
    await answer_a_question(services, member(1))
    reply = await services.router.run(member(2), "ketamine", "stats", {"member": "1"})
    assert not reply.is_error and reply.title == "Stats · user1"
    chart = reply.attachment
    assert chart is not None and chart.image and chart.filename == CHART_FILENAME and chart.data is not None
    assert chart.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", chart.data[16:24]) == (800, 200), "one topic answered: one row"


async def test_no_chart_without_answers_and_a_word_why_when_they_are_older(services: Services) -> None:
    nobody = await services.router.run(member(2), "ketamine", "stats", {})
    assert nobody.attachment is None and "No quiz answers" in nobody.body
    await answer_a_question(services, member(1))
    clock = services.quiz.clock
    assert isinstance(clock, FakeClock)
    await clock.advance(8 * WEEK_MS)
    old = await services.router.run(member(1), "ketamine", "stats", {})
    assert old.attachment is None
    assert old.fields[-1].name == "Last 8 weeks" and "no chart" in str(old.fields[-1].value)
    assert "1 question answered" in old.body, "the stats themselves are all time"


async def test_a_chart_that_cannot_be_drawn_leaves_the_stats_and_says_so(
    tmp_path: Path, database_url: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_: GridChart) -> bytes:
        raise RuntimeError("no fonts today")

    settings = make_settings(tmp_path, database_url=database_url)
    services = await open_services(settings, FakeClock(), RecordingPublisher(), charts=ChartRenderer(broken))
    try:
        await answer_a_question(services, member(1))
        reply = await services.router.run(member(1), "ketamine", "stats", {})
    finally:
        await close_services(services)
    assert not reply.is_error and reply.attachment is None and "1 question answered" in reply.body
    assert "could not be drawn" in str(reply.fields[-1].value)
    assert "the stats chart could not be drawn" in caplog.text and "no fonts today" in caplog.text
