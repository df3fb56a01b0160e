"""The benchmark's workloads: what each sends to a bot, and what a right answer to it looks like.

Kept apart from the orchestration (run.py) so each reads on its own; README.md here describes every workload.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.load import JSON, BenchFake, Check, Send, embed_title
from bench.procs import BARE, STUDY
from tests.botkit import CHANNEL_ID
from tests.fakediscord import InteractionHandle

EPHEMERAL = 1 << 6


@dataclass(frozen=True)
class Workload:
    key: str
    label: str
    bot: str
    clicks: bool = False
    """An answer click or its control: measured at each ``--click-inflight``, each pass on a question of its own."""


def case_key(workload: str, engine: str | None, inflight: int) -> str:
    """``noop@64``, ``click@32``, ``topic.sqlite@64``, ``answer.postgresql@32``."""
    return f"{workload}{'' if engine is None else '.' + engine}@{inflight}"


WORKLOADS = (
    Workload("noop", "/noop", BARE.key),
    Workload("static", "/static (control)", BARE.key),
    Workload("click", "answer click (control)", BARE.key, clicks=True),
    Workload("topic", "/ketamine mechanism", STUDY.key),
    Workload("search", "/ketamine search query:norketamine", STUDY.key),
    Workload("answer", "quiz answer click", STUDY.key, clicks=True),
)


def check_noop(callback: JSON) -> str | None:
    content = (callback.get("data") or {}).get("content")
    return None if callback.get("type") == 4 and content == "ok" else f"type {callback.get('type')}, {content!r}"


def check_topic(callback: JSON) -> str | None:
    title = embed_title(callback)
    return None if callback.get("type") == 4 and title.startswith("Mechanism") else f"title {title!r}"


def check_search(callback: JSON) -> str | None:
    title = embed_title(callback)
    return None if callback.get("type") == 4 and title == "Search: norketamine" else f"title {title!r}"


def check_answer(callback: JSON) -> str | None:
    title = embed_title(callback)
    flags = int((callback.get("data") or {}).get("flags") or 0)
    ok = callback.get("type") == 4 and flags & EPHEMERAL and title.startswith("Locked in")
    return None if ok else f"title {title!r}, flags {flags}"


def command_sender(fake: BenchFake, name: str, options: JSON | None = None) -> Send:
    member = fake.make_member(7, "bencher")

    async def send(i: int) -> InteractionHandle:
        return await fake.invoke(name, options, member=member)

    return send


PROBES: dict[str, tuple[str, JSON | None, Check]] = {
    BARE.key: ("noop", None, check_noop),
    STUDY.key: ("ketamine mechanism", None, check_topic),
}


async def start_quiz(
    fake: BenchFake, channel_id: int = CHANNEL_ID, options: JSON | None = None
) -> tuple[JSON, list[str]]:
    """Start a quiz in the channel (with ``options``, e.g. a topic) and wait for its first question; return the
    message and its answer buttons.

    One quiz per channel: a second pass of answer clicks in the same process uses another channel, since the
    first quiz's question stays open (``QUIZ_SECONDS=600``).
    """
    handle = await fake.invoke(
        "ketamine quiz start", options, channel_id=channel_id, member=fake.make_member(7, "bencher")
    )
    record = await fake.settled(handle)
    if record.callback is None or embed_title(record.callback) != "Quiz starting":
        raise RuntimeError(f"quiz start failed: {record.callback or record.rejected_callbacks}")

    def question() -> JSON | None:
        for message in fake.channel_messages(channel_id, include_ephemeral=False):
            if answer_buttons(message):
                return message
        return None

    await fake.wait_for(lambda: question() is not None, 15, "the first quiz question")
    message = question()
    assert message is not None
    return message, answer_buttons(message)


async def post_question(fake: BenchFake, channel_id: int = CHANNEL_ID) -> tuple[JSON, list[str]]:
    """The bare bot's control for answer clicks: it posts the study bot's question, with the same buttons."""
    handle = await fake.invoke("question", channel_id=channel_id, member=fake.make_member(7, "bencher"))
    await fake.settled(handle)
    message = handle.message
    if message is None or not answer_buttons(message):
        raise RuntimeError(
            f"/question posted no question: {handle.record.callback or handle.record.rejected_callbacks}"
        )
    return message, answer_buttons(message)


def answer_buttons(message: JSON) -> list[str]:
    ids = [c.get("custom_id", "") for row in message.get("components", []) for c in row.get("components", [])]
    return [i for i in ids if i.startswith("ksb:qa:")]


async def workload_sender(
    fake: BenchFake, workload: Workload, count: int, channel_id: int = CHANNEL_ID
) -> tuple[Send, Check]:
    """How to send interaction ``i`` of ``workload`` (``count`` of them) and check its answer. Each answer click
    comes from a different member: a second click by the same member is not a write. Clicks go to a question
    posted in ``channel_id``."""
    if workload.key == "noop":
        return command_sender(fake, "noop"), check_noop
    if workload.key == "static":
        return command_sender(fake, "static"), check_topic
    if workload.key == "topic":
        return command_sender(fake, "ketamine mechanism"), check_topic
    if workload.key == "search":
        return command_sender(fake, "ketamine search", {"query": "norketamine"}), check_search
    message, buttons = await (post_question if workload.key == "click" else start_quiz)(fake, channel_id)
    members = [fake.make_member(100_000 + i, f"player{i}") for i in range(count)]

    async def click(i: int) -> InteractionHandle:
        return await fake.click(message, buttons[i % len(buttons)], member=members[i])

    return click, check_answer
