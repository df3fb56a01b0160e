"""The quiz aggregate alone: no database, no event loop. Every rule, every named refusal, every event."""

from __future__ import annotations

import pytest

from bot.core.content.models import Choice, Question
from bot.core.quiz.aggregate import Quiz
from bot.core.quiz.errors import AlreadyAsked, NotAllowedToStop, NotInThisQuiz, QuestionClosed, QuizOver, TimeUp
from bot.core.quiz.events import AnswerRevealed, QuestionAsked, QuestionWithdrawn, QuizEnded
from bot.core.quiz.model import AskedQuestion, QuizKind, QuizSession
from bot.core.quiz.state import InvalidTransition, QuizState

STARTER = 7


def question(qid: str) -> Question:
    return Question(
        id=qid,
        topic="mechanism",
        difficulty=1,
        prompt="Which receptor does ketamine block?",
        choices=[Choice(text="NMDA", correct=True), Choice(text="GABA-A"), Choice(text="mu-opioid")],
        explanation="Ketamine blocks the NMDA receptor's channel.",
        source="Test2020",
    )


def new_quiz(count: int = 2, *, speed_bonus: bool = True, closes_ms: int | None = None) -> Quiz:
    session = QuizSession(
        id=1,
        guild_id=10,
        channel_id=20,
        starter_id=STARTER,
        module="ketamine",
        topic=None,
        difficulty=None,
        question_count=count,
        seconds=20,
        points=100,
        speed_bonus=speed_bonus,
        seed=1,
        state=QuizState.LOBBY,
        position=0,
        created_ms=0,
        updated_ms=0,
        ended_ms=None,
        kind=QuizKind.DAILY if closes_ms else QuizKind.QUIZ,
        closes_ms=closes_ms,
    )
    questions = [
        AskedQuestion(
            session_id=1,
            position=p,
            question_id=f"q{p}",
            message_id=None,
            asked_ms=None,
            deadline_ms=None,
            revealed_ms=None,
        )
        for p in range(count)
    ]
    return Quiz(session, questions)


def test_a_quiz_runs_through_the_transition_table_and_reports_each_step() -> None:
    quiz = new_quiz()
    first = quiz.ask_next(1_000)
    assert quiz.state is QuizState.ASKING and first.position == 0 and first.deadline_ms == 21_000
    quiz.posted(0, message_id=555)
    assert quiz.open_question is not None and quiz.open_question.message_id == 555
    quiz.reveal(5_000)
    assert quiz.state is QuizState.REVEALING and quiz.open_question is None and quiz.has_next
    second = quiz.ask_next(6_000)
    assert second.position == 1 and quiz.session.position == 1
    quiz.reveal(7_000)
    quiz.finish(8_000)
    assert quiz.state is QuizState.FINISHED and quiz.session.ended_ms == 8_000 and quiz.asked_count == 2
    assert quiz.events == [
        QuestionAsked(1, 0, 21_000),
        AnswerRevealed(1, 0),
        QuestionAsked(1, 1, 26_000),
        AnswerRevealed(1, 1),
        QuizEnded(1, stopped=False),
    ]


def test_moves_the_table_does_not_allow_are_refused() -> None:
    quiz = new_quiz(count=1)
    with pytest.raises(InvalidTransition):
        quiz.reveal(1_000)  # nothing asked yet
    quiz.ask_next(1_000)
    with pytest.raises(InvalidTransition):
        quiz.ask_next(2_000)  # the open question is not revealed
    quiz.reveal(3_000)
    with pytest.raises(InvalidTransition):
        quiz.ask_next(4_000)  # there is no second question
    quiz.finish(5_000)
    with pytest.raises(InvalidTransition):
        quiz.finish(6_000)


def test_answers_are_graded_by_the_rules() -> None:
    quiz = new_quiz()
    q0 = question("q0")
    with pytest.raises(QuestionClosed):
        quiz.grade(1, 0, 0, 500, q0)  # not asked yet
    quiz.ask_next(1_000)
    instant = quiz.grade(1, 0, 0, 1_000, q0)
    assert instant.correct and instant.points == 200, "an instant right answer scores double"
    last_moment = quiz.grade(2, 0, 0, 21_000, q0)
    assert last_moment.points == 100
    assert quiz.grade(3, 0, 1, 2_000, q0).points == 0
    with pytest.raises(TimeUp):
        quiz.grade(4, 0, 0, 21_001, q0)
    with pytest.raises(NotInThisQuiz, match="choice"):
        quiz.grade(5, 0, 7, 2_000, q0)
    with pytest.raises(NotInThisQuiz, match="question"):
        quiz.grade(5, 0, 0, 2_000, question("other"))
    with pytest.raises(QuestionClosed):
        quiz.grade(5, 1, 0, 2_000, question("q1"))  # a later question, not open yet
    quiz.reveal(3_000)
    with pytest.raises(QuestionClosed):
        quiz.grade(6, 0, 0, 3_500, q0)


def test_no_speed_bonus_scores_the_base_points() -> None:
    quiz = new_quiz(speed_bonus=False)
    quiz.ask_next(0)
    assert quiz.grade(1, 0, 0, 0, question("q0")).points == 100


def test_a_stopped_quiz_takes_no_answer_and_only_its_starter_or_a_manager_stops_it() -> None:
    quiz = new_quiz()
    quiz.ask_next(1_000)
    with pytest.raises(NotAllowedToStop):
        quiz.stop(2_000, by_user=99, can_manage=False)
    quiz.stop(2_000, by_user=99, can_manage=True)
    assert quiz.state is QuizState.STOPPED and quiz.events[-1] == QuizEnded(1, stopped=True)
    with pytest.raises(QuizOver):
        quiz.grade(1, 0, 0, 2_500, question("q0"))
    with pytest.raises(QuizOver):
        quiz.stop(3_000, by_user=STARTER, can_manage=False)


