"""The offline console, driven through a pipe exactly as a user would: ``printf ... | python -m bot``."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from bot.console.view import local_time
from bot.core.quiz import limits
from bot.core.text import Timestamp
from bot.settings import PROJECT_ROOT
from tests.helpers import BOT_VARIABLES, cli


def run_console(tmp_path: Path, script: str, **env: str) -> subprocess.CompletedProcess[str]:
    return cli(tmp_path, stdin=script, env={"LOG_LEVEL": "WARNING", **env})


class LiveConsole:
    """``python -m bot`` fed through a pipe that the test writes to as it reads what was printed.

    For a script whose next line must wait for something on screen: a letter typed before a quiz question is
    printed answers nothing, and waiting out every question's QUIZ_SECONDS instead would make the test slow.
    """

    def __init__(self, tmp_path: Path, **env: str) -> None:
        environment = {k: v for k, v in os.environ.items() if k not in BOT_VARIABLES}
        environment.update({"DATABASE_PATH": str(tmp_path / "bot.sqlite3"), "LOG_LEVEL": "WARNING", **env})
        self._stderr = (tmp_path / "console.err").open("w+", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            cwd=tmp_path,
            env=environment,
        )
        self.out: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def wait_for(self, text: str, timeout: float = 30) -> None:
        """Read printed lines until one holds ``text``; fail after ``timeout`` seconds or at the end of output."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self._lines.get(timeout=max(end - time.monotonic(), 0.01))
            except queue.Empty:
                break
            if line is None:
                raise AssertionError(f"the console ended before printing {text!r}:\n{''.join(self.out)}")
            self.out.append(line)
            if text in line:
                return
        raise AssertionError(f"{text!r} not printed within {timeout} s:\n{''.join(self.out)}")

    def finish(self, text: str, timeout: float = 60) -> tuple[int, str, str]:
        """Send the last lines, close the input, and return the exit code, everything printed and stderr."""
        self.send(text)
        assert self.process.stdin is not None
        self.process.stdin.close()
        code = self.process.wait(timeout)
        self._reader.join(timeout)
        while (line := self._lines.get_nowait() if not self._lines.empty() else None) is not None:
            self.out.append(line)
        self._stderr.seek(0)
        err = self._stderr.read()
        self._stderr.close()
        return code, "".join(self.out), err


