"""The fake Discord of the scale benchmark: the project's sharded fake, watching what the bots post.

It tells the players when a quiz question appears (so its members can answer it), and keeps the wall-clock time
of every question posted, every reveal (the edit that shows the answer) and every results post, with a count of
each per message, so the audit can say whether anything was posted twice or never.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.fakediscord import FakeDiscord
from tests.fakediscord.records import Upload

JSON = dict[str, Any]
ANSWER_PREFIX = "ksb:qa:"
REVEALED_MARK = "the answer is"
RESULTS_MARK = "Quiz over"


def answer_buttons(message: JSON) -> list[str]:
    ids = [c.get("custom_id", "") for row in message.get("components") or [] for c in row.get("components") or []]
    return [i for i in ids if i.startswith(ANSWER_PREFIX)]


def title(message: JSON) -> str:
    embeds = message.get("embeds") or []
    return str(embeds[0].get("title", "")) if embeds else ""


@dataclass
class Posts:
    """What the bots posted, by message id, with wall-clock times in ms (the bots' deadlines use the same clock)."""

    questions: dict[int, float] = field(default_factory=dict)
    """Question message id -> when it was posted."""
    question_channel: dict[int, int] = field(default_factory=dict)
    reveals: dict[int, float] = field(default_factory=dict)
    """Question message id -> when the first edit showing its answer arrived."""
    reveal_edits: Counter[int] = field(default_factory=Counter)
    """Edits that showed a question's answer, per message. More than one with the same content is a repeated edit
    (a process showing again a reveal it cannot know was shown: nobody sees a difference); more than one content
    (``reveal_contents``) is a reveal made twice."""
    reveal_contents: dict[int, set[str]] = field(default_factory=dict)
    """The distinct embeds of the edits that showed a question's answer, per message."""
    results: Counter[int] = field(default_factory=Counter)
    """Results posts per channel: more than one is a quiz's results posted twice."""


class ScaleFake(FakeDiscord):
    """The sharded fake, calling ``on_question(message)`` when a bot posts a quiz question."""

    def __init__(self, on_question: Callable[[JSON], None], **options: Any) -> None:
        super().__init__(**options)
        self.on_question = on_question
        self.posts = Posts()

    def create_message(self, channel_id: int, payload: JSON, uploads: Sequence[Upload] = (), **kwargs: Any) -> JSON:
        message = super().create_message(channel_id, payload, uploads, **kwargs)
        if kwargs.get("record") is None:  # a channel post (REST), not an interaction's reply
            if answer_buttons(message):
                message_id = int(message["id"])
                self.posts.questions[message_id] = time.time() * 1000
                self.posts.question_channel[message_id] = channel_id
                self.on_question(message)
            elif title(message).startswith(RESULTS_MARK):
                self.posts.results[channel_id] += 1
        return message

    def edit_message(self, message: JSON, payload: JSON, uploads: Sequence[Upload] = ()) -> JSON:
        edited = super().edit_message(message, payload, uploads)
        message_id = int(edited["id"])
        if message_id in self.posts.questions and REVEALED_MARK in title(edited):
            self.posts.reveal_edits[message_id] += 1
            self.posts.reveal_contents.setdefault(message_id, set()).add(
                json.dumps(edited.get("embeds"), sort_keys=True)
            )
            self.posts.reveals.setdefault(message_id, time.time() * 1000)
        return edited
