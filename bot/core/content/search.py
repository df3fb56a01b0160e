"""Fuzzy search and autocomplete over one module's topic titles, section titles, key terms and text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process, utils

from bot.core import limits
from bot.core.content.library import ContentModule
from bot.core.content.models import Topic
from bot.core.errors import InvalidInput

MAX_QUERY = 100
MIN_SCORE = 80.0
"""WRatio score (0 to 100) a label needs to count as a hit; below it, labels are only suggestions."""
RELATIVE_WINDOW = 8.0
"""Only hits this close to the best score are shown, so one exact match is not buried under near ones."""
TEXT_SCORE = 82.0
"""Score given to a section whose text contains the query word for word."""
CACHED_QUERIES = 512
"""Outcomes kept per module, most recently used first. Content never changes once loaded, and most searches
repeat: members pick autocomplete suggestions, so the same few hundred labels come back again and again."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Entry:
    label: str
    topic: Topic
    section: str | None


@dataclass(frozen=True)
class SearchOutcome:
    """Immutable, so one outcome can be handed to every caller that searches for the same thing."""

    hits: tuple[tuple[Topic, str | None], ...]
    suggestions: tuple[str, ...]


def clean_query(query: str) -> str:
    """Normalise a typed query, or explain what to type instead."""
    text = " ".join(_CONTROL.sub(" ", query).split())
    if not text:
        raise InvalidInput("Type a word or phrase to search for, for example `norketamine`.")
    if len(text) > MAX_QUERY:
        raise InvalidInput(f"That search is {len(text)} characters long; keep it to {MAX_QUERY} or fewer.")
    return text


class SearchIndex:
    def __init__(self, module: ContentModule) -> None:
        self.module = module
        entries: list[Entry] = []
        for topic in module.topics:
            entries.append(Entry(topic.title, topic, None))
            entries += [Entry(s.title, topic, s.title) for s in topic.sections]
            entries += [Entry(k, topic, _section_mentioning(topic, k)) for k in topic.keywords]
        self._entries = entries
        self._labels = [utils.default_process(e.label) for e in entries]
        self._texts = [
            (topic, section.title, utils.default_process(f"{section.title} {section.body}"))
            for topic in module.topics
            for section in topic.sections
        ]
        self._choice_labels = _unique(e.label for e in entries)
        self._choice_processed = [utils.default_process(label) for label in self._choice_labels]
        # Autocomplete runs on every keystroke, and searches repeat (see CACHED_QUERIES).
        self._outcome = lru_cache(maxsize=CACHED_QUERIES)(self._score)
        self._suggestions = lru_cache(maxsize=CACHED_QUERIES)(self._suggest)

    def suggest(self, prefix: str, limit: int = limits.AUTOCOMPLETE_CHOICES) -> list[str]:
        """Autocomplete choices: labels that start with what was typed, then the closest fuzzy matches."""
        typed = utils.default_process(_CONTROL.sub(" ", prefix))[:MAX_QUERY]
        if not typed:
            return [t.title for t in self.module.topics][:limit]
        return list(self._suggestions(typed, limit))

    def _suggest(self, typed: str, limit: int) -> tuple[str, ...]:
        labels, processed = self._choice_labels, self._choice_processed
        starts = [label for label, text in zip(labels, processed, strict=True) if text.startswith(typed)]
        fuzzy = process.extract(typed, processed, scorer=fuzz.WRatio, processor=None, limit=limit)
        ranked = _unique([*starts, *(labels[position] for _, score, position in fuzzy if score >= 50)])
        return tuple(label[: limits.CHOICE_NAME] for label in ranked[:limit])

    def search(self, query: str, limit: int = 8) -> SearchOutcome:
        """Topics and sections that match ``query`` best; none, with up to three nearest labels, if nothing does."""
        return self._outcome(utils.default_process(clean_query(query)), limit)

    def _score(self, text: str, limit: int) -> SearchOutcome:
        scored: dict[tuple[str, str | None], tuple[float, Topic]] = {}

        def offer(topic: Topic, section: str | None, score: float) -> None:
            key = (topic.id, section)
            if score > scored.get(key, (0.0, topic))[0]:
                scored[key] = (score, topic)

        # Labels under MIN_SCORE can never be kept (see threshold below), so rapidfuzz may skip them early.
        labels = process.extract(text, self._labels, scorer=fuzz.WRatio, limit=None, score_cutoff=MIN_SCORE)
        for _, score, position in labels:
            entry = self._entries[position]
            offer(entry.topic, entry.section, score)
        if text:
            pattern = re.compile(rf"\b{re.escape(text)}")
            for topic, section, body in self._texts:
                # the plain substring test is much cheaper than the regex and rules out most sections
                if text in body and pattern.search(body):
                    offer(topic, section, TEXT_SCORE)
        ranked = sorted(scored.items(), key=lambda item: (-item[1][0], item[1][1].order))
        best = ranked[0][1][0] if ranked else 0.0
        threshold = max(MIN_SCORE, best - RELATIVE_WINDOW)
        kept = [(topic, section) for (_, section), (score, topic) in ranked if score >= threshold]
        with_sections = {topic.id for topic, section in kept if section is not None}
        hits = tuple([(t, s) for t, s in kept if s is not None or t.id not in with_sections][:limit])
        suggestions: tuple[str, ...] = ()
        if not hits:
            near = process.extract(text, self._labels, scorer=fuzz.WRatio, limit=20)
            suggestions = tuple(_unique(self._entries[position].label for _, _, position in near)[:3])
        return SearchOutcome(hits=hits, suggestions=suggestions)


def _section_mentioning(topic: Topic, term: str) -> str | None:
    """The first section whose title or text mentions a key term, so a keyword hit opens the right page."""
    needle = term.casefold()
    for section in topic.sections:
        if needle in section.title.casefold() or needle in section.body.casefold():
            return section.title
    return None


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