def test_console_runs_commands_from_a_pipe_and_exits_at_end(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "/ketamine mechanism",
            "press 2",
            "/ketamine effects kind:psychological",
            "/ketamine search query:norketamine",
            "/ketamine topics",
            "pick 4",
            "/ketamine sources",
        ]
    )
    result = run_console(tmp_path, script + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Mechanism: how ketamine blocks the NMDA receptor" in out
    assert "(continued)" in out and "Page 2/" in out
    assert "Psychological effects of ketamine" in out
    assert "Search: norketamine" in out and "Metabolism: norketamine" in out
    assert "Open a topic" in out and "Pharmacokinetics" in out
    assert "Sources · Ketamine for pain management" in out
    assert out.count("For education only, not medical advice") >= 7
    assert "Traceback" not in out + result.stderr


def test_console_help_and_errors_keep_going(tmp_path: Path) -> None:
    script = "help\n/ketamine nope\n/ketamine effects kind:loud\n/ketamine search query:\nketamine mechanism\npress 9\n/ketamine overview\n"
    result = run_console(tmp_path, script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "/ketamine search query:<string>" in out and "/ketamine effects [kind:<physical|psychological|both>]" in out
    assert "has no `nope` command" in out or "has no nope command" in out
    assert "must be one of: physical, psychological, both" in out
    assert "Commands start with" in out
    assert "no buttons" in out or "Press a number" in out
    assert "Ketamine: overview and history" in out
    assert "Traceback" not in out + result.stderr


def _module_without_topics(tmp_path: Path) -> Path:
    """A copy of the ketamine module's own files with an empty topics folder, for a test to add a broken topic."""
    content = tmp_path / "content" / "ketamine"
    (content / "topics").mkdir(parents=True)
    for name in ("module.yaml", "sources.yaml"):
        (content / name).write_text((PROJECT_ROOT / "content" / "ketamine" / name).read_text(encoding="utf-8"))
    return content


def test_broken_content_stops_start_up_with_one_line(tmp_path: Path) -> None:
    content = _module_without_topics(tmp_path)
    (content / "topics" / "bad.yaml").write_text("id: [\n", encoding="utf-8")
    result = run_console(tmp_path, "", CONTENT_DIR=str(tmp_path / "content"))
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if "bad.yaml" in line]
    assert len(lines) == 1 and "invalid YAML" in lines[0]
    assert "Traceback" not in result.stderr


def test_check_command_counts_content(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check"], capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "ketamine: 8 topics, 7 topic commands" in result.stdout


def test_console_runs_a_quiz_answered_by_letter(tmp_path: Path) -> None:
    """The first question runs its full QUIZ_SECONDS (the shortest allowed); the second is answered as soon as it
    is printed, and so revealed at once: everyone who played the first has answered it."""
    console = LiveConsole(tmp_path, QUIZ_SECONDS=str(limits.SECONDS.low), QUIZ_REVEAL_SECONDS="0.2")
    console.send("/ketamine quiz start questions:2\nb\nb\n")
    console.wait_for("Question 2/2")
    code, out, err = console.finish("b\n/ketamine quiz status\nwait\n")
    assert code == 0, err
    assert "Quiz starting" in out and "Question 1/2" in out and "Question 2/2" in out
    assert out.count("Locked in: B") == 2 and "You already answered B" in out
    assert out.count("the answer is") == 2
    assert "Quiz over · results" in out and "you · " in out
    assert "Traceback" not in out + err


def test_console_press_n_answers_the_question_printed_last(tmp_path: Path) -> None:
    """The question's buttons say "type `press N`": that works on it, not only on the console's own last reply."""
    script = "/ketamine mechanism\n/ketamine quiz start questions:1\npress 2\n/ketamine mechanism\npress 2\n"
    result = run_console(tmp_path, script)  # leaving never waits for the quiz: its seconds do not matter
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Locked in: B" in out
    assert "Page 2/2" in out  # after a newer reply with buttons, press N is that reply's again
    assert "Traceback" not in out + result.stderr


def test_console_letter_without_a_quiz(tmp_path: Path) -> None:
    result = run_console(tmp_path, "a\n")
    assert result.returncode == 0 and "No quiz question is open" in result.stdout


def test_check_command_fails_with_one_line_per_problem(tmp_path: Path) -> None:
    content = _module_without_topics(tmp_path)
    (content / "topics" / "a.yaml").write_text("id: a\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "CONTENT_DIR": str(tmp_path / "content")},
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    problems = [line for line in result.stderr.splitlines() if "a.yaml" in line]
    assert problems and all("required field is missing" in line for line in problems)
    assert "Traceback" not in result.stderr


def test_console_timestamps_keep_their_date_when_discord_shows_one() -> None:
    """The settings history's full date-time style reads as a date and a time; a countdown stays a time."""
    noon_utc = 1_700_049_600_000  # Wednesday 15 November 2023 in every zone from UTC-11 to UTC+11
    dated = local_time(Timestamp(noon_utc, "datetime"))
    assert re.fullmatch(r"Wednesday 15 November 2023, \d\d:00 \S+", dated)
    assert local_time(Timestamp(noon_utc, "date")) == "15 November 2023"
    assert re.fullmatch(r"at \d\d:00:00", local_time(Timestamp(noon_utc)))


def test_console_settings_history_pages_with_labels_and_dates(tmp_path: Path) -> None:
    sets = [f"/ketamine-admin settings set setting:questions value:{n}" for n in range(21, 33)]
    script = [*sets, "/ketamine-admin settings set setting:questions value:32", "/ketamine settings history", "press 2"]
    result = run_console(tmp_path, "\n".join(script) + "\n", TZ="UTC", COLUMNS="200")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Setting unchanged" in out and "Questions per quiz is already 32" in out
    assert "12 changes · page 1/2" in out and "12 changes · page 2/2" in out
    assert re.search(r"\w+day \d{1,2} \w+ 20\d\d, \d\d:\d\d UTC · you · Questions per quiz: 31 → 32", out)
    assert "Questions per quiz: default → 21" in out and "**questions**" not in out
    assert "Traceback" not in out + result.stderr


def test_console_reviews_with_press_and_keeps_the_card_after_read_more(tmp_path: Path) -> None:
    """Practice from an empty deck, a card answered and rated, Read more beside the next one, its ratings still
    pressable; then the deck as stats and a new review see it, and after a restart practice goes on with the
    questions not seen yet (nothing rated was lost)."""
    script = [
        "/ketamine review",
        "press 1",  # Practise new questions
        "press 4",  # D, the right answer to ov-01
        "press 3",  # Good
        "press 2",  # B on the second card
        "press 5",  # Read more: beside the card
        "press 1",  # Again, on the card (not on the page Read more opened)
        "/ketamine review topic:overview",
        "/ketamine stats",
    ]
    result = run_console(tmp_path, "\n".join(script) + "\n", COLUMNS="200")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Nothing to review" in out and "You have no review cards yet" in out
    assert "Practice 1/20 · right" in out and "Practice 2/20 · right" in out
    assert "Again · 1 min" in out and "Easy · 8 d" in out
    assert "» Discovery and first human use" in out
    assert "Practice 3/20" in out
    assert "Nothing is due on Ketamine: overview and history now" in out
    assert "Review streak" in out and "Mastery by topic" in out and "0/15 (0%)" in out

    again = run_console(tmp_path, "/ketamine review\npress 1\n", COLUMNS="200")
    assert again.returncode == 0, again.stderr
    assert "Nothing is due now. Your next card is due" in again.stdout and "Practice 1/20" in again.stdout
    assert "Ketamine belongs to which chemical family" in out, "ov-01, the first card before the restart"
    assert "Ketamine belongs to which chemical family" not in again.stdout, "seen cards are not practised again"
    assert "Traceback" not in out + result.stderr + again.stdout + again.stderr
