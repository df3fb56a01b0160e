"""Quiz replies: the question with its answer buttons and countdown, the reveal, results, leaderboards, stats.

A question's closing time is a ``Timestamp`` token (a live countdown on Discord, a local clock time in the
console). Names come from the caller and become words through ``display_name``, which escapes them, and nothing
here can ping: adapters send with mentions disabled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.actions import AnswerQuestion
from bot.core.content.library import ContentModule
from bot.core.content.models import Question
from bot.core.content.sections import read_more
from bot.core.moderation import report_button
from bot.core.quiz.scoring import Standing
from bot.core.render import footer
from bot.core.reply import Button, Reply, ReplyField
from bot.core.text import Timestamp, display_name, text
from bot.core.words import plural

LETTERS = "ABCDE"


def letter(choice: int) -> str:
    return LETTERS[choice]


def who(user_id: int, names: Mapping[int, str]) -> str:
    return display_name(names.get(user_id, f"member {user_id}"))


def heading(position: int, total: int, daily: bool) -> str:
    """How a question is named: "Question 3/10", or "Question of the day"."""
    return "Question of the day" if daily else f"Question {position + 1}/{total}"


def question_reply(
    module: ContentModule,
    session_id: int,
    position: int,
    total: int,
    question: Question,
    deadline_ms: int,
    daily: bool = False,
) -> Reply:
    lines = [question.prompt, ""]
    lines += [f"**{letter(i)})** {choice.text}" for i, choice in enumerate(question.choices)]
    lines += ["", "Answer with the buttons · closes "]
    topic = module.topic(question.topic)
    return Reply(
        title=heading(position, total, daily),
        body=text("\n".join(lines), Timestamp(deadline_ms)),
        fields=[
            ReplyField(name="Topic", value=topic.title if topic else question.topic, inline=True),
            ReplyField(
                name="Difficulty", value="●" * question.difficulty + "○" * (3 - question.difficulty), inline=True
            ),
        ],
        footer=footer(module, f"Source: {question.source}"),
        color=module.info.color,
        buttons=[
            Button(label=letter(i), action=AnswerQuestion(session_id, position, i).encode(), style="primary")
            for i in range(len(question.choices))
        ],
    )


def reveal_reply(
    module: ContentModule,
    position: int,
    total: int,
    question: Question,
    picks: Sequence[int],
    scorers: Sequence[tuple[int, int]],
    names: Mapping[int, str],
    daily: bool = False,
) -> Reply:
    """The answer: correct choice, why, source, how many picked each choice, who scored (user, points); the question's
    id (moderators name it to hide it); "Read more", which opens the section the question comes from for the clicker
    alone, and a button to report a problem with it."""
    right = question.answer
    lines = [question.prompt, ""]
    for i, choice in enumerate(question.choices):
        mark = "✅" if i == right else "▫️"
        lines.append(f"{mark} **{letter(i)})** {choice.text} · {picks[i] if i < len(picks) else 0}")
    lines += ["", f"**Why:** {question.explanation}"]
    source = module.sources.get(question.source)
    cited = f"{question.source} · {source.short}" if source else question.source
    scored = ", ".join(f"{who(u, names)} +{p}" for u, p in scorers[:15]) or "Nobody this time."
    if len(scorers) > 15:
        scored += f" and {len(scorers) - 15} more"
    more = read_more(module, question)
    return Reply(
        title=f"{heading(position, total, daily)} · the answer is {letter(right)}",
        body="\n".join(lines),
        fields=[
            ReplyField(name="Source", value=cited[:1024]),
            ReplyField(name=f"Scored ({len(scorers)})", value=scored[:1024]),
        ],
        footer=footer(module, f"Question {question.id} · {sum(picks)} answered"),
        color=module.info.color,
        buttons=([more] if more else []) + [report_button(module.id, question)],
    )


def results_reply(
    module: ContentModule, table: Sequence[Standing], names: Mapping[int, str], asked: int, stopped: bool
) -> Reply:
    title = "Quiz stopped · results so far" if stopped else "Quiz over · results"
    if not table:
        return Reply(
            title=title, body="Nobody answered. Start another with the quiz start command.", footer=footer(module)
        )
    medals = ["🥇", "🥈", "🥉"]
    lines = []
    for rank, row in enumerate(table[:10]):
        badge = medals[rank] if rank < 3 and row.points > 0 else f"{rank + 1}."  # no medal for scoring nothing
        lines.append(
            f"{badge} **{who(row.user_id, names)}** · {plural(row.points, 'pt')} · {row.correct}/{row.answered} right "
            f"({row.accuracy:.0%})"
        )
    fastest = [r for r in table if r.fastest_ms is not None]
    fields = []
    if fastest:
        best = min(fastest, key=lambda r: r.fastest_ms or 0)
        fields.append(
            ReplyField(
                name="Fastest correct answer",
                value=f"{who(best.user_id, names)} in {(best.fastest_ms or 0) / 1000:.1f} s",
            )
        )
    fields.append(ReplyField(name="Questions", value=str(asked), inline=True))
    fields.append(ReplyField(name="Players", value=str(len(table)), inline=True))
    return Reply(title=title, body="\n".join(lines), fields=fields, footer=footer(module), color=module.info.color)


def leaderboard_reply(
    module: ContentModule,
    boards: Sequence[tuple[str, Sequence[tuple[int, int, int, int]], tuple[int, int] | None]],
    names: Mapping[int, str],
) -> Reply:
    """Boards of (title, rows of (user, points, correct, answered), the caller's (rank, points) or None)."""
    fields = []
    for title, rows, mine in boards:
        lines = [
            f"{rank}. **{who(user, names)}** · {plural(points, 'pt')} · {correct}/{answered}"
            for rank, (user, points, correct, answered) in enumerate(rows, start=1)
        ] or ["No answers yet."]
        lines.append(f"You: #{mine[0]} with {plural(mine[1], 'pt')}" if mine else "You: no answers yet")
        fields.append(ReplyField(name=title, value="\n".join(lines)[:1024]))
    return Reply(title="Leaderboard", fields=fields, footer=footer(module), color=module.info.color)


def stats_reply(
    module: ContentModule,
    name: str,
    answered: int,
    correct: int,
    points: int,
    best_streak: int,
    per_topic: Sequence[tuple[str, int, int]],
    extra: Sequence[ReplyField] = (),
) -> Reply:
    """``extra``: fields after the quiz's own (the member's review cards, in their own stats)."""
    if answered == 0:
        return Reply(
            title=f"Stats · {display_name(name)}",
            body="No quiz answers in this server yet.",
            fields=list(extra),
            footer=footer(module),
            color=module.info.color,
        )
    lines = []
    for topic_id, right, total in per_topic:
        topic = module.topic(topic_id)
        lines.append(f"**{topic.title if topic else topic_id}** · {right}/{total} ({right / total:.0%})")
    return Reply(
        title=f"Stats · {display_name(name)}",
        body=(
            f"{plural(answered, 'question')} answered, {correct} right ({correct / answered:.0%}), "
            f"{plural(points, 'point')}."
        ),
        fields=[
            ReplyField(name="Best streak", value=f"{best_streak} right in a row", inline=True),
            ReplyField(name="By topic", value="\n".join(lines)[:1024]),
            *extra,
        ],
        footer=footer(module),
        color=module.info.color,
    )


def without_chart(reply: Reply, weeks: int, drawn: bool = True) -> Reply:
    """A stats reply without its chart, saying why: the member's answers are all older than the chart's weeks, or
    (``drawn=False``) the chart could not be drawn this time."""
    span = plural(weeks, "week")
    why = f"No answers in the last {span}, so no chart of them."
    if not drawn:
        why = "The chart could not be drawn this time; the figures above are complete. Ask again later."
    note = ReplyField(name=f"Last {span}", value=why)
    return reply.model_copy(update={"fields": [*reply.fields, note]})
