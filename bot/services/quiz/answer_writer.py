"""The answer writer: clicks arriving together are stored together, and each is acknowledged after that commit.

A channel's members click within the same second. Each statement is a round trip the next clicks wait for, so
waiting answers go to the store as one batch (one statement, its own durable transaction), on the scheduler's
``answer-flush`` job. The statement's guards decide what is stored (the question open, the quiz asking it, one
answer per member), so what a click is told is what the database holds.

A click finding the writer idle is sent at once; clicks arriving while a batch is on its way make the next batch.
(Several batches on their way at once were tried: they made more and smaller batches, which cost the event loop
more per click than the wait they saved; README, performance.)

Display names follow the answers in one statement a second after the last batch (or every ``NAMES_BATCH``
names), never between batches, where that write would hold up the next clicks; readers of names ask for the
waiting ones to be written first. A crash in between loses only the labels, which the member's next click
brings again.
"""

from __future__ import annotations

import asyncio
import logging

from bot.core.quiz.errors import AlreadyAnswered, QuestionClosed
from bot.core.quiz.model import StoredAnswer
from bot.core.words import plural
from bot.services.scheduler import Scheduler
from bot.storage.repositories.answers import AnswerRepository, NameRow

log = logging.getLogger(__name__)

NAMES_BATCH = 300
"""Display names kept waiting at most while answers keep arriving (they are written once the queue is empty)."""
JOB = "answer-flush"
NAMES_JOB = "answer-names"
NAMES_DELAY_MS = 1000
"""How long display names wait after the last batch: while members keep clicking, their names are written once
a second at most."""


class AnswerWriter:
    def __init__(self, answers: AnswerRepository, scheduler: Scheduler) -> None:
        self.answers = answers
        self.scheduler = scheduler
        self._pending: list[tuple[StoredAnswer, str, asyncio.Future[bool]]] = []
        self._names: dict[tuple[int, int], NameRow] = {}
        self._writing_names = asyncio.Lock()
        self.names_batch = NAMES_BATCH

    async def record(self, answer: StoredAnswer, display_name: str) -> StoredAnswer:
        """Store an answer and return it once it is durable; raise AlreadyAnswered with the member's earlier
        choice, or QuestionClosed when the question or its quiz no longer takes answers."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((answer, display_name, done))
        self.scheduler.schedule(JOB, self._flush())  # a flush on its way takes it with its next batch
        if await done:
            return answer
        existing = await self.answers.answer_of(answer.session_id, answer.position, answer.user_id)
        if existing is None:
            raise QuestionClosed()
        raise AlreadyAnswered(existing.choice)

    async def drain(self) -> None:
        """Wait until every queued answer and waiting display name is written (at shutdown)."""
        while JOB in self.scheduler:
            await self.scheduler.wait(JOB)
        self.scheduler.cancel(NAMES_JOB)
        await self.write_names()

    async def write_names(self) -> None:
        """Write the display names waiting from stored answers (the latest per member): before names are read.

        One write at a time: a reader arriving while another task writes names (the writer after a batch) waits for
        that write too, or it would read the names before they are stored (a results post left them out)."""
        async with self._writing_names:
            if not self._names:
                return
            waiting, self._names = self._names, {}
            try:
                await self.answers.upsert_names(list(waiting.values()))
            except Exception:  # the answers are stored and acknowledged; names only label them
                log.exception("could not store the display names of %s", plural(len(waiting), "member"))

    async def _flush(self) -> None:
        """Write what is queued, a batch per statement, until the queue is empty; then leave the display names for a
        little later."""
        while self._pending or len(self._names) >= self.names_batch:
            if not self._pending:
                await self.write_names()  # clicks arriving meanwhile found this job running: look again
                continue
            limit = self.answers.batch_limit
            batch, self._pending = self._pending[:limit], self._pending[limit:]
            await self._write(batch)
        if self._names:
            self.scheduler.schedule_at(NAMES_JOB, self.scheduler.clock.now_ms() + NAMES_DELAY_MS, self.write_names())

    async def _write(self, batch: list[tuple[StoredAnswer, str, asyncio.Future[bool]]]) -> None:
        """Store one batch and tell each of its clicks the outcome (or the error, should the statement fail)."""
        try:
            stored = await self._store([answer for answer, _, _ in batch])
        except BaseException as exc:
            for _, _, done in batch:
                if not done.done():
                    done.set_exception(exc if isinstance(exc, Exception) else RuntimeError("answer writer stopped"))
            if not isinstance(exc, Exception):
                raise
            return
        for (answer, name, done), ok in zip(batch, stored, strict=True):
            if not done.done():
                done.set_result(ok)
            if ok:
                self._names[(answer.guild_id, answer.user_id)] = NameRow(
                    answer.guild_id,
                    answer.user_id,
                    name[:100],
                    answer.answered_ms,
                    answer.session_id,
                    answer.position,
                )

    async def _store(self, batch: list[StoredAnswer]) -> list[bool]:
        """One statement for the batch; True for each answer that is the one stored. Only a member's first click
        in the batch is offered (later ones are not new); the statement's guards decide the rest."""
        offered: dict[tuple[int, int, int], StoredAnswer] = {}
        for answer in batch:
            offered.setdefault((answer.session_id, answer.position, answer.user_id), answer)
        stored = await self.answers.insert(list(offered.values()))
        return [
            key in stored and offered.get(key) is answer
            for answer in batch
            for key in [(answer.session_id, answer.position, answer.user_id)]
        ]
