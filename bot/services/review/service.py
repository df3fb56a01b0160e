"""Personal spaced review: ``/<module> review [topic]``, its buttons, practice, and the review part of the stats.

A member's cards are theirs across servers: what they know does not change with the server they answered in, a
review works in direct messages too, and ``privacy forget`` (per member) removes them whole. Where a server shows
fewer questions (it may hide some), that is applied when its members review there: see ``eligible_questions``.

Each click loads its session from the database, lets the session's rules decide, and saves; a click on a card the
member has moved past shows where the session is now, so a double click or a click after a restart is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.core.actions import ReviewPick, ReviewPractice, ReviewRate
from bot.core.content.library import ContentModule
from bot.core.content.models import Question
from bot.core.errors import NotFound
from bot.core.moderation import HiddenQuestions
from bot.core.reply import Reply, ReplyField
from bot.core.review import deck
from bot.core.review import render as review_render
from bot.core.review.scheduling import Rating, ReviewCard, ReviewSource, preview, review
from bot.core.review.session import NewReview, ReviewKind, ReviewSession
from bot.services.app import App
from bot.services.catalog import Caller, CommandSpec, OptionValue
from bot.services.clock import Clock
from bot.services.review.quizcards import QuizCards
from bot.services.review.specs import review_specs
from bot.services.scheduler import Scheduler
from bot.services.server_settings import SettingsService
from bot.storage.repositories.review import CardChange, ReviewRepository, StaleSession

log = logging.getLogger(__name__)

UPKEEP_JOB = "review-upkeep"
UPKEEP_EVERY_MS = 3_600_000
SESSION_KEPT_MS = 86_400_000
"""A review session untouched for a day is deleted (its ratings live on in the cards and logs); its buttons then
say to run the review command again."""

ReviewAction = ReviewPick | ReviewRate | ReviewPractice


class ReviewService:
    def __init__(
        self, app: App, clock: Clock, scheduler: Scheduler, server_settings: SettingsService | None = None
    ) -> None:
        self.app = app
        self.clock = clock
        self.scheduler = scheduler
        self.server_settings = server_settings
        self.repo = ReviewRepository(app.db)
        self.quiz_cards = QuizCards(self.repo, clock, scheduler)
        self.hidden: HiddenQuestions | None = None
        """The questions a server hid (``ModerationService.hidden_questions``): never reviewed or practised there."""

    def command_specs(self, module: ContentModule) -> list[CommandSpec]:
        return review_specs(module, self.review)

    async def eligible_questions(self, caller: Caller, module: ContentModule, topic: str | None) -> list[Question]:
        """The questions a member may review or practise here, in the content's order: the one place that decides.

        Every review path (due cards, practice, the counts in replies, mastery in stats) goes through this. Questions
        a server's moderators hid are left out there (in direct messages there is no server, and no server's choice
        applies).
        """
        hidden = frozenset[str]()
        if self.hidden is not None and caller.guild_id is not None:
            hidden = await self.hidden(caller.guild_id, module.id)
        return [q for q in module.questions if (topic is None or q.topic == topic) and q.id not in hidden]

    # Starting --------------------------------------------------------------------------------------

    async def review(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        """The member's due cards, the longest overdue first, at most ``SESSION_CARDS`` in a session; with nothing
        due, when the next card is due and an offer to practise unseen questions.

        A review of the same topic still open goes on where it is (after a restart, or a dismissed message, the
        command brings it back); another topic starts a new session, which ends the open one."""
        topic = None if options.get("topic") is None else str(options["topic"])
        eligible = await self.eligible_questions(caller, module, topic)
        cards = await self.repo.cards(caller.user_id, module.id)
        now = self.clock.now_ms()
        due = deck.due_cards(cards, eligible, now)
        going = await self.repo.open_session_of(caller.user_id, module.id)
        if going is not None and going.kind is ReviewKind.REVIEW and going.topic == topic:
            return await self._show(caller, module, going, due_now=len(due))
        if not due:
            ids = {q.id for q in eligible}
            return review_render.nothing_due_reply(
                module,
                topic,
                sum(1 for c in cards if c.question_id in ids),
                deck.next_due_ms(cards, eligible, now),
                len(deck.unseen(cards, eligible)),
            )
        chosen = tuple(c.question_id for c in due[: deck.SESSION_CARDS])
        session = await self.repo.open_session(
            NewReview(
                user_id=caller.user_id, module=module.id, topic=topic, kind=ReviewKind.REVIEW, question_ids=chosen
            ),
            now,
        )
        return await self._show(caller, module, session, due_now=len(due))

    async def practice(self, caller: Caller, action: ReviewPractice) -> Reply:
        """A session of questions the member has not seen, easiest first; ratings shape cards, never scores."""
        module = self.app.content.module(action.module)
        if action.topic is not None and module.topic(action.topic) is None:
            raise NotFound(f"That topic is no longer in /{module.id}. Run /{module.id} review again.")
        eligible = await self.eligible_questions(caller, module, action.topic)
        cards = await self.repo.cards(caller.user_id, module.id)
        fresh = deck.unseen(cards, eligible)[: deck.SESSION_CARDS]
        if not fresh:
            raise NotFound(f"You have seen every question here already. Run /{module.id} review for your due cards.")
        session = await self.repo.open_session(
            NewReview(
                user_id=caller.user_id,
                module=module.id,
                topic=action.topic,
                kind=ReviewKind.PRACTICE,
                question_ids=tuple(q.id for q in fresh),
            ),
            self.clock.now_ms(),
        )
        return await self._show(caller, module, session)

    # Clicks ------------------------------------------------------------------------------------------

    async def press(self, caller: Caller, action: ReviewAction) -> Reply:
        if isinstance(action, ReviewPractice):
            return await self.practice(caller, action)
        session = await self._session(caller, action.session_id)
        module = self.app.content.module(session.module)
        if isinstance(action, ReviewPick):
            session = await self._pick(session, module, action)
        else:
            session = await self._rate(session, action)
        return await self._show(caller, module, session)

    async def _session(self, caller: Caller, session_id: int) -> ReviewSession:
        session = await self.repo.session(session_id)
        if session is None:
            raise NotFound("That review session is over (sessions are kept for a day). Run the review command again.")
        session.check(caller.user_id)
        return session

    async def _pick(self, session: ReviewSession, module: ContentModule, action: ReviewPick) -> ReviewSession:
        card = session.cards[action.position] if 0 <= action.position < len(session.cards) else None
        question = None if card is None else module.question(card.question_id)
        picked = session.pick(action.position, action.choice, len(question.choices) if question else 0, self._now())
        if picked is None:
            return session
        try:
            await self.repo.save_pick(picked, action.position)
        except StaleSession:
            return await self._reloaded(session)
        return picked

    async def _rate(self, session: ReviewSession, action: ReviewRate) -> ReviewSession:
        now = self._now()
        rated = session.rate(action.position, Rating(action.rating), now)
        if rated is None:
            return session
        card = rated.cards[action.position]
        source = ReviewSource.PRACTICE if session.kind is ReviewKind.PRACTICE else ReviewSource.REVIEW

        def reschedule(stored: ReviewCard | None) -> CardChange:
            fresh = stored or ReviewCard.new(session.user_id, session.module, card.question_id, now)
            return review(fresh, Rating(action.rating), now, source)

        try:
            await self.repo.save_rating(rated, action.position, reschedule)
        except StaleSession:
            return await self._reloaded(session)
        return rated

    async def _reloaded(self, session: ReviewSession) -> ReviewSession:
        """Another click moved the session first: show it as that click left it."""
        current = await self.repo.session(session.id)
        if current is None:
            raise NotFound("That review session is over. Run the review command again.")
        return current

    async def _show(
        self, caller: Caller, module: ContentModule, session: ReviewSession, due_now: int | None = None
    ) -> Reply:
        """Where the session is: the current card's question, its answer and ratings once picked, or the end."""
        card = session.current
        if card is None:
            eligible = await self.eligible_questions(caller, module, session.topic)
            cards = await self.repo.cards(session.user_id, module.id)
            now = self._now()
            due = len(deck.due_cards(cards, eligible, now))
            return review_render.finished_reply(module, session, deck.next_due_ms(cards, eligible, now), due)
        question = module.question(card.question_id)
        if question is None:
            raise NotFound(f"That question is no longer in /{module.id}. Run /{module.id} review again.")
        if card.choice is None:
            return review_render.question_reply(module, session, question, due_now)
        now = self._now()
        stored = await self.repo.card(session.user_id, module.id, card.question_id)
        ahead = preview(stored or ReviewCard.new(session.user_id, module.id, card.question_id, now), now)
        return review_render.answer_reply(
            module, session, card, question, ahead, now, reportable=caller.guild_id is not None
        )

    # Stats -------------------------------------------------------------------------------------------

    async def stats_fields(self, caller: Caller, module: ContentModule, user_id: int) -> list[ReplyField]:
        """Mastery per topic, cards due now and the review streak, for the member's own stats only: reviews are
        personal, so another member's stats never show them. Days are the server's (its time zone setting,
        UTC unless its admins chose one)."""
        if user_id != caller.user_id:
            return []
        zone = "UTC"
        if self.server_settings is not None and caller.guild_id is not None:
            zone = (await self.server_settings.effective(caller.guild_id, module)).timezone
        eligible = await self.eligible_questions(caller, module, None)
        cards = await self.repo.cards(user_id, module.id)
        now = self._now()
        return review_render.stats_fields(
            module,
            deck.mastery(cards, eligible),
            len(deck.due_cards(cards, eligible, now)),
            deck.streak(await self.repo.review_times(user_id), now, zone),
            zone,
        )

    # Background ----------------------------------------------------------------------------------------

    async def upkeep(self) -> None:
        """Hourly: forget sessions idle for a day, and apply any revealed answers a crash left waiting."""
        removed = await self.repo.purge_sessions(self._now() - SESSION_KEPT_MS)
        if removed:
            log.debug("deleted %d idle review sessions", removed)
        self.quiz_cards.revealed()

    async def start(self) -> None:
        await self.scheduler.every(UPKEEP_JOB, UPKEEP_EVERY_MS, self.upkeep)

    async def stop(self) -> None:
        self.scheduler.cancel(UPKEEP_JOB)
        await self.scheduler.wait(UPKEEP_JOB)
        await self.quiz_cards.stop()  # what it had not applied waits in the database for the next start

    def _now(self) -> int:
        return self.clock.now_ms()
