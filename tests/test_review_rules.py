"""The review rules alone (no database, no event loop): FSRS behind ``review``, the quiz answer's rating, due order,
practice order, mastery, streaks, a review session's clicks, the section Read more opens, the action strings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.actions import ReadSection, ReviewPick, ReviewPractice, ReviewRate, decode
from bot.core.content.library import ContentLibrary
from bot.core.content.sections import section_of
from bot.core.errors import NotFound
from bot.core.review import deck
from bot.core.review.scheduling import (
    DAY_MS,
    CardState,
    Rating,
    ReviewCard,
    ReviewSource,
    interval_words,
    preview,
    rating_for_answer,
    review,
)
from bot.core.review.session import (
    NotInThisReview,
    NotYourReview,
    PickFirst,
    ReviewKind,
    ReviewOver,
    ReviewSession,
    SessionCard,
)
from tests.helpers import CONTENT

MODULE = ContentLibrary.load(CONTENT).modules["ketamine"]
T0 = 1_700_000_000_000
MINUTE = 60_000


def utc_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def card(question: str = "ov-01", due_ms: int = T0, **values: object) -> ReviewCard:
    return ReviewCard.new(1, "ketamine", question, T0).model_copy(update={"due_ms": due_ms, **values})


def rated(*ratings: Rating, start: ReviewCard | None = None) -> ReviewCard:
    """A card rated in turn, each rating when the card falls due."""
    current = start or card()
    for rating in ratings:
        current, _ = review(current, rating, current.due_ms, ReviewSource.REVIEW)
    return current


def test_again_comes_back_sooner_than_good_and_easy_later() -> None:
    new = card()
    due = {rating: review(new, rating, T0, ReviewSource.REVIEW)[0].due_ms for rating in Rating}
    assert T0 < due[Rating.AGAIN] < due[Rating.HARD] < due[Rating.GOOD] < due[Rating.EASY]
    assert due[Rating.AGAIN] - T0 == MINUTE and due[Rating.GOOD] - T0 == 10 * MINUTE  # FSRS's learning steps
    assert due[Rating.EASY] - T0 >= DAY_MS
    assert preview(new, T0) == due


def test_the_same_ratings_give_the_same_schedule_every_time() -> None:
    """Fuzzing is off: long intervals (where FSRS would add a random day or two) are the same on every run."""
    first = rated(Rating.EASY, Rating.GOOD, Rating.EASY)
    assert first.state is CardState.REVIEW and first.due_ms - (first.last_review_ms or 0) > 30 * DAY_MS
    assert all(rated(Rating.EASY, Rating.GOOD, Rating.EASY) == first for _ in range(20))


def test_a_lapse_relearns_and_counts() -> None:
    mature = rated(Rating.EASY, Rating.EASY)
    forgotten, log = review(mature, Rating.AGAIN, mature.due_ms, ReviewSource.QUIZ)
    assert forgotten.state is CardState.RELEARNING and forgotten.lapses == 1 and forgotten.reps == 3
    assert forgotten.due_ms - mature.due_ms == 10 * MINUTE  # FSRS's relearning step
    assert (forgotten.stability or 0) < (mature.stability or 0)
    assert log.rating is Rating.AGAIN and log.source is ReviewSource.QUIZ and log.due_ms == forgotten.due_ms


def test_a_rating_never_goes_back_before_the_last_review() -> None:
    """A quiz answer given before a review of the same card, applied at its reveal after it, counts as later."""
    reviewed, _ = review(card(), Rating.GOOD, T0 + 5_000, ReviewSource.REVIEW)
    late, log = review(reviewed, Rating.GOOD, T0 + 2_000, ReviewSource.QUIZ)
    assert log.reviewed_ms == late.last_review_ms == T0 + 5_000


@pytest.mark.parametrize(
    ("correct", "after_ms", "expected"),
    [
        (False, 0, Rating.AGAIN),
        (False, 19_000, Rating.AGAIN),
        (True, 0, Rating.EASY),
        (True, 5_000, Rating.EASY),  # exactly the first quarter of 20 s
        (True, 5_001, Rating.GOOD),
        (True, 19_999, Rating.GOOD),
    ],
)
def test_a_quiz_answer_as_a_rating(correct: bool, after_ms: int, expected: Rating) -> None:
    assert rating_for_answer(correct, T0 + after_ms, T0, T0 + 20_000) is expected


def test_a_question_of_the_day_has_its_hours_quartered_too() -> None:
    hour = 3_600_000
    assert rating_for_answer(True, T0 + 2 * hour, T0, T0 + 12 * hour) is Rating.EASY
    assert rating_for_answer(True, T0 + 4 * hour, T0, T0 + 12 * hour) is Rating.GOOD


def test_due_cards_longest_overdue_first_only_eligible_ones() -> None:
    questions = MODULE.questions
    cards = [
        card(questions[3].id, due_ms=T0 - 10),
        card(questions[1].id, due_ms=T0 - 500),
        card(questions[2].id, due_ms=T0 + 1),  # not yet
        card(questions[0].id, due_ms=T0 - 10),  # ties: the content's order
        card("gone-from-content", due_ms=T0 - 9_999),
    ]
    due = deck.due_cards(cards, questions, T0)
    assert [c.question_id for c in due] == [questions[1].id, questions[0].id, questions[3].id]
    assert deck.next_due_ms(cards, questions, T0) == T0 + 1
    mechanism = [q for q in questions if q.topic == "mechanism"]
    assert deck.due_cards(cards, mechanism, T0) == [] and deck.next_due_ms(cards, mechanism, T0) is None


def test_practice_offers_unseen_questions_easiest_first() -> None:
    questions = MODULE.questions
    fresh = deck.unseen([card(questions[0].id)], questions)
    assert questions[0] not in fresh and len(fresh) == len(questions) - 1
    difficulties = [q.difficulty for q in fresh]
    assert difficulties == sorted(difficulties)
    ones = [q for q in questions[1:] if q.difficulty == 1]
    assert fresh[: len(ones)] == ones  # within a difficulty, the content's order


def test_mastery_is_stability_of_21_days_or_more() -> None:
    mechanism = [q for q in MODULE.questions if q.topic == "mechanism"]
    overview = [q for q in MODULE.questions if q.topic == "overview"]
    cards = [
        card(mechanism[0].id, stability=21.0),
        card(mechanism[1].id, stability=20.99),
        card(overview[0].id, stability=400.0),
        card(overview[1].id),  # never rated
    ]
    rows = {row.topic: row for row in deck.mastery(cards, [*overview, *mechanism])}
    assert (rows["mechanism"].mastered, rows["mechanism"].total) == (1, len(mechanism))
    assert (rows["overview"].mastered, rows["overview"].total) == (1, len(overview))
    assert list(rows) == ["overview", "mechanism"]
    assert deck.is_mastered(rated(Rating.EASY, Rating.EASY))  # two easy recalls eight days apart


def test_streak_counts_days_in_the_given_time_zone() -> None:
    days = [utc_ms("2026-03-01T12:00:00"), utc_ms("2026-03-02T12:00:00"), utc_ms("2026-03-03T08:00:00")]
    assert deck.streak(days, utc_ms("2026-03-03T20:00:00"), "UTC") == 3
    assert deck.streak(days, utc_ms("2026-03-04T20:00:00"), "UTC") == 3, "today is not over yet"
    assert deck.streak(days, utc_ms("2026-03-05T00:30:00"), "UTC") == 0, "a whole day without a review"
    assert deck.streak([], utc_ms("2026-03-05T00:30:00"), "UTC") == 0
    # 23:30 UTC on 2 March is already 3 March in Berlin: two reviews on one Berlin day, none on 2 March there.
    late = [utc_ms("2026-03-01T12:00:00"), utc_ms("2026-03-02T23:30:00"), utc_ms("2026-03-03T12:00:00")]
    assert deck.streak(late, utc_ms("2026-03-03T13:00:00"), "UTC") == 3
    assert deck.streak(late, utc_ms("2026-03-03T13:00:00"), "Europe/Berlin") == 1


def session(**values: object) -> ReviewSession:
    base = ReviewSession(
        id=5,
        user_id=1,
        module="ketamine",
        topic=None,
        kind=ReviewKind.REVIEW,
        position=0,
        created_ms=T0,
        updated_ms=T0,
        ended_ms=None,
        cards=(SessionCard(position=0, question_id="ov-01"), SessionCard(position=1, question_id="ov-02")),
    )
    return base.model_copy(update=values)


def test_a_session_is_picked_then_rated_card_by_card() -> None:
    start = session()
    with pytest.raises(PickFirst):
        start.rate(0, Rating.GOOD, T0)
    picked = start.pick(0, 2, choice_count=4, now_ms=T0 + 1)
    assert picked is not None and picked.cards[0].choice == 2 and picked.position == 0
    assert picked.pick(0, 1, choice_count=4, now_ms=T0 + 2) is None, "the first pick stands"
    moved = picked.rate(0, Rating.HARD, T0 + 3)
    assert moved is not None and moved.position == 1 and moved.current == moved.cards[1] and not moved.over
    assert moved.rate(0, Rating.EASY, T0 + 4) is None and moved.pick(0, 0, 4, T0 + 4) is None, "a card behind"
    last = moved.pick(1, 0, 4, T0 + 5)
    assert last is not None
    done = last.rate(1, Rating.AGAIN, T0 + 6)
    assert done is not None and done.over and done.current is None and done.ended_ms == T0 + 6
    assert done.ratings() == {Rating.AGAIN: 1, Rating.HARD: 1, Rating.GOOD: 0, Rating.EASY: 0}
    done.check(1)  # a finished session still answers its member (it shows its end)


def test_a_session_refuses_other_members_forged_positions_and_replaced_sessions() -> None:
    with pytest.raises(NotYourReview):
        session().check(2)
    with pytest.raises(ReviewOver):
        session(ended_ms=T0).check(1)  # ended before its last card: a newer session replaced it
    with pytest.raises(NotInThisReview):
        session().pick(7, 0, 4, T0)
    with pytest.raises(NotInThisReview):
        session().pick(0, 4, 4, T0)
    with pytest.raises(NotInThisReview):
        session().rate(2, Rating.GOOD, T0)


def test_every_question_reads_more_in_a_section_of_its_own_topic() -> None:
    for question in MODULE.questions:
        topic = MODULE.topic(question.topic)
        position = section_of(MODULE, question)
        assert topic is not None and position is not None and 0 <= position < len(topic.sections)
    ov02 = MODULE.question("ov-02")  # who synthesised ketamine, and when
    overview = MODULE.topic("overview")
    assert ov02 is not None and overview is not None
    assert "Discovery" in overview.sections[section_of(MODULE, ov02) or 0].title


@pytest.mark.parametrize(
    "action",
    [
        ReadSection("ketamine", "overview", 3),
        ReviewPick(123, 19, 4),
        ReviewRate(9_007_199_254_740_993, 0, 1),
        ReviewPractice("ketamine", None),
        ReviewPractice("ketamine", "risks"),
    ],
)
def test_review_actions_round_trip(action: object) -> None:
    encoded = action.encode()  # type: ignore[attr-defined]
    assert decode(encoded) == action


@pytest.mark.parametrize("bad", ["rr:1:0:0", "rr:1:0:5", "rp:0:0:0", "rp:1:0:5", "rx:Ketamine", "rm:k:t:100"])
def test_malformed_review_actions_are_refused(bad: str) -> None:
    with pytest.raises(NotFound):
        decode(bad)


def test_intervals_read_short() -> None:
    assert [interval_words(ms) for ms in (MINUTE, 10 * MINUTE, 5 * 3_600_000, 8 * DAY_MS, 66 * DAY_MS)] == [
        "1 min",
        "10 min",
        "5 h",
        "8 d",
        "2 mo",
    ]
    assert interval_words(800 * DAY_MS) == "2.2 y"
