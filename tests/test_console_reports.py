"""Reports, hidden questions, the share-name choice and the tutor export in the offline console, through a pipe as a
user types them: `press 1` on a reveal opens the report form as a prompt (the next line is its text, an empty line
cancels), and the CSV is saved to a file whose path is printed."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from bot.core.quiz import limits
from tests.helpers import cli

SCRIPT = [
    "/ketamine quiz start questions:1",
    "a",
    "wait",  # the question runs out: its reveal, with Read more and "Report a problem", is the last message with buttons
    "press 2",
    "",  # an empty line cancels the form
    "press 2",
    "The explanation @everyone **contradicts** its source",
    "press 2",
    "again, the same question",  # one open report per member and question
    "/ketamine-admin reports list",
    "/ketamine-admin reports resolve report:1 note:=checked the label",
    "/ketamine-admin question hide question:ov-01",
    "/ketamine settings history",
    "/ketamine privacy share-name",
    "/ketamine privacy share-name state:on",
    "/ketamine-admin export",
]


def test_report_moderate_and_export_in_the_console(tmp_path: Path) -> None:
    env = {"LOG_LEVEL": "WARNING", "QUIZ_SECONDS": str(limits.SECONDS.low), "QUIZ_REVEAL_SECONDS": "0"}
    result = cli(tmp_path, stdin="\n".join(SCRIPT) + "\n", env=env, timeout=90)
    out = " ".join(re.sub("[│╭╮╰╯─]", " ", result.stdout).split())  # panels wrap lines: compare words
    assert result.returncode == 0, result.stderr
    assert "[1] Read more [2] Report a problem (type `press N`)" in out
    assert out.count("What is wrong with this question? Type it on one line (up to 1000 characters)") == 3
    assert "Nothing was sent." in out
    assert out.count("Thanks for your report") == 1 and "You already reported question" in out
    assert "1 open report on 1 question." in out and "“The explanation @everyone **contradicts** its source”" in out
    assert "Report 1 resolved" in out and "Question ov-01 hidden" in out
    assert "Question ov-01: shown → hidden" in out and "Report 1 on" in out and "resolved: =checked the label" in out
    assert "Your name in the tutor export" in out and "Off: this server's tutor export counts your answers" in out
    assert "On since" in out
    (path,) = (tmp_path / "exports").glob("*.csv")
    assert f"Savedto{path}" in "".join(result.stdout.split()), "its path is printed (a long path wraps)"
    assert path.name.startswith("ketamine-tutor-export-1-")
    with path.open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert {r["member"] for r in table if r["row"] == "member"} == {"you"}, "the console's user chose to be named"
    assert next(r for r in table if r["question_id"] == "ov-01")["hidden_here"] == "yes"
    assert any(r["last_note"] == "'=checked the label" for r in table), "a note that would be a formula is made inert"
