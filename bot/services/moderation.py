"""Reports on quiz questions and hiding questions per server: the member's report form, the moderators' queue.

A member reports from the button under an answer (``bot.core.moderation.report_button``): the form it opens is
checked and stored per server with the question's id and content version, and the member is thanked privately.
Members with Manage Server (checked here on every call) list the open reports counted per question, resolve or
dismiss each with a note, and hide a question from the server's quizzes until they show it again. Each of those
actions is written to the server's settings history in the same transaction. Hiding also reaches the quizzes
already running there (``bot.services.quiz.withdrawal``): those that have not asked the question yet stop holding it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from bot.core import moderation as rules
from bot.core.actions import ReportQuestion, SubmitReport
from bot.core.content.library import ContentLibrary, ContentModule
from bot.core.content.models import Question
from bot.core.errors import InvalidInput, NotFound
from bot.core.render import footer, quote
from bot.core.reply import Reply, ReplyField
from bot.core.text import Text, Timestamp, clip, join, pieces, text
from bot.core.words import plural
from bot.services.catalog import Caller, CommandSpec, OptionSpec, OptionValue, admin_group
from bot.services.clock import Clock
from bot.services.quiz.withdrawal import Outcome, Withdrawn
from bot.storage.database import Database
from bot.storage.repositories.moderation import AuditEntry, ModerationRepository, StoredReport

QUESTIONS_LISTED = 6
"""Questions shown by the reports list, most reported first; the rest show as these are handled."""
REPORTS_PER_QUESTION = 4
"""Reports shown under each question in the list; the question's own list shows the rest."""
REPORT_PREVIEW = 160
"""Characters of a report's text shown in a list (before escaping)."""
FIELD_BUDGET = 900
"""Characters of reports under one question in the list: Discord allows 1024 in a field."""
LIST_BUDGET = 4200
"""Characters a list may take, well inside Discord's 6000 for a whole embed (a mark-up token counted as 20)."""
MAX_REPORT_ID = 2**53

Withdraw = Callable[[int, ContentModule, str], Awaitable[list[Withdrawn]]]
"""Take a question just hidden in a server out of the quizzes running there that have not asked it yet
(``QuestionWithdrawal.withdraw``)."""


def _size(value: Text) -> int:
    return sum(len(p) if isinstance(p, str) else 20 for p in pieces(value))


