"""Reports on quiz questions and hiding questions per server: the rules, with no storage and no Discord.

A member who thinks a question is wrong presses "Report a problem" under its answer, which opens a form; what they
write goes to that server's moderators, who resolve or dismiss it with a note and may hide the question from the
server's quizzes. Every reveal gets its button from ``report_button``, so any feature that shows an answer (the
quiz, the question of the day, a personal review) offers the same report.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Literal

from bot.core.actions import ReportQuestion, SubmitReport
from bot.core.content.models import Question
from bot.core.errors import InvalidInput, UserFacingError
from bot.core.reply import Button, Form, Reply
from bot.core.words import plural

REPORT_CHARS = 1000
"""The longest report: enough for a paragraph and a citation, short enough to read in a queue."""
NOTE_CHARS = 300
"""A moderator's note on a report: one line in the server's settings history."""
OPEN_REPORTS_PER_MEMBER = 20
"""Open reports one member may have in one server: a flood of reports cannot bury the others."""

ReportStatus = Literal["open", "resolved", "dismissed"]
HANDLED: tuple[ReportStatus, ...] = ("resolved", "dismissed")

_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
"""Zero-width characters and bidirectional overrides: they make text read differently from what is stored."""
_BLANK_LINES = re.compile(r"\n{3,}")


class AlreadyReported(UserFacingError):
    """The member has an open report on this question in this server."""


class TooManyReports(UserFacingError):
    """The member has as many open reports in this server as one member may."""


def question_version(question: Question) -> str:
    """The content version of a question: a digest of everything a member sees of it (prompt, choices, answer,
    explanation, source), so a report can say which wording it was about. Any edit gives a new version."""
    return hashlib.blake2b(question.model_dump_json().encode("utf-8"), digest_size=4).hexdigest()


HiddenQuestions = Callable[[int, str], Awaitable[frozenset[str]]]
"""The ids of a module's questions hidden in a server (``ModerationService.hidden_questions``): what quizzes,
questions of the day and reviews there leave out."""


def report_button(module_id: str, question: Question) -> Button:
    """The "Report a problem" button for a question: every reveal of an answer carries this one."""
    action = ReportQuestion(module_id, question.id, question_version(question))
    return Button(label="Report a problem", action=action.encode())


def report_form(module_id: str, question_id: str, version: str) -> Reply:
    """The form the report button opens."""
    return Reply(
        title="Report a problem",
        body=(
            f"Question {question_id}: say what is wrong with it (up to {REPORT_CHARS} characters). This server's "
            "moderators read it; they do not see your name."
        ),
        ephemeral=True,
        form=Form(
            action=SubmitReport(module_id, question_id, version).encode(),
            label="What is wrong with this question?",
            placeholder="For example: the marked answer disagrees with its source",
            max_length=REPORT_CHARS,
        ),
    )


def _strip_controls(raw: str, keep_lines: bool) -> str:
    kept = []
    for char in raw.replace("\r\n", "\n").replace("\r", "\n"):
        if char == "\n" and keep_lines:
            kept.append(char)
        elif unicodedata.category(char) == "Cc":
            kept.append(" ")
        else:
            kept.append(char)
    return _INVISIBLE.sub("", "".join(kept))


def clean_report(raw: str) -> str:
    """A report's text as stored: control and invisible characters gone, lines kept (at most one blank line in a
    row), trimmed. Refuses an empty report or one over ``REPORT_CHARS``, saying what to do."""
    lines = [" ".join(line.split()) for line in _strip_controls(raw, keep_lines=True).split("\n")]
    cleaned = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    if not cleaned:
        raise InvalidInput("Your report is empty. Say what is wrong with the question, then send it again.")
    if len(cleaned) > REPORT_CHARS:
        raise InvalidInput(
            f"Your report is {plural(len(cleaned), 'character')} long; keep it to {REPORT_CHARS} or fewer and "
            "send it again."
        )
    return cleaned


def clean_note(raw: str) -> str:
    """A moderator's note: one line, control and invisible characters gone; 1 to ``NOTE_CHARS`` characters."""
    cleaned = " ".join(_strip_controls(raw, keep_lines=False).split())
    if not cleaned:
        raise InvalidInput("Give a note: a few words on what was done, for the server's settings history.")
    if len(cleaned) > NOTE_CHARS:
        raise InvalidInput(f"The note is {plural(len(cleaned), 'character')} long; keep it to {NOTE_CHARS} or fewer.")
    return cleaned


# The server's settings history records moderators' actions next to settings changes, under these keys.

_HIDDEN_KEY = re.compile(r"question:(?P<question>[a-z][a-z0-9-]{1,39})")
_REPORT_KEY = re.compile(r"report:(?P<id>\d{1,19}):(?P<question>[a-z][a-z0-9-]{1,39})")
SHOWN, HIDDEN = "shown", "hidden"
"""A question's two states in the history (from and to)."""


def hidden_key(question_id: str) -> str:
    return f"question:{question_id}"


def report_key(report_id: int, question_id: str) -> str:
    return f"report:{report_id}:{question_id}"


def handled_value(status: ReportStatus, note: str) -> str:
    """A handled report's new value in the history: its outcome and the moderator's note."""
    return f"{status}: {note}"


def history_label(key: str) -> str | None:
    """How the settings history names a moderator's action ("Question ov-01", "Report 17 on ov-01"); None for a
    key that is a setting's."""
    if match := _HIDDEN_KEY.fullmatch(key):
        return f"Question {match['question']}"
    if match := _REPORT_KEY.fullmatch(key):
        return f"Report {match['id']} on {match['question']}"
    return None
