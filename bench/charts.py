"""The stats chart, measured in a study bot process after its workloads: the first chart (which imports matplotlib)
and later ones, one at a time, with the bot's resident memory before and after the first.

A member first answers one question on every topic the bot offers (a quiz per topic, each in a channel of its
own), so the chart has a row per topic. The answers are this week's: the fake Discord cannot backdate them, so the
other seven columns are empty (README.md, "Charts table").
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from bench.load import JSON, BenchFake, embed_title
from bench.procs import cpu_seconds, rss_kib
from bench.workloads import answer_buttons, start_quiz
from tests.botkit import CHANNEL_ID
from tests.botkit.process import BotProcess

CHART_CHANNEL = CHANNEL_ID + 1000
"""The first of the channels the chart's quizzes run in (one per topic, apart from the workloads' channels)."""
CHART_MEMBER = 4_000_000
MAX_TOPICS = 25
"""Discord's limit on an option's choices, so on the topics the quiz offers."""
IMAGE_URL = "attachment://accuracy-by-topic.png"


@dataclass
class ChartRun:
    """One process's charts: latencies (s) and bot CPU (s) of the first and of each later chart, memory (KiB)."""

    topics: int
    first_s: float | None = None
    first_cpu_s: float = 0.0
    later_s: list[float] = field(default_factory=list)
    later_cpu_s: float = 0.0
    rss_before_kib: int = 0
    rss_after_first_kib: int = 0
    rss_after_kib: int = 0
    png_bytes: int = 0
    failures: int = 0
    examples: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        later = self.later_s
        return {
            "topics": self.topics,
            "first_chart_ms": None if self.first_s is None else round(self.first_s * 1000, 1),
            "first_chart_bot_cpu_ms": round(self.first_cpu_s * 1000, 1),
            "later_charts": len(later),
            "later_chart_p50_ms": round(statistics.median(later) * 1000, 1) if later else None,
            "later_chart_max_ms": round(max(later) * 1000, 1) if later else None,
            "later_chart_bot_cpu_ms": round(self.later_cpu_s * 1000 / len(later), 1) if later else None,
            "rss_before_mib": round(self.rss_before_kib / 1024, 2),
            "rss_after_first_mib": round(self.rss_after_first_kib / 1024, 2),
            "rss_added_by_first_mib": round((self.rss_after_first_kib - self.rss_before_kib) / 1024, 2),
            "rss_after_later_mib": round(self.rss_after_kib / 1024, 2),
            "png_kib": round(self.png_bytes / 1024, 1),
            "failures": self.failures,
            "examples": self.examples[:5],
        }


def quiz_topics(fake: BenchFake) -> list[str]:
    """The topics ``/ketamine quiz start`` offers, from the command the bot registered."""
    for command in fake.global_commands:
        for group in command.get("options") or []:
            for sub in group.get("options") or [] if group.get("name") == "quiz" else []:
                for option in sub.get("options") or [] if sub.get("name") == "start" else []:
                    if option.get("name") == "topic":
                        return [str(choice["value"]) for choice in option.get("choices") or []][:MAX_TOPICS]
    raise RuntimeError("the bot registered no /ketamine quiz start topic option")


def chart_channels(count: int = MAX_TOPICS) -> list[int]:
    return [CHART_CHANNEL + i for i in range(count)]


async def answer_every_topic(fake: BenchFake) -> int:
    """The chart's member answers the first question of a quiz on each topic; returns how many topics."""
    topics = quiz_topics(fake)
    member = fake.make_member(CHART_MEMBER, "chart-reader")
    for topic, channel in zip(topics, chart_channels(), strict=False):
        message, _ = await start_quiz(fake, channel, {"topic": topic})
        record = await fake.settled(await fake.click(message, answer_buttons(message)[0], member=member))
        if record.callback is None or not embed_title(record.callback).startswith("Locked in"):
            raise RuntimeError(f"the chart's member could not answer on {topic}: {record.rejected_callbacks}")
    return len(topics)


def check_chart(callback: JSON, message: JSON | None) -> str | None:
    """A stats reply with the chart: the embed's image is the PNG sent with it."""
    data = callback.get("data") or {}
    image = ((data.get("embeds") or [{}])[0].get("image") or {}).get("url")
    files = [a for a in (message or {}).get("attachments") or [] if a.get("filename") == IMAGE_URL.split("//")[1]]
    if callback.get("type") != 4 or not embed_title(callback).startswith("Stats") or image != IMAGE_URL or not files:
        return f"type {callback.get('type')}, title {embed_title(callback)!r}, image {image!r}, {len(files)} file(s)"
    return None


async def measure_charts(fake: BenchFake, process: BotProcess, later: int) -> ChartRun:
    """Answer every topic, then ask for the member's stats ``1 + later`` times, one at a time."""
    run = ChartRun(topics=await answer_every_topic(fake))
    member = fake.make_member(CHART_MEMBER, "chart-reader")
    run.rss_before_kib = rss_kib(process)
    for number in range(1 + later):
        cpu_before = cpu_seconds(process)
        handle = await fake.invoke("ketamine stats", channel_id=CHART_CHANNEL, member=member)
        try:
            record = await fake.settled(handle, within=fake.interaction_deadline + 2)
            refused = None if record.callback is not None else f"refused: {record.rejected_callbacks}"
            problem = refused or check_chart(record.callback or {}, handle.message)
        except TimeoutError:
            problem = "no callback in time"
        cpu = cpu_seconds(process) - cpu_before
        if number == 0:
            run.rss_after_first_kib = rss_kib(process)
        if problem is not None or handle.latency is None:
            run.failures += 1
            run.examples.append(f"chart {number + 1}: {problem}")
        elif number == 0:
            run.first_s, run.first_cpu_s = handle.latency, cpu
            run.png_bytes = sum(int(a["size"]) for a in (handle.message or {}).get("attachments") or [])
        else:
            run.later_s.append(handle.latency)
            run.later_cpu_s += cpu
    run.rss_after_kib = rss_kib(process)
    return run
