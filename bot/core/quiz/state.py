"""The quiz's states and the one table of allowed moves between them (the table the aggregate runs).

``lobby`` (created, first question not yet posted) → ``asking`` (a question is open) → ``revealing`` (its
answer is shown) → ``asking`` the next question … → ``finished``. ``stopped`` ends a quiz early from any
running state. The schema stores the state's value; nothing else spells these words.
"""

from __future__ import annotations

from enum import StrEnum


class QuizState(StrEnum):
    LOBBY = "lobby"
    ASKING = "asking"
    REVEALING = "revealing"
    FINISHED = "finished"
    STOPPED = "stopped"

    @property
    def running(self) -> bool:
        return self in RUNNING


RUNNING = frozenset({QuizState.LOBBY, QuizState.ASKING, QuizState.REVEALING})
ENDED = frozenset({QuizState.FINISHED, QuizState.STOPPED})


class QuizEvent(StrEnum):
    ASK = "ask"
    REVEAL = "reveal"
    FINISH = "finish"
    STOP = "stop"


_TRANSITIONS: dict[tuple[QuizState, QuizEvent], QuizState] = {
    (QuizState.LOBBY, QuizEvent.ASK): QuizState.ASKING,
    (QuizState.ASKING, QuizEvent.REVEAL): QuizState.REVEALING,
    (QuizState.REVEALING, QuizEvent.ASK): QuizState.ASKING,
    (QuizState.REVEALING, QuizEvent.FINISH): QuizState.FINISHED,
    (QuizState.LOBBY, QuizEvent.STOP): QuizState.STOPPED,
    (QuizState.ASKING, QuizEvent.STOP): QuizState.STOPPED,
    (QuizState.REVEALING, QuizEvent.STOP): QuizState.STOPPED,
}


class InvalidTransition(RuntimeError):
    """A state change the quiz does not allow (a bug or a race; never shown to users as is)."""


def transition(state: QuizState, event: QuizEvent) -> QuizState:
    try:
        return _TRANSITIONS[(state, event)]
    except KeyError:
        raise InvalidTransition(f"cannot {event.value} a quiz that is {state.value}") from None
