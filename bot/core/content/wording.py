"""Text as the search sees it: words, stems, abbreviations the content defines, and snippets.

Kept apart from the ranking (``search.py``) because each piece is a small rule about English text that can be
read, and tested, on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from bot.core.content.vocabulary import STOP_WORDS

SNIPPET_CHARS = 150
"""About two lines of a Discord embed: enough to show the sentence that matched, short enough for five hits."""
SNIPPET_LEAD = 40
"""Characters of text shown before the first matched word, so the snippet starts a little before it."""

_WORD = re.compile(r"[^\W_]+")
_EMPHASIS = re.compile(r"[*`]+")
_BULLET = re.compile(r"^\s*[-•]\s+", re.MULTILINE)
_ABBREVIATION = re.compile(r"\(([A-Z][A-Za-z]{1,5})\)")
_SUFFIXES = (
    *("isations", "izations", "isation", "ization", "ising", "izing", "ised", "ized", "ises", "izes", "ise"),
    *("ize", "ism", "ances", "ences", "ance", "ence", "ants", "ents", "ant", "ent", "ings", "ing", "ies", "ied"),
    *("age", "ed", "es", "s", "e", "y"),
)
"""Longest first. Enough English to join the forms students type with the forms the content uses."""


@lru_cache(maxsize=8192)  # the same few thousand content words are stemmed at every index build
def stem(word: str) -> str:
    """A crude stem: the longest listed suffix off, keeping at least three letters.

    Only ever compared with other stems made the same way, so it need not be a word: ``dose``, ``doses``,
    ``dosing`` and ``dosage`` all become ``dos``; ``tolerance`` and ``tolerant``, ``toler``; ``discovery`` and
    ``discovered``, ``discover``. ``emergence`` (``emerg``) and ``emergency`` (``emergenc``) stay apart.
    """
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def all_words(text: str) -> list[str]:
    """Every word of a text, lower case: runs of letters and digits (``half-life`` is ``half`` and ``life``)."""
    return [m.group().casefold() for m in _WORD.finditer(text)]


@lru_cache(maxsize=4096)  # an index build reads each title and text for several purposes
def words(text: str) -> tuple[str, ...]:
    """The searchable words of a text: without one-letter words and stop words."""
    return tuple(w for w in all_words(text) if len(w) > 1 and w not in STOP_WORDS)


def plain_text(text: str) -> str:
    """Section text as one line without markdown: what a snippet is cut from."""
    return " ".join(_BULLET.sub(" ", _EMPHASIS.sub("", text)).split())


def first_positions(text: str) -> dict[str, int]:
    """Where each word of ``text`` first appears, so that placing a snippet costs a lookup per matched word."""
    starts: dict[str, int] = {}
    for match in _WORD.finditer(text):
        starts.setdefault(match.group().casefold(), match.start())
    return starts


def abbreviations(texts: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Abbreviations the content spells out, as in "complex regional pain syndrome (CRPS)": ``crps`` → its words.

    Only where the initials of the words before the brackets spell the abbreviation, so "phencyclidine (PCP)"
    and "(grade B)" define nothing.
    """
    found: dict[str, tuple[str, ...]] = {}
    for text in texts:
        for match in _ABBREVIATION.finditer(text):
            short = match.group(1).casefold()
            before = all_words(text[max(0, match.start() - 20 * len(short)) : match.start()])[-len(short) :]
            if len(before) == len(short) and "".join(w[0] for w in before) == short:
                found.setdefault(short, tuple(before))
    return found


def snippet(text: str, first: int) -> str:
    """About SNIPPET_CHARS of ``text`` from a little before ``first``, cut at spaces, with "…" where it was cut."""
    start = max(0, min(first - SNIPPET_LEAD, len(text) - SNIPPET_CHARS))
    if start > 0 and not text[start - 1].isspace():  # a word cut in two: start at the next one, or this one's start
        after = text.find(" ", start, first)
        start = after + 1 if after >= 0 else text.rfind(" ", 0, start) + 1
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text) and not text[end].isspace():
        cut = text.rfind(" ", start, end)
        end = cut if cut > start else end
    shown = text[start:end].strip()
    return ("…" if start > 0 else "") + shown + ("…" if end < len(text) else "")
