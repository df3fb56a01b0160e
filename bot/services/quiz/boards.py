"""Leaderboards and a member's stats (with a chart of their accuracy per topic, week by week): reads over stored
answers, no rule changes anything here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.core.content.library import ContentModule
from bot.core.errors import InvalidInput
from bot.core.quiz import progress
from bot.core.quiz import render as quiz_render
from bot.core.quiz.model import StoredAnswer
from bot.core.quiz.scoring import best_streak, week_start_ms
from bot.core.reply import Attachment, Reply, ReplyField
from bot.services.catalog import Caller
from bot.services.charts import ChartRenderer
from bot.services.clock import Clock
from bot.services.quiz.answer_writer import AnswerWriter
from bot.services.quiz.unit_of_work import AnswerStore

log = logging.getLogger(__name__)


def _guild(caller: Caller) -> int:
    if caller.guild_id is None:
        raise InvalidInput("Leaderboards and stats belong to a server; use this command in one.")
    return caller.guild_id


async def leaderboard(
    answers: AnswerStore,
    writer: AnswerWriter,
    clock: Clock,
    caller: Caller,
    module: ContentModule,
    this_channel: bool = False,
) -> Reply:
    guild_id = _guild(caller)
    await writer.write_names()
    scope = caller.channel_id if this_channel else None
    boards = []
    where = ", this channel" if this_channel else ""
    for title, since in ((f"All time{where}", None), (f"This week{where}", week_start_ms(clock.now_ms()))):
        rows = await answers.leaderboard(guild_id, since, channel_id=scope)
        mine = await answers.rank_of(guild_id, caller.user_id, since, channel_id=scope)
        boards.append(
            (
                title,
                [(r.user_id, r.points, r.correct, r.answered) for r in rows],
                None if mine is None else (mine[0], mine[1].points),
            )
        )
    users = {user for _, rows, _ in boards for user, *_ in rows}
    names = await answers.names(guild_id, sorted(users))
    return quiz_render.leaderboard_reply(module, boards, names)


async def stats(
    answers: AnswerStore,
    writer: AnswerWriter,
    clock: Clock,
    charts: ChartRenderer,
    caller: Caller,
    module: ContentModule,
    member: object,
    extra: Callable[[Caller, ContentModule, int], Awaitable[list[ReplyField]]] | None = None,
) -> Reply:
    """Answers, accuracy overall and per topic, best streak; then ``extra``'s fields (the member's own review
    cards)."""
    guild_id = _guild(caller)
    await writer.write_names()
    user_id = caller.user_id if member is None else int(str(member))
    history = await answers.history(guild_id, user_id)
    names = await answers.names(guild_id, [user_id])
    name = caller.display_name if user_id == caller.user_id else names.get(user_id, f"member {user_id}")
    topics: dict[str, list[bool]] = {}
    for answer in history:
        topics.setdefault(answer.topic, []).append(answer.correct)
    per_topic = [(topic, sum(marks), len(marks)) for topic, marks in sorted(topics.items())]
    reply = quiz_render.stats_reply(
        module,
        name,
        answered=len(history),
        correct=sum(1 for a in history if a.correct),
        points=sum(a.points for a in history),
        best_streak=best_streak([a.correct for a in history]),
        per_topic=per_topic,
        extra=[] if extra is None else await extra(caller, module, user_id),
    )
    return await with_accuracy_chart(reply, charts, module, history, clock.now_ms())


async def with_accuracy_chart(
    reply: Reply, charts: ChartRenderer, module: ContentModule, history: Sequence[StoredAnswer], now_ms: int
) -> Reply:
    """The stats reply with the chart of accuracy per topic over the last weeks attached, drawn off the event loop;
    or, when the member has answers but none in those weeks (or the chart could not be drawn), a line saying why
    there is no chart."""
    if not history:
        return reply  # the reply already says there are no answers
    chart = progress.accuracy_chart(module, history, now_ms)
    if chart is None:
        return quiz_render.without_chart(reply, progress.WEEKS)
    try:
        png = await charts.render(chart)
    except Exception:  # the figures are worth sending without their picture
        log.exception("the stats chart could not be drawn")
        return quiz_render.without_chart(reply, progress.WEEKS, drawn=False)
    return reply.model_copy(update={"attachment": Attachment(filename=progress.CHART_FILENAME, data=png, image=True)})
