"""The pure quiz rules: transitions, selection with a stored seed, scoring, early reveal, standings."""

from __future__ import annotations

import pytest

from bot.core.content.models import Choice, Question
from bot.core.errors import InvalidInput
from bot.core.quiz.model import QuizRules
from bot.core.quiz.scoring import AnswerRecord, reveal_early, score, standings
from bot.core.quiz.selection import pick_questions
from bot.core.quiz.state import InvalidTransition, QuizEvent, QuizState, transition


def question(qid: str, topic: str = "mechanism", difficulty: int = 1) -> Question:
    return Question(
        id=qid,
        topic=topic,
        difficulty=difficulty,
        prompt="Which?",
        choices=[Choice(text="a", correct=True), Choice(text="b")],
        explanation="Because.",
        source="Orser1997",
    )


BANK = [question(f"q-{i:02d}", topic="mechanism" if i % 2 else "risks", difficulty=1 + i % 3) for i in range(30)]
RULES = QuizRules(question_count=10, seconds=20, points=100, speed_bonus=True)


def test_full_run_of_states() -> None:
    state = QuizState.LOBBY
    for event in [QuizEvent.ASK, QuizEvent.REVEAL, QuizEvent.ASK, QuizEvent.REVEAL, QuizEvent.FINISH]:
        state = transition(state, event)
    assert state is QuizState.FINISHED and not state.running


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (QuizState.ASKING, QuizEvent.ASK),
        (QuizState.LOBBY, QuizEvent.REVEAL),
        (QuizState.FINISHED, QuizEvent.STOP),
        (QuizState.STOPPED, QuizEvent.ASK),
        (QuizState.ASKING, QuizEvent.FINISH),
    ],
)
def test_illegal_transitions_raise(state: QuizState, event: QuizEvent) -> None:
    with pytest.raises(InvalidTransition):
        transition(state, event)


def test_same_seed_same_questions_and_no_repeats() -> None:
    first = pick_questions(BANK, 10, seed=1234)
    again = pick_questions(list(reversed(BANK)), 10, seed=1234)
    assert [q.id for q in first] == [q.id for q in again]
    assert len({q.id for q in first}) == 10
    assert [q.id for q in pick_questions(BANK, 10, seed=99)] != [q.id for q in first]


def test_filters_and_short_pools() -> None:
    picked = pick_questions(BANK, 50, seed=1, topic="risks", difficulty=2)
    assert picked and all(q.topic == "risks" and q.difficulty == 2 for q in picked)
    assert len(picked) == len([q for q in BANK if q.topic == "risks" and q.difficulty == 2])
    with pytest.raises(InvalidInput, match="No questions match topic nothing"):
        pick_questions(BANK, 5, seed=1, topic="nothing")


def test_scoring_formula() -> None:
    asked, deadline = 0, 20_000
    assert score(False, 1_000, asked, deadline, RULES) == 0
    assert score(True, asked, asked, deadline, RULES) == 200
    assert score(True, 10_000, asked, deadline, RULES) == 150
    assert score(True, deadline, asked, deadline, RULES) == 100
    assert score(True, deadline + 5, asked, deadline, RULES) == 100
    no_bonus = QuizRules(10, 20, 100, speed_bonus=False)
    assert score(True, 1, asked, deadline, no_bonus) == 100


def test_reveal_early_waits_for_every_earlier_player() -> None:
    assert not reveal_early(0, set(), {1, 2})
    assert not reveal_early(0, {1}, {1})
    assert not reveal_early(1, {1, 2}, {1})
    assert reveal_early(1, {1, 2}, {1, 2, 3})


def test_standings_rank_points_then_accuracy_then_speed() -> None:
    answers = [
        AnswerRecord(1, 0, 0, True, 150, 5_000, 0),
        AnswerRecord(2, 0, 0, True, 150, 5_000, 0),
        AnswerRecord(2, 1, 1, False, 0, 7_000, 0),
        AnswerRecord(3, 0, 0, True, 190, 1_000, 0),
        AnswerRecord(4, 0, 1, False, 0, 900, 0),
    ]
    table = standings(answers)
    assert [s.user_id for s in table] == [3, 1, 2, 4]
    assert table[0].fastest_ms == 1_000 and table[2].accuracy == 0.5 and table[3].fastest_ms is None
