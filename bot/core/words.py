"""Counted words in replies: "1 question", "2 questions", "1 quiz", "3 quizzes".

Every count a member or an operator reads goes through :func:`plural`, so "1 players" cannot creep back in
one f-string at a time; ``tests/test_words.py`` scans ``bot/`` for count words built by hand.
"""

from __future__ import annotations

from collections.abc import Mapping

IRREGULAR: Mapping[str, str] = {
    "quiz": "quizzes",
    "person": "people",
    "child": "children",
}
"""Plurals that the suffix rules below get wrong (``quiz`` doubles its z); add a word here, not a special case."""

_ES_ENDINGS = ("s", "x", "z", "ch", "sh")
_VOWELS = "aeiou"


def plural_of(word: str) -> str:
    """The plural of one noun (or of a phrase's last word: "quiz answer" -> "quiz answers")."""
    head, space, last = word.rpartition(" ")
    lower = last.lower()
    if lower in IRREGULAR:
        form = IRREGULAR[lower]
        form = form[:1].upper() + form[1:] if last[:1].isupper() else form
    elif lower.endswith("y") and len(lower) > 1 and lower[-2] not in _VOWELS:
        form = last[:-1] + "ies"
    elif lower.endswith(_ES_ENDINGS):
        form = last + "es"
    else:
        form = last + "s"
    return head + space + form


def noun(count: int, singular: str, plural_form: str | None = None) -> str:
    """The word alone, singular for exactly one (and minus one), plural otherwise (English says "0 points")."""
    if abs(count) == 1:
        return singular
    return plural_form if plural_form is not None else plural_of(singular)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` and its noun: ``plural(1, "player")`` is "1 player", ``plural(3, "player")`` "3 players"."""
    return f"{count} {noun(count, singular, plural_form)}"
