"""Review cards, their logs, review sessions, and quiz answers waiting to update cards: rows in, rows out.

Two writes change a card: a rating in a review session and the answers to a revealed quiz question. Each reads the
card inside its own write transaction and hands it to the rule it was given (FSRS, from the services), so a card
is never updated from a copy another write has changed meanwhile: writers take turns (see ``engine.Database``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.quiz.model import QuizKind, StoredAnswer
from bot.core.review.scheduling import ReviewCard, ReviewLogEntry
from bot.core.review.session import NewReview, ReviewSession, SessionCard
from bot.storage.engine import Connection, Database

_CARD_COLUMNS = "user_id, module, question_id, state, step, stability, difficulty, due_ms, last_review_ms, reps, lapses"
_UPSERT_CARD = (
    f"INSERT INTO review_cards ({_CARD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (user_id, module, question_id) DO UPDATE SET state = excluded.state, step = excluded.step, "
    "stability = excluded.stability, difficulty = excluded.difficulty, due_ms = excluded.due_ms, "
    "last_review_ms = excluded.last_review_ms, reps = excluded.reps, lapses = excluded.lapses"
)
_LOG_COLUMNS = "user_id, module, question_id, source, rating, reviewed_ms, state, stability, difficulty, due_ms"
_INSERT_LOG = f"INSERT INTO review_logs ({_LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_SESSION_COLUMNS = "id, user_id, module, topic, kind, position, created_ms, updated_ms, ended_ms"
_SESSION_CARD_COLUMNS = "position, question_id, choice, answered_ms, rating, rated_ms"
_ANSWER_COLUMNS = "session_id, position, user_id, guild_id, topic, choice, correct, points, answered_ms"

REVEALS_PER_TRANSACTION = 20
"""Revealed questions whose answers one transaction applies: a live reveal is one, and a backlog (the history of
quizzes held before reviews existed, or reveals during a crash) goes in short turns that never hold the write
lock long enough to delay answer clicks noticeably."""


@dataclass(frozen=True)
class RevealedQuestion:
    """A quiz question whose answer was shown: its answers are final and now update their members' cards."""

    session_id: int
    position: int
    module: str
    kind: QuizKind
    question_id: str
    asked_ms: int
    deadline_ms: int


CardChange = tuple[ReviewCard, ReviewLogEntry]
RatingRule = Callable[[ReviewCard | None], CardChange]
"""Given the stored card (None: the member has none yet), the card after the rating and its log."""
RevealRule = Callable[[RevealedQuestion, Sequence[StoredAnswer], Mapping[int, ReviewCard]], list[CardChange]]
"""Given a revealed question, its answers and the answering members' cards (by member), the changed cards."""


class StaleSession(Exception):
    """The session moved on (another click, or a newer session) since it was read."""


def _card(row: Any) -> ReviewCard:
    return ReviewCard.model_validate(dict(row))


def _card_params(card: ReviewCard) -> tuple[object, ...]:
    return (
        card.user_id,
        card.module,
        card.question_id,
        int(card.state),
        card.step,
        card.stability,
        card.difficulty,
        card.due_ms,
        card.last_review_ms,
        card.reps,
        card.lapses,
    )


def _log_params(log: ReviewLogEntry) -> tuple[object, ...]:
    return (
        log.user_id,
        log.module,
        log.question_id,
        log.source.value,
        int(log.rating),
        log.reviewed_ms,
        int(log.state),
        log.stability,
        log.difficulty,
        log.due_ms,
    )


async def _write_changes(conn: Connection, changes: Sequence[CardChange]) -> None:
    if changes:
        await conn.executemany(_UPSERT_CARD, [_card_params(card) for card, _ in changes])
        await conn.executemany(_INSERT_LOG, [_log_params(log) for _, log in changes])


class ReviewRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Cards -------------------------------------------------------------------------------------------

    async def cards(self, user_id: int, module: str) -> list[ReviewCard]:
        rows = await self._db.fetch_all(
            f"SELECT {_CARD_COLUMNS} FROM review_cards WHERE user_id = ? AND module = ? ORDER BY due_ms, question_id",
            (user_id, module),
        )
        return [_card(r) for r in rows]

    async def card(self, user_id: int, module: str, question_id: str) -> ReviewCard | None:
        row = await self._db.fetch_one(
            f"SELECT {_CARD_COLUMNS} FROM review_cards WHERE user_id = ? AND module = ? AND question_id = ?",
            (user_id, module, question_id),
        )
        return None if row is None else _card(row)

    async def review_times(self, user_id: int) -> list[int]:
        """When the member's cards were rated, oldest first (for the streak of days)."""
        rows = await self._db.fetch_all(
            "SELECT reviewed_ms FROM review_logs WHERE user_id = ? ORDER BY reviewed_ms", (user_id,)
        )
        return [int(r["reviewed_ms"]) for r in rows]

    async def logs(self, user_id: int) -> list[ReviewLogEntry]:
        rows = await self._db.fetch_all(
            f"SELECT {_LOG_COLUMNS} FROM review_logs WHERE user_id = ? ORDER BY reviewed_ms, id", (user_id,)
        )
        return [ReviewLogEntry.model_validate(dict(r)) for r in rows]

    # Sessions ----------------------------------------------------------------------------------------

    async def open_session(self, new: NewReview, now_ms: int) -> ReviewSession:
        """Store a new session; the member's other open sessions of the module end (their buttons say so)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE review_sessions SET ended_ms = ?, updated_ms = ? "
                "WHERE user_id = ? AND module = ? AND ended_ms IS NULL",
                (now_ms, now_ms, new.user_id, new.module),
            )
            cursor = await conn.execute(
                "INSERT INTO review_sessions (user_id, module, topic, kind, position, created_ms, updated_ms) "
                "VALUES (?, ?, ?, ?, 0, ?, ?) RETURNING id",
                (new.user_id, new.module, new.topic, new.kind.value, now_ms, now_ms),
            )
            row = await cursor.fetchone()
            await cursor.close()
            assert row is not None
            session_id = int(row[0])
            await conn.executemany(
                "INSERT INTO review_session_cards (session_id, position, question_id) VALUES (?, ?, ?)",
                [(session_id, position, qid) for position, qid in enumerate(new.question_ids)],
            )
        return ReviewSession(
            id=session_id,
            user_id=new.user_id,
            module=new.module,
            topic=new.topic,
            kind=new.kind,
            position=0,
            created_ms=now_ms,
            updated_ms=now_ms,
            ended_ms=None,
            cards=tuple(SessionCard(position=p, question_id=q) for p, q in enumerate(new.question_ids)),
        )

    async def open_session_of(self, user_id: int, module: str) -> ReviewSession | None:
        """The member's session of the module that has not ended, if any (a member has one at a time)."""
        row = await self._db.fetch_one(
            "SELECT id FROM review_sessions WHERE user_id = ? AND module = ? AND ended_ms IS NULL ORDER BY id DESC",
            (user_id, module),
        )
        return None if row is None else await self.session(int(row["id"]))

    async def session(self, session_id: int) -> ReviewSession | None:
        row = await self._db.fetch_one(f"SELECT {_SESSION_COLUMNS} FROM review_sessions WHERE id = ?", (session_id,))
        if row is None:
            return None
        cards = await self._db.fetch_all(
            f"SELECT {_SESSION_CARD_COLUMNS} FROM review_session_cards WHERE session_id = ? ORDER BY position",
            (session_id,),
        )
        return ReviewSession.model_validate({**dict(row), "cards": [dict(c) for c in cards]})

    async def save_pick(self, session: ReviewSession, position: int) -> None:
        """Store the pick on card ``position`` (StaleSession when it was picked meanwhile, or the session moved)."""
        card = session.cards[position]
        async with self._db.transaction() as conn:
            moved = await conn.execute(
                "UPDATE review_session_cards SET choice = ?, answered_ms = ? "
                "WHERE session_id = ? AND position = ? AND choice IS NULL",
                (card.choice, card.answered_ms, session.id, position),
            )
            if moved.rowcount != 1:
                raise StaleSession(f"review {session.id} card {position} was picked meanwhile")
            await self._move(conn, session, position)

    async def save_rating(self, session: ReviewSession, position: int, rate: RatingRule) -> CardChange:
        """Store the rating of card ``position``, the session's move to the next card and the rescheduled card, in
        one transaction (StaleSession, and nothing stored, when the session moved on meanwhile)."""
        rated = session.cards[position]
        async with self._db.transaction() as conn:
            await self._move(conn, session, position)
            await conn.execute(
                "UPDATE review_session_cards SET rating = ?, rated_ms = ? WHERE session_id = ? AND position = ?",
                (None if rated.rating is None else int(rated.rating), rated.rated_ms, session.id, position),
            )
            change = rate(await self.card(session.user_id, session.module, rated.question_id))
            await _write_changes(conn, [change])
        return change

    async def _move(self, conn: Connection, session: ReviewSession, position: int) -> None:
        """Write the session's place, from the one it was at (``position``) when read."""
        moved = await conn.execute(
            "UPDATE review_sessions SET position = ?, updated_ms = ?, ended_ms = ? "
            "WHERE id = ? AND position = ? AND ended_ms IS NULL",
            (session.position, session.updated_ms, session.ended_ms, session.id, position),
        )
        if moved.rowcount != 1:
            raise StaleSession(f"review {session.id} is no longer at card {position}")

    async def purge_sessions(self, before_ms: int) -> int:
        """Delete sessions untouched since ``before_ms``, open or ended (their ratings live on in cards and logs)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM review_sessions WHERE updated_ms < ?", (before_ms,))
            return cursor.rowcount

    # Quiz answers -> cards ---------------------------------------------------------------------------

    async def apply_revealed(self, rule: RevealRule, now_ms: int, limit: int = REVEALS_PER_TRANSACTION) -> int:
        """Update cards from the answers to questions revealed and not applied yet, oldest reveal first, in one
        transaction that also marks them applied; return how many questions it applied (0: none were waiting).

        Inside the transaction no answer can be stored (writers take turns) and a revealed question takes none
        anyway, so the answers read here are all the question will ever have.
        """
        async with self._db.transaction() as conn:
            pending = await self._db.fetch_all(
                "SELECT q.session_id, q.position, s.module, s.kind, q.question_id, q.asked_ms, q.deadline_ms "
                "FROM quiz_questions q JOIN quiz_sessions s ON s.id = q.session_id "
                "WHERE q.revealed_ms IS NOT NULL AND q.cards_ms IS NULL "
                "ORDER BY q.revealed_ms, q.session_id, q.position LIMIT ?",
                (limit,),
            )
            for row in pending:
                asked = row["asked_ms"]
                revealed = RevealedQuestion(
                    session_id=int(row["session_id"]),
                    position=int(row["position"]),
                    module=str(row["module"]),
                    kind=QuizKind(row["kind"]),
                    question_id=str(row["question_id"]),
                    asked_ms=int(asked or 0),
                    deadline_ms=int(row["deadline_ms"] or asked or 0),
                )
                answers = [
                    StoredAnswer.model_validate(dict(a))
                    for a in await self._db.fetch_all(
                        f"SELECT {_ANSWER_COLUMNS} FROM quiz_answers WHERE session_id = ? AND position = ? "
                        "ORDER BY answered_ms, user_id",
                        (revealed.session_id, revealed.position),
                    )
                ]
                cards = await self._cards_of(revealed, [a.user_id for a in answers])
                await _write_changes(conn, rule(revealed, answers, cards))
                await conn.execute(
                    "UPDATE quiz_questions SET cards_ms = ? WHERE session_id = ? AND position = ?",
                    (now_ms, revealed.session_id, revealed.position),
                )
        return len(pending)

    async def _cards_of(self, revealed: RevealedQuestion, user_ids: Sequence[int]) -> dict[int, ReviewCard]:
        if not user_ids:
            return {}
        marks = ", ".join("?" for _ in user_ids)
        rows = await self._db.fetch_all(
            f"SELECT {_CARD_COLUMNS} FROM review_cards WHERE module = ? AND question_id = ? AND user_id IN ({marks})",
            [revealed.module, revealed.question_id, *user_ids],
        )
        return {int(r["user_id"]): _card(r) for r in rows}