def test_the_reveal_rule() -> None:
    quiz = new_quiz()
    quiz.ask_next(0)
    assert not quiz.reveal_due(10_000, set(), set())
    assert quiz.reveal_due(20_000, set(), set()), "the deadline reveals"
    assert not quiz.reveal_due(5_000, {1, 2}, {1, 2}), "the first question always runs its time"
    quiz.reveal(20_000)
    quiz.ask_next(21_000)
    assert not quiz.reveal_due(22_000, {1, 2}, {1})
    assert quiz.reveal_due(22_000, {1, 2}, {1, 2, 3}), "everyone who played before has answered"


def test_a_question_of_the_day_closes_at_its_fixed_time_and_can_close_early() -> None:
    quiz = new_quiz(count=1, closes_ms=86_000_000)
    asked = quiz.ask_next(1_000)
    assert asked.deadline_ms == 86_000_000
    quiz.close_now(5_000)
    assert quiz.state is QuizState.FINISHED and quiz.questions[0].revealed_ms == 5_000


def test_asking_again_gives_new_times_to_an_unposted_question() -> None:
    quiz = new_quiz()
    quiz.ask_next(1_000)
    again = quiz.ask_again(50_000)
    assert again.asked_ms == 50_000 and again.deadline_ms == 70_000 and quiz.state is QuizState.ASKING
    assert quiz.snapshot().questions == quiz.questions and quiz.snapshot().questions is not quiz.questions


def ids(quiz: Quiz) -> list[str]:
    return [q.question_id for q in quiz.questions]


def test_a_withdrawn_question_not_asked_yet_is_replaced_in_its_position() -> None:
    quiz = new_quiz(count=4)
    quiz.ask_next(1_000)
    before = quiz.snapshot()
    assert quiz.holds("q2") and quiz.waiting("q2") and not quiz.waiting("q0")
    swapped = quiz.withdraw("q2", "x9", 2_000)
    assert swapped is not None and swapped.position == 2 and swapped.asked_ms is None
    assert ids(quiz) == ["q0", "q1", "x9", "q3"] and quiz.session.question_count == 4
    assert not quiz.holds("q2") and quiz.questions[0] == before.questions[0], "the open question is untouched"
    assert quiz.state is QuizState.ASKING and quiz.session.position == 0
    assert quiz.events[-1] == QuestionWithdrawn(1, 2, "q2", "x9")
    with pytest.raises(ValueError, match="already holds"):
        quiz.withdraw("q3", "q1", 3_000)  # a question is asked once per quiz
    assert ids(quiz) == ["q0", "q1", "x9", "q3"]


def test_without_a_replacement_the_position_goes_and_the_later_ones_move_up() -> None:
    quiz = new_quiz(count=4)
    quiz.ask_next(1_000)
    quiz.reveal(2_000)
    assert quiz.withdraw("q1", None, 3_000) is None
    assert ids(quiz) == ["q0", "q2", "q3"] and [q.position for q in quiz.questions] == [0, 1, 2]
    assert quiz.session.question_count == 3 and quiz.session.position == 0 and quiz.state is QuizState.REVEALING
    assert quiz.events[-1] == QuestionWithdrawn(1, 1, "q1", None)
    assert quiz.ask_next(4_000).question_id == "q2", "the next question asked is the one that moved up"
    quiz.reveal(5_000)
    quiz.withdraw("q3", None, 6_000)
    assert not quiz.has_next, "the last question went: the quiz ends after this reveal"
    quiz.finish(7_000)
    assert quiz.state is QuizState.FINISHED and quiz.asked_count == 2 and quiz.session.question_count == 2


def test_a_question_asked_or_being_asked_is_history() -> None:
    quiz = new_quiz(count=3)
    quiz.ask_next(1_000)
    with pytest.raises(AlreadyAsked) as being_asked:
        quiz.withdraw("q0", "x9", 2_000)
    assert being_asked.value.position == 0 and "already asked" in str(being_asked.value)
    quiz.reveal(3_000)
    quiz.ask_next(4_000)
    before = quiz.snapshot()
    with pytest.raises(AlreadyAsked):
        quiz.withdraw("q0", None, 5_000)  # asked and revealed
    with pytest.raises(AlreadyAsked):
        quiz.withdraw("q1", None, 5_000)  # open now
    with pytest.raises(NotInThisQuiz):
        quiz.withdraw("zz", None, 5_000)
    assert quiz.questions == before.questions and quiz.session == before.session
    quiz.stop(6_000, STARTER, can_manage=False)
    with pytest.raises(QuizOver):
        quiz.withdraw("q2", None, 7_000)


def test_a_quiz_left_with_nothing_to_ask_is_stopped() -> None:
    quiz = new_quiz(count=1)
    assert quiz.withdraw("q0", None, 1_000) is None
    assert quiz.state is QuizState.STOPPED and quiz.session.ended_ms == 1_000 and quiz.asked_count == 0
    assert quiz.events[-2:] == [QuestionWithdrawn(1, 0, "q0", None), QuizEnded(1, stopped=True)]
    lobby = new_quiz(count=2)
    lobby.withdraw("q0", None, 1_000)
    assert lobby.state is QuizState.LOBBY and ids(lobby) == ["q1"], "one question left: it is asked first"
    assert lobby.ask_next(2_000).question_id == "q1"