class ModerationService:
    def __init__(self, library: ContentLibrary, db: Database, clock: Clock) -> None:
        self.library = library
        self.repo = ModerationRepository(db)
        self.clock = clock
        self.withdraw: Withdraw | None = None
        """Set where the quizzes are wired: hiding reaches the quizzes already running too."""

    async def hidden_questions(self, guild_id: int, module: str | None = None) -> frozenset[str]:
        """The questions hidden in a server (of one module, or of any): quizzes, questions of the day and reviews
        there leave them out."""
        return await self.repo.hidden(guild_id, module)

    def command_specs(self, module: ContentModule) -> list[CommandSpec]:
        if not module.questions:
            return []
        admin = admin_group(module.id)
        report = OptionSpec(
            "report",
            "The report's number (from the reports list)",
            "integer",
            True,
            min_value=1,
            max_value=MAX_REPORT_ID,
        )
        note = OptionSpec(
            "note", "What was done, for the settings history", required=True, min_length=1, max_length=rules.NOTE_CHARS
        )
        question = OptionSpec(
            "question",
            "The question's id, e.g. ov-01 (shown under its answer)",
            required=True,
            min_length=2,
            max_length=40,
        )
        return [
            CommandSpec(
                admin,
                "reports list",
                "Open reports on quiz questions, counted per question",
                (OptionSpec("question", "Only this question's reports (its id, e.g. ov-01)", max_length=40),),
                guild_only=True,
                handler=self.list_command,
            ),
            CommandSpec(
                admin,
                "reports resolve",
                "Mark a report resolved, with a note",
                (report, note),
                guild_only=True,
                handler=self.resolve_command,
            ),
            CommandSpec(
                admin,
                "reports dismiss",
                "Dismiss a report, with a note",
                (report, note),
                guild_only=True,
                handler=self.dismiss_command,
            ),
            CommandSpec(
                admin,
                "question hide",
                "Leave a question out of this server's quizzes until shown again",
                (question,),
                guild_only=True,
                handler=self.hide_command,
            ),
            CommandSpec(
                admin,
                "question show",
                "Put a hidden question back into this server's quizzes",
                (question,),
                guild_only=True,
                handler=self.show_command,
            ),
        ]

    # A member's report ----------------------------------------------------------------------------

    def open_form(self, caller: Caller, action: ReportQuestion) -> Reply:
        """The report button: the form, for a question that is still in the content."""
        _in_server(caller, "Reports go to a server's moderators; report a question from a quiz in a server.")
        module, question = self._question(action.module, action.question_id)
        return rules.report_form(module.id, question.id, action.version)

    async def submit(self, caller: Caller, action: SubmitReport, typed: str) -> Reply:
        guild_id = _in_server(caller, "Reports go to a server's moderators; report a question from a quiz in a server.")
        module, question = self._question(action.module, action.question_id)
        body = rules.clean_report(typed)
        if await self.repo.open_count(guild_id, caller.user_id) >= rules.OPEN_REPORTS_PER_MEMBER:
            raise rules.TooManyReports(
                f"You have {rules.OPEN_REPORTS_PER_MEMBER} open reports in this server already; wait until the "
                "moderators have handled some, then report again."
            )
        report_id = await self.repo.add_report(
            guild_id, module.id, question.id, action.version, caller.user_id, body, self.clock.now_ms()
        )
        if report_id is None:
            raise rules.AlreadyReported(
                f"You already reported question {question.id} here and the moderators have not handled it yet; "
                "your first report stands."
            )
        return Reply(
            title="Thanks for your report",
            body=(
                f"Your report on question {question.id} (number {report_id}) is with this server's moderators. "
                "They see what you wrote, not your name."
            ),
            footer=footer(module),
            ephemeral=True,
        )

    # The moderators' queue ------------------------------------------------------------------------

    async def list_command(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        guild_id = _moderator(caller)
        wanted = options.get("question")
        if wanted is not None:
            return await self._question_reports(guild_id, module, str(wanted).lower())
        reports = await self.repo.open_reports(guild_id, module.id)
        hidden = sorted(await self.repo.hidden(guild_id, module.id))
        by_question: dict[str, list[StoredReport]] = {}
        for report in reports:
            by_question.setdefault(report.question_id, []).append(report)
        ranked = sorted(by_question.items(), key=lambda item: (-len(item[1]), item[1][0].created_ms))
        fields: list[ReplyField] = []
        used = 0
        for question_id, found in ranked[:QUESTIONS_LISTED]:
            field = self._question_field(module, question_id, found)
            used += len(field.name) + _size(field.value)
            if used > LIST_BUDGET:
                break
            fields.append(field)
        left = len(ranked) - len(fields)
        lines = [
            f"{plural(len(reports), 'open report')} on {plural(len(ranked), 'question')}."
            if reports
            else "No open reports.",
        ]
        if left:
            lines.append(f"{plural(left, 'more question')} with open reports show here as these are handled.")
        lines.append(
            f"Resolve or dismiss one: /{admin_group(module.id)} reports resolve report:N note:… · hide a question from this "
            f"server's quizzes: /{admin_group(module.id)} question hide question:ID"
        )
        if hidden:
            fields.append(ReplyField(name="Hidden in this server", value=clip(", ".join(hidden), 1000)))
        return Reply(
            title="Reports on quiz questions",
            body="\n".join(lines),
            fields=fields,
            footer=footer(module),
            color=module.info.color,
            ephemeral=True,
        )

    def _question_field(self, module: ContentModule, question_id: str, reports: Sequence[StoredReport]) -> ReplyField:
        question = module.question(question_id)
        topic = module.topic(question.topic) if question else None
        where = f" · {topic.title}" if topic else ("" if question else " · no longer in the content")
        lines: list[Text] = []
        used = 0
        for report in reports[:REPORTS_PER_QUESTION]:
            line = self._report_line(report, question, REPORT_PREVIEW)
            used += _size(line) + 1
            if used > FIELD_BUDGET:
                break
            lines.append(line)
        more = len(reports) - len(lines)
        if more > 0:
            lines.append(f"… and {more} more: /{admin_group(module.id)} reports list question:{question_id}")
        return ReplyField(
            name=f"{question_id}{where} · {plural(len(reports), 'report')}"[:256], value=join("\n", lines)
        )

    def _report_line(self, report: StoredReport, question: Question | None, size: int) -> Text:
        older = question is not None and rules.question_version(question) != report.content_version
        return text(
            f"**{report.id}** · ",
            Timestamp(report.created_ms, "date"),
            f" · “{quote(report.body, size)}”",
            " (on an earlier version)" if older else "",
        )

    async def _question_reports(self, guild_id: int, module: ContentModule, question_id: str) -> Reply:
        reports = await self.repo.open_reports(guild_id, module.id, question_id)
        question = module.question(question_id)
        if question is None and not reports:
            raise NotFound(f"There is no question `{quote(question_id, 40)}` in /{module.id}, and no report on it.")
        hidden = question_id in await self.repo.hidden(guild_id, module.id)
        head = question.prompt if question else "This question is no longer in the content."
        state = "Hidden in this server." if hidden else "Asked in this server's quizzes."
        lines: list[Text] = [head, state, ""]
        used = len(head) + 60
        shown = 0
        for report in reports:
            line = self._report_line(report, question, 400)
            used += _size(line) + 1
            if used > LIST_BUDGET - 200:
                break
            lines.append(line)
            shown += 1
        if not reports:
            lines.append("No open reports.")
        elif shown < len(reports):
            lines.append(f"… and {len(reports) - shown} more, shown as these are handled.")
        return Reply(
            title=f"Reports on {question_id}",
            body=join("\n", lines),
            footer=footer(module, plural(len(reports), "open report")),
            color=module.info.color,
            ephemeral=True,
        )

    async def resolve_command(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        return await self._handle(caller, module, int(options["report"]), "resolved", str(options["note"]))

    async def dismiss_command(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        return await self._handle(caller, module, int(options["report"]), "dismissed", str(options["note"]))

    async def _handle(
        self, caller: Caller, module: ContentModule, report_id: int, status: rules.ReportStatus, raw_note: str
    ) -> Reply:
        guild_id = _moderator(caller)
        note = rules.clean_note(raw_note)
        report = await self.repo.report(guild_id, report_id)
        if report is None or report.module != module.id:
            raise NotFound(
                f"There is no report {report_id} in this server. /{admin_group(module.id)} reports list shows them."
            )
        if report.status != "open":
            raise InvalidInput(f"Report {report_id} was already {report.status}; nothing was changed.")
        entry = AuditEntry(
            user_id=caller.user_id,
            key=rules.report_key(report.id, report.question_id),
            old_value="open",
            new_value=rules.handled_value(status, note),
            changed_ms=self.clock.now_ms(),
        )
        if not await self.repo.handle(guild_id, report.id, status, note, entry):
            raise InvalidInput(f"Report {report_id} was handled by someone else just now; nothing was changed.")
        left = len(await self.repo.open_reports(guild_id, module.id, report.question_id))
        return Reply(
            title=f"Report {report_id} {status}",
            body=(
                f"Report {report_id} on question {report.question_id} is {status}; your note is in the settings "
                f"history. {plural(left, 'open report')} left on {report.question_id}."
            ),
            footer=footer(module),
            ephemeral=True,
        )

    async def hide_command(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        guild_id = _moderator(caller)
        question_id = str(options["question"]).lower()
        if module.question(question_id) is None:
            raise NotFound(
                f"There is no question `{quote(question_id, 40)}` in /{module.id}. Its id is shown under its answer."
            )
        entry = self._entry(caller, question_id, rules.SHOWN, rules.HIDDEN)
        newly = await self.repo.hide(guild_id, module.id, question_id, entry)
        # Also when it was hidden already: a quiz that started while it was being hidden may hold it.
        running = [] if self.withdraw is None else await self.withdraw(guild_id, module, question_id)
        lines = [w.sentence() for w in running]
        if not newly:
            changed = [line for w, line in zip(running, lines, strict=True) if w.outcome is not Outcome.ASKED]
            return _done(
                module, f"Question {question_id} is already hidden", join("\n", changed or ["Nothing was changed."])
            )
        head = (
            f"Quizzes and questions of the day here leave question {question_id} out from now on, until "
            f"/{admin_group(module.id)} question show question:{question_id}."
        )
        return _done(module, f"Question {question_id} hidden", join("\n", [head, *lines]))

    async def show_command(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        guild_id = _moderator(caller)
        question_id = str(options["question"]).lower()
        entry = self._entry(caller, question_id, rules.HIDDEN, rules.SHOWN)
        if not await self.repo.show(guild_id, module.id, question_id, entry):
            return _done(module, f"Question {quote(question_id, 40)} is not hidden", "Nothing was changed.")
        return _done(module, f"Question {question_id} shown again", "It can come up in this server's quizzes again.")

    def _entry(self, caller: Caller, question_id: str, old: str, new: str) -> AuditEntry:
        return AuditEntry(
            user_id=caller.user_id,
            key=rules.hidden_key(question_id),
            old_value=old,
            new_value=new,
            changed_ms=self.clock.now_ms(),
        )

    def _question(self, module_id: str, question_id: str) -> tuple[ContentModule, Question]:
        module = self.library.module(module_id)
        question = None if module is None else module.question(question_id)
        if module is None or question is None:
            raise NotFound("That question is no longer in the bot's content, so it cannot be reported.")
        return module, question


def _done(module: ContentModule, title: str, body: Text) -> Reply:
    return Reply(title=title, body=body, footer=footer(module), ephemeral=True)


def _in_server(caller: Caller, message: str) -> int:
    if caller.guild_id is None:
        raise InvalidInput(message)
    return caller.guild_id


def _moderator(caller: Caller) -> int:
    guild_id = _in_server(caller, "Reports belong to a server; use this command in one.")
    if not caller.can_manage_guild:
        raise InvalidInput("Only members with the Manage Server permission can handle reports and hide questions.")
    return guild_id
