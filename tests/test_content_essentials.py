"""The ten essentials the pharmacology review found missing (issue 12) stay taught: each in its topic's text and by
at least two quiz questions that name it. A later edit that drops one (say, a question rebuilt on another point)
fails here with the essential's name, the topic or the question concerned."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from bot.core.content.library import ContentLibrary
from tests.helpers import CONTENT

MODULE = ContentLibrary.load(CONTENT).modules["ketamine"]


@dataclass(frozen=True)
class Essential:
    name: str
    topic: str
    """The topic whose sections or key facts teach it."""
    taught: str
    """A pattern the topic's text must contain."""
    questions: dict[str, str]
    """Question id -> a pattern its prompt, right answer or explanation must contain."""


ESSENTIALS = (
    Essential(
        "cardiovascular pharmacology: sympathomimetic yet a direct negative inotrope",
        "physical-effects",
        r"contractility",
        {"phys-02": r"contractility", "phys-16": r"negative inotrop", "use-17": r"pulmonary artery pressure"},
    ),
    Essential(
        "where ketamine earns its place: bronchospasm, emergency-department dissociative sedation",
        "uses",
        r"bronchospasm",
        {"use-18": r"bronchospasm", "phys-23": r"status asthmaticus", "use-08": r"emergency", "use-23": r"sedation"},
    ),
    Essential(
        "NMDA receptor basics, wind-up and central sensitisation: anti-hyperalgesic",
        "mechanism",
        r"wind-up",
        {"mech-01": r"glycine", "mech-15": r"wind-up", "mech-11": r"anti-hyperalgesic"},
    ),
    Essential(
        "size of the perioperative benefit and the negative trials",
        "uses",
        r"PODCAST",
        {"use-20": r"PODCAST", "use-04": r"chronic post-surgical pain"},
    ),
    Essential(
        "interactions with data: CYP2B6 first; ticlopidine, itraconazole, clarithromycin, rifampicin",
        "pharmacokinetics",
        r"CYP2B6",
        {"pk-14": r"CYP2B6", "pk-15": r"ticlopidine", "pk-17": r"[Rr]ifampicin", "pk-18": r"clarithromycin"},
    ),
    Essential(
        "routes: intramuscular about 93%; oral low by first pass; sublingual",
        "pharmacokinetics",
        r"93",
        {"pk-09": r"93", "pk-01": r"first-pass", "pk-16": r"sublingual"},
    ),
    Essential(
        "emergence reactions: who has them and how to prevent them",
        "psychological-effects",
        r"midazolam",
        {"psy-05": r"emergence", "psy-15": r"midazolam", "psy-17": r"emergence"},
    ),
    Essential(
        "esketamine in full: the injectable licence, Spravato's terms, its boxed warning, blood pressure after dosing",
        "overview",
        r"Ketanest S",
        {"ov-11": r"Ketanest S", "use-14": r"Spravato", "risk-19": r"[Rr]espiratory depression", "phys-13": r"40 min"},
    ),
    Essential(
        "cancer and palliative pain: a negative trial and an inconclusive Cochrane review",
        "uses",
        r"cancer",
        {"use-21": r"cancer", "use-22": r"Cochrane"},
    ),
    Essential(
        "chronic-use harms: uropathy to a small bladder and upper-tract damage; symptoms on stopping",
        "risks",
        r"bladder",
        {"risk-04": r"bladder", "risk-20": r"hydronephrosis", "risk-21": r"stop"},
    ),
)


def _topic_text(topic_id: str) -> str:
    topic = MODULE.topic(topic_id)
    assert topic is not None, f"no topic {topic_id}"
    parts = [topic.summary, *(f"{s.title} {s.body}" for s in topic.sections), *(k.text for k in topic.key_facts)]
    return " ".join(parts)


@pytest.mark.parametrize("essential", ESSENTIALS, ids=[e.name.split(":")[0] for e in ESSENTIALS])
def test_each_essential_is_taught_and_asked(essential: Essential) -> None:
    assert re.search(essential.taught, _topic_text(essential.topic)), f"{essential.name}: not in {essential.topic}"
    assert len(essential.questions) >= 2
    for question_id, pattern in essential.questions.items():
        question = MODULE.question(question_id)
        assert question is not None, f"{essential.name}: question {question_id} is gone"
        right = next(c.text for c in question.choices if c.correct)
        words = " ".join([question.prompt, right, question.explanation])
        assert re.search(pattern, words), f"{essential.name}: {question_id} no longer asks it ({pattern!r})"
