"""Review replies: a card's question, its answer with the rating buttons, the end of a session, "nothing due",
and the review part of a member's stats. Every one is for the member alone (ephemeral)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.actions import ReviewPick, ReviewPractice, ReviewRate
from bot.core.content.library import ContentModule
from bot.core.content.models import Question
from bot.core.content.sections import read_more
from bot.core.moderation import report_button
from bot.core.quiz.render import letter
from bot.core.render import footer
from bot.core.reply import Button, ButtonStyle, Reply, ReplyField
from bot.core.review.deck import MATURE_DAYS, Mastery
from bot.core.review.scheduling import Rating, interval_words
from bot.core.review.session import ReviewKind, ReviewSession, SessionCard
from bot.core.text import Small, Text, Timestamp, join, text
from bot.core.words import noun, plural

RATING_STYLES: Mapping[Rating, ButtonStyle] = {
    Rating.AGAIN: "danger",
    Rating.HARD: "secondary",
    Rating.GOOD: "success",
    Rating.EASY: "primary",
}


def _topic_title(module: ContentModule, topic_id: str | None) -> str:
    topic = None if topic_id is None else module.topic(topic_id)
    return topic.title if topic else topic_id or "every topic"


def _heading(session: ReviewSession) -> str:
    kind = "Practice" if session.kind is ReviewKind.PRACTICE else "Review"
    return f"{kind} {session.position + 1}/{len(session.cards)}"


def question_reply(module: ContentModule, session: ReviewSession, question: Question, due_now: int | None) -> Reply:
    """The card's question with one button per choice. ``due_now``: said on the first card of a review."""
    lines = [question.prompt, ""]
    lines += [f"**{letter(i)})** {choice.text}" for i, choice in enumerate(question.choices)]
    lines += ["", "Pick your answer; the right one and why come next."]
    fields = [ReplyField(name="Topic", value=_topic_title(module, question.topic), inline=True)]
    if due_now is not None:
        fields.append(ReplyField(name="Due now", value=plural(due_now, "card"), inline=True))
    return Reply(
        title=_heading(session),
        body="\n".join(lines),
        fields=fields,
        footer=footer(module, "Only you see this"),
        color=module.info.color,
        ephemeral=True,
        buttons=[
            Button(label=letter(i), action=ReviewPick(session.id, session.position, i).encode(), style="primary")
            for i in range(len(question.choices))
        ],
    )


def answer_reply(
    module: ContentModule,
    session: ReviewSession,
    card: SessionCard,
    question: Question,
    next_due: Mapping[Rating, int],
    now_ms: int,
    reportable: bool = False,
) -> Reply:
    """The right answer, the member's pick, why and the source, then Again / Hard / Good / Easy (each saying when
    the card would come back), Read more and, where reports are kept (``reportable``: in a server), Report a
    problem. The rating that fits the pick is highlighted."""
    right = question.answer
    picked = card.choice
    lines = [question.prompt, ""]
    for i, choice in enumerate(question.choices):
        mark = "✅" if i == right else ("❌" if i == picked else "▫️")
        yours = " · your answer" if i == picked else ""
        lines.append(f"{mark} **{letter(i)})** {choice.text}{yours}")
    lines += ["", f"**Why:** {question.explanation}", "", "How well did you know it?"]
    source = module.sources.get(question.source)
    cited = f"{question.source} · {source.short}" if source else question.source
    suggested = Rating.GOOD if picked == right else Rating.AGAIN
    buttons = [
        Button(
            label=f"{rating.label} · {interval_words(next_due[rating] - now_ms)}",
            action=ReviewRate(session.id, card.position, int(rating)).encode(),
            style=RATING_STYLES[rating] if rating is suggested else "secondary",
        )
        for rating in Rating
    ]
    more = read_more(module, question)
    verdict = "right" if picked == right else f"wrong · the answer is {letter(right)}"
    return Reply(
        title=f"{_heading(session)} · {verdict}",
        body="\n".join(lines),
        fields=[ReplyField(name="Source", value=cited[:1024])],
        footer=footer(module, "Only you see this"),
        color=module.info.color,
        ephemeral=True,
        buttons=[*buttons, *([more] if more else []), *([report_button(module.id, question)] if reportable else [])],
    )


def finished_reply(module: ContentModule, session: ReviewSession, next_due_ms: int | None, due_now: int) -> Reply:
    """The end of a session: how the cards were rated, and what comes next."""
    counts = session.ratings()
    rated = ", ".join(f"{rating.label} {counts[rating]}" for rating in Rating)
    what = "practice" if session.kind is ReviewKind.PRACTICE else "review"
    lines: list[Text] = [f"Done: {plural(len(session.cards), 'card')} ({rated})."]
    if due_now:
        lines.append(f"{plural(due_now, 'more card')} {noun(due_now, 'is', 'are')} due now: run /{module.id} review.")
    elif next_due_ms is not None:
        lines.append(text("Your next card is due ", Timestamp(next_due_ms), "."))
    return Reply(
        title=f"{what.capitalize()} finished",
        body=join("\n", lines),
        footer=footer(module, "Only you see this"),
        color=module.info.color,
        ephemeral=True,
    )


def nothing_due_reply(
    module: ContentModule, topic: str | None, cards: int, next_due_ms: int | None, unseen: int
) -> Reply:
    """No card due: when the next one is, and practice on unseen questions when there are any."""
    where = f" on {_topic_title(module, topic)}" if topic else ""
    lines: list[Text] = []
    if cards == 0:
        lines.append(
            f"You have no review cards{where} yet. Every quiz answer and question of the day adds one; "
            "so does practice."
        )
    elif next_due_ms is None:
        lines.append(f"Nothing is due{where}.")
    else:
        lines.append(text(f"Nothing is due{where} now. Your next card is due ", Timestamp(next_due_ms), "."))
    if unseen:
        lines.append(
            f"Practise {plural(unseen, 'question')} you have not seen yet: they build your cards and never count on "
            "a leaderboard."
        )
    buttons = []
    if unseen:
        label = f"Practise {_topic_title(module, topic)}" if topic else "Practise new questions"
        buttons.append(Button(label=label[:80], action=ReviewPractice(module.id, topic).encode(), style="primary"))
    return Reply(
        title="Nothing to review",
        body=join("\n", lines),
        footer=footer(module, "Only you see this"),
        color=module.info.color,
        ephemeral=True,
        buttons=buttons,
    )


def stats_fields(
    module: ContentModule, mastery: Sequence[Mastery], due_now: int, streak: int, zone: str
) -> list[ReplyField]:
    """The review part of a member's own stats: cards due, the streak of days, mastery per topic."""
    lines = []
    for row in mastery:
        share = row.mastered / row.total if row.total else 0.0
        lines.append(f"**{_topic_title(module, row.topic)}** · {row.mastered}/{row.total} ({share:.0%})")
    return [
        ReplyField(name="Cards due now", value=str(due_now), inline=True),
        ReplyField(
            name="Review streak", value=text(plural(streak, "day"), Small(f"days with a review, {zone}")), inline=True
        ),
        ReplyField(
            name="Mastery by topic",
            value=text(
                "\n".join(lines)[:900], Small(f"mastered: remembered for {plural(round(MATURE_DAYS), 'day')} or more")
            ),
        ),
    ]
