"""The two bots the benchmark compares, and what /proc says about a bot process's memory and CPU.

Starting and stopping them is the tests' own helper (``tests.botkit.process.BotProcess``), so the benchmark
measures the bot exactly as the process tests run it: ``python -m bot run`` with only the settings given here.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path

from bot.core.quiz.limits import SECONDS
from tests.botkit.process import BARE_BOT, STUDY_BOT, BotCommand, BotProcess

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

BARE = BARE_BOT
STUDY = dataclasses.replace(
    STUDY_BOT,
    # The longest QUIZ_SECONDS allowed: each `answer` workload run starts its own quiz, and its question stays
    # open through that run's clicks (seconds at the usual rates; see README, "What runs").
    env={**STUDY_BOT.env, "LOG_LEVEL": "WARNING", "QUIZ_SECONDS": str(SECONDS.high)},
)
ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
"""The study bot's database engines, by the key the results use."""


@dataclass(frozen=True)
class Subject:
    """One kind of bot process: the bare bot, or the study bot on one engine (its key: ``study.sqlite``)."""

    key: str
    label: str
    command: BotCommand
    engine: str | None = None


def subject(command: BotCommand, engine: str | None = None) -> Subject:
    if engine is None:
        return Subject(command.key, command.label, command)
    return Subject(f"{command.key}.{engine}", f"{command.label}, {ENGINES[engine]}", command, engine)


def status_kib(process: BotProcess, key: str) -> int:
    """A ``kB`` field of /proc/<pid>/status, e.g. VmRSS (resident memory) or VmHWM (its peak)."""
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def rss_kib(process: BotProcess) -> int:
    return status_kib(process, "VmRSS")


def cpu_seconds(process: BotProcess) -> float:
    """User + system CPU seconds the process has used so far (/proc/<pid>/stat); 0 once it has exited."""
    if not process.running:
        return 0.0
    stat = Path(f"/proc/{process.pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def log_problems(output: str) -> list[str]:
    """Errors a bot logged (the study bot logs at WARNING and above), one line each: the log line, plus the last
    line of its traceback when there is one."""
    problems: list[str] = []
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if not any(mark in line for mark in (" ERROR ", " CRITICAL ")) and not line.startswith("Task exception"):
            continue
        block = [line]
        for position in range(index + 1, len(lines)):  # not a slice: a copy of the rest per error is quadratic
            follow = lines[position]
            if _TIMESTAMP.match(follow):
                break
            block.append(follow)
        raised = ""  # the exception line that ends the (last) traceback in the block
        in_traceback = False
        for follow in block[1:]:
            if follow.startswith("Traceback"):
                in_traceback = True
            elif in_traceback and follow and not follow.startswith(" "):
                raised, in_traceback = follow.strip(), False
        problems.append(line.strip() + (f" -- {raised}" if raised else ""))
    return problems


_TIMESTAMP = re.compile(r"^\d\d:\d\d:\d\d ")
