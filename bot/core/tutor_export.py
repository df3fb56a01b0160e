"""The tutor export: a server's quiz results per topic and per question as CSV, for a spreadsheet.

Members are counted, never named, except those who chose to be (``/<module> privacy share-name``): they get rows of
their own. Every text cell is made inert for spreadsheets (a cell starting ``=``, ``+``, ``-`` or ``@`` would run as
a formula when the file is opened), since names and notes are typed by people.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core.content.library import ContentModule
from bot.core.content.models import Question

COLUMNS = (
    "row",
    "topic",
    "question_id",
    "question",
    "member",
    "answers",
    "correct",
    "accuracy",
    "members",
    "reports_open",
    "reports_resolved",
    "reports_dismissed",
    "last_note",
    "hidden_here",
)
FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")
"""First characters a spreadsheet may read as the start of a formula (with their full-width forms)."""
ALL_TOPICS = "all"


@dataclass(frozen=True)
class Tally:
    """Answers given, how many were right, and by how many members."""

    answers: int = 0
    correct: int = 0
    members: int = 0


@dataclass(frozen=True)
class ReportTally:
    open: int = 0
    resolved: int = 0
    dismissed: int = 0
    last_note: str = ""
    """The note of the report handled last, if any."""


@dataclass(frozen=True)
class NamedTally:
    """One member who chose to be named, on one topic (``ALL_TOPICS`` for their total)."""

    name: str
    topic: str
    tally: Tally


def cell(value: str) -> str:
    """Text for a CSV cell that a spreadsheet shows as text: on one line, with a leading apostrophe when it would
    otherwise start a formula (the usual guard; the apostrophe is not shown)."""
    flat = " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in value).split())
    return "'" + flat if flat[:1] in FORMULA_STARTS else flat


def accuracy(tally: Tally) -> str:
    return f"{tally.correct / tally.answers:.3f}" if tally.answers else ""


def build_csv(
    module: ContentModule,
    by_topic: Mapping[str, Tally],
    by_question: Mapping[str, Tally],
    reports: Mapping[str, ReportTally],
    hidden: frozenset[str],
    named: Sequence[NamedTally],
) -> str:
    """Rows in the module's topic order: each topic, then its questions; then the named members' rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for topic in sorted(module.topics, key=lambda t: t.order):
        questions = sorted((q for q in module.questions if q.topic == topic.id), key=lambda q: q.id)
        if not questions:
            continue
        tally = by_topic.get(topic.id, Tally())
        writer.writerow(_row("topic", topic.id, "", cell(topic.title), "", tally, _sum(reports, questions), ""))
        for question in questions:
            tally = by_question.get(question.id, Tally())
            report = reports.get(question.id, ReportTally())
            hidden_here = "yes" if question.id in hidden else "no"
            writer.writerow(
                _row("question", topic.id, question.id, cell(question.prompt), "", tally, report, hidden_here)
            )
    for row in named:
        writer.writerow(_row("member", row.topic, "", "", cell(row.name), row.tally, None, ""))
    return out.getvalue()


def _sum(reports: Mapping[str, ReportTally], questions: Sequence[Question]) -> ReportTally:
    mine = [reports[q.id] for q in questions if q.id in reports]
    return ReportTally(
        open=sum(r.open for r in mine),
        resolved=sum(r.resolved for r in mine),
        dismissed=sum(r.dismissed for r in mine),
    )


def _row(
    kind: str,
    topic: str,
    question_id: str,
    question: str,
    member: str,
    tally: Tally,
    report: ReportTally | None,
    hidden_here: str,
) -> list[object]:
    members: object = tally.members if kind != "member" else ""
    counts: list[object] = (
        ["", "", "", ""]
        if report is None
        else [
            report.open,
            report.resolved,
            report.dismissed,
            cell(report.last_note),
        ]
    )
    return [
        kind,
        topic,
        question_id,
        question,
        member,
        tally.answers,
        tally.correct,
        accuracy(tally),
        members,
        *counts,
        hidden_here,
    ]
