"""Which section of its topic a quiz question comes from: where "Read more" on a reveal or a review card leads.

Questions name their topic and the source that supports their answer, not a section, so the section is worked
out: among the topic's sections, the one sharing the most of the question's words (its prompt, right answer and
explanation, as stems, each word weighted by how few of the topic's sections use it), with a section that cites
the question's own source counted ahead of one that does not. Content never changes once loaded, so each answer
is worked out once per question (kept in the module's memo).
"""

from __future__ import annotations

import math

from bot.core.actions import ReadSection
from bot.core.content.library import ContentModule
from bot.core.content.models import Question, Topic
from bot.core.content.wording import plain_text, stem, words
from bot.core.reply import Button

SOURCE_WEIGHT = 1.5
"""Added to a section that cites the question's source: about two rare shared words. The source is strong evidence
(the fact is backed there), but a section that plainly discusses the question's subject still wins over one that
merely cites the same review in passing."""


def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(word) for word in words(plain_text(text)))


def _section_for(topic: Topic, question: Question) -> int:
    sections = [_stems(f"{s.title} {s.body}") for s in topic.sections]
    asked = _stems(" ".join([question.prompt, question.choices[question.answer].text, question.explanation]))
    count = len(sections)

    def weight(word: str) -> float:
        used = sum(1 for section in sections if word in section)
        return math.log(1 + count / used) if used else 0.0

    def score(position: int) -> tuple[float, int]:
        shared = sum(weight(word) for word in asked & sections[position])
        cited = SOURCE_WEIGHT if question.source in topic.sections[position].sources else 0.0
        return shared + cited, -position  # ties: the earlier section

    return max(range(count), key=score)


def section_of(module: ContentModule, question: Question) -> int | None:
    """The 0-based section of the question's topic it comes from; None when its topic is not in the module."""
    key = f"section-of:{question.id}"
    if key not in module.memo:
        topic = module.topic(question.topic)
        module.memo[key] = None if topic is None else _section_for(topic, question)
    found: int | None = module.memo[key]
    return found


def read_more(module: ContentModule, question: Question) -> Button | None:
    """The "Read more" button under a quiz reveal or a review answer: the section the question comes from."""
    section = section_of(module, question)
    if section is None:
        return None
    return Button(label="Read more", action=ReadSection(module.id, question.topic, section).encode())
