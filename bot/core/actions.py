"""Actions behind buttons and menus, encoded as short strings that hold ids only.

On Discord the string becomes a component ``custom_id`` (prefixed ``ksb:``) that survives restarts; in the
console it is what a numbered button runs. Decoding never trusts the string: the services check every id
against the content or the database before acting on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core import limits
from bot.core.errors import NotFound

PREFIX = "ksb:"
MENU_KIND = "op"
"""Actions of this kind come from select menus (with the chosen value); all others from buttons."""


@dataclass(frozen=True)
class ShowPage:
    """Show page ``page`` (0-based) of a document: ``t.<topic>``, ``c.<command>.<variant>`` or ``s`` (sources)."""

    module: str
    document: str
    page: int

    def encode(self) -> str:
        return f"pg:{self.module}:{self.document}:{self.page}"


@dataclass(frozen=True)
class ShowSection:
    """Show the page of a topic that holds its section number ``section`` (0-based): a search hit's button.

    It names the section, not the page, so that every hit gets its own custom_id (Discord refuses a message with
    two alike, and two hits can share a page) and the page is worked out on click, from the content then loaded.
    """

    module: str
    topic: str
    section: int

    def encode(self) -> str:
        return f"sc:{self.module}:{self.topic}:{self.section}"


@dataclass(frozen=True)
class ShowIndex:
    module: str

    def encode(self) -> str:
        return f"ix:{self.module}"


@dataclass(frozen=True)
class OpenTopic:
    """A menu action: the chosen option's value names the topic to open."""

    module: str

    def encode(self) -> str:
        return f"{MENU_KIND}:{self.module}"


@dataclass(frozen=True)
class AnswerQuestion:
    """A quiz answer button: which session, which question (its position), which choice (0-based)."""

    session_id: int
    position: int
    choice: int

    def encode(self) -> str:
        return f"qa:{self.session_id}:{self.position}:{self.choice}"


@dataclass(frozen=True)
class ForgetMe:
    """The confirmation buttons of a data deletion request: only ``user_id`` may press them."""

    user_id: int
    confirmed: bool

    def encode(self) -> str:
        return f"{'fg' if self.confirmed else 'fc'}:{self.user_id}"


@dataclass(frozen=True)
class SettingsHistoryPage:
    """Page ``page`` (0-based) of the settings history of the server the click comes from.

    The server is never in the string: it is the clicker's, so a copied button cannot show another server's.
    """

    module: str
    page: int

    def encode(self) -> str:
        return f"sh:{self.module}:{self.page}"


@dataclass(frozen=True)
class ReadSection:
    """The "Read more" button under a quiz reveal or a review card: the topic page holding the question's section,
    shown to the clicker alone and beside the clicked message (a reveal stays as the channel sees it, a review card
    stays open)."""

    module: str
    topic: str
    section: int

    def encode(self) -> str:
        return f"rm:{self.module}:{self.topic}:{self.section}"


@dataclass(frozen=True)
class ReviewPick:
    """A choice on a review card: which review session, which card (its position), which choice (0-based). The
    session's member alone may press it; the session is checked against the database on every click."""

    session_id: int
    position: int
    choice: int

    def encode(self) -> str:
        return f"rp:{self.session_id}:{self.position}:{self.choice}"


@dataclass(frozen=True)
class ReviewRate:
    """A rating of a review card (1 Again, 2 Hard, 3 Good, 4 Easy), which reschedules it and shows the next one."""

    session_id: int
    position: int
    rating: int

    def encode(self) -> str:
        return f"rr:{self.session_id}:{self.position}:{self.rating}"


@dataclass(frozen=True)
class ReviewPractice:
    """Practise unseen questions (of one topic, or any): offered when nothing is due. The clicker's own cards."""

    module: str
    topic: str | None

    def encode(self) -> str:
        return f"rx:{self.module}" + (f":{self.topic}" if self.topic else "")


@dataclass(frozen=True)
class ReportQuestion:
    """The "Report a problem" button under a question's answer: it opens the report form.

    ``version`` is the question's content version as shown (``bot.core.moderation.question_version``), so a report
    says which wording it is about even if the content changes before it is sent.
    """

    module: str
    question_id: str
    version: str

    def encode(self) -> str:
        return f"rq:{self.module}:{self.question_id}:{self.version}"


@dataclass(frozen=True)
class SubmitReport:
    """The report form sent: its one text is what the member says is wrong. A form's action, never a button's."""

    module: str
    question_id: str
    version: str

    def encode(self) -> str:
        return f"rs:{self.module}:{self.question_id}:{self.version}"


Action = (
    ShowPage
    | ShowSection
    | ShowIndex
    | OpenTopic
    | AnswerQuestion
    | ForgetMe
    | SettingsHistoryPage
    | ReadSection
    | ReviewPick
    | ReviewRate
    | ReviewPractice
    | ReportQuestion
    | SubmitReport
)
FormAction = SubmitReport
"""Actions that only a submitted form runs (with its text); pressed as a button they are refused."""

_SLUG = r"[a-z][a-z0-9-]{0,30}"
_QUESTION = r"[a-z][a-z0-9-]{1,39}"
"""A question id, as the content model allows one."""
_VERSION = r"[0-9a-f]{8}"
_PATTERNS: list[tuple[re.Pattern[str], type[Action]]] = [
    (
        re.compile(rf"pg:(?P<module>{_SLUG}):(?P<document>t\.{_SLUG}|c\.{_SLUG}\.{_SLUG}|s):(?P<page>\d{{1,2}})"),
        ShowPage,
    ),
    (re.compile(rf"sc:(?P<module>{_SLUG}):(?P<topic>{_SLUG}):(?P<section>\d{{1,2}})"), ShowSection),
    (re.compile(rf"ix:(?P<module>{_SLUG})"), ShowIndex),
    (re.compile(rf"op:(?P<module>{_SLUG})"), OpenTopic),
    (re.compile(r"qa:(?P<session>[1-9]\d{0,17}):(?P<position>\d{1,2}):(?P<choice>[0-4])"), AnswerQuestion),
    (re.compile(r"(?P<kind>fg|fc):(?P<user>[1-9]\d{0,19})"), ForgetMe),
    (re.compile(rf"sh:(?P<module>{_SLUG}):(?P<page>0|[1-9]\d{{0,3}})"), SettingsHistoryPage),
    (re.compile(rf"rm:(?P<module>{_SLUG}):(?P<topic>{_SLUG}):(?P<section>\d{{1,2}})"), ReadSection),
    (re.compile(r"rp:(?P<session>[1-9]\d{0,17}):(?P<position>\d{1,2}):(?P<choice>[0-4])"), ReviewPick),
    (re.compile(r"rr:(?P<session>[1-9]\d{0,17}):(?P<position>\d{1,2}):(?P<rating>[1-4])"), ReviewRate),
    (re.compile(rf"rx:(?P<module>{_SLUG})(?::(?P<topic>{_SLUG}))?"), ReviewPractice),
    (re.compile(rf"rq:(?P<module>{_SLUG}):(?P<question>{_QUESTION}):(?P<version>{_VERSION})"), ReportQuestion),
    (re.compile(rf"rs:(?P<module>{_SLUG}):(?P<question>{_QUESTION}):(?P<version>{_VERSION})"), SubmitReport),
]


def decode(text: str) -> Action:
    """Parse an action string; anything malformed raises NotFound with a message a user can act on."""
    if len(text) > limits.CUSTOM_ID:
        raise NotFound("That button is not valid. Run the command again.")
    for pattern, kind in _PATTERNS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        if kind is ShowPage:
            return ShowPage(match["module"], match["document"], int(match["page"]))
        if kind is ShowSection:
            return ShowSection(match["module"], match["topic"], int(match["section"]))
        if kind is ShowIndex:
            return ShowIndex(match["module"])
        if kind is AnswerQuestion:
            return AnswerQuestion(int(match["session"]), int(match["position"]), int(match["choice"]))
        if kind is ForgetMe:
            return ForgetMe(int(match["user"]), confirmed=match["kind"] == "fg")
        if kind is SettingsHistoryPage:
            return SettingsHistoryPage(match["module"], int(match["page"]))
        if kind is ReadSection:
            return ReadSection(match["module"], match["topic"], int(match["section"]))
        if kind is ReviewPick:
            return ReviewPick(int(match["session"]), int(match["position"]), int(match["choice"]))
        if kind is ReviewRate:
            return ReviewRate(int(match["session"]), int(match["position"]), int(match["rating"]))
        if kind is ReviewPractice:
            return ReviewPractice(match["module"], match["topic"])
        if kind is ReportQuestion:
            return ReportQuestion(match["module"], match["question"], match["version"])
        if kind is SubmitReport:
            return SubmitReport(match["module"], match["question"], match["version"])
        return OpenTopic(match["module"])
    raise NotFound("That button is not one this bot made, or it is from an older version. Run the command again.")
