"""Search and autocomplete over one module's topics and sections.

A search answers a question with the sections that answer it, best first. The query is cut into words, and
function and question words are dropped (``vocabulary.STOP_WORDS``): "what is the dose" searches for ``dose``.
Each remaining word is matched against every word of the content: exactly, by a shared stem (``dosing`` finds
``dose``), through a synonym (``dose`` finds ``mg``), or, only when nothing else matches, by a close spelling
(``anesthesia`` finds ``anaesthesia``). A section scores, per word, by where the word is found (its title counts
most, then the topic's key terms it mentions, then its text), the words weighted by rarity; bonuses go to a
title matched entirely and to two typed words found side by side. Everything that does not depend on the query
is worked out once, when the index is built; the scoring then only walks the sections that hold a typed word.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from rapidfuzz import fuzz, process, utils

from bot.core import limits
from bot.core.content.library import ContentModule
from bot.core.content.models import Topic
from bot.core.content.vocabulary import SYNONYMS
from bot.core.content.wording import abbreviations, first_positions, plain_text, snippet, stem, words
from bot.core.errors import InvalidInput

MAX_QUERY = 100
MAX_HITS = limits.ROW_BUTTONS
"""Hits listed, each with its own numbered button, and Discord shows five buttons to a row."""
CACHED_QUERIES = 512
"""Outcomes kept per module, most recently used first. Content never changes once loaded, and most searches
repeat: members pick autocomplete suggestions, so the same few hundred labels come back again and again."""

# Where a word is found. Each step is 0.2, more than FREQUENCY_BONUS, so repeating a word in a weaker place never
# beats finding it in a better one: an exact or near-exact section title ranks at least as high as a keyword hit.
TITLE_WEIGHT = 1.0
KEYWORD_WEIGHT = 0.8
"""A topic key term that the section itself mentions (in any form: ``opioid-tolerant``, ``opioid tolerance``)."""
TEXT_WEIGHT = 0.6
CONTEXT_WEIGHT = 0.4
"""The topic's title, for each of its sections ("physical effects heart"); and a topic's own summary,
description and key-term list, which touch on every section in passing: a section about the term comes first."""

# How a typed word matches a content word: the less sure the match, the less it counts.
STEM_MATCH = 0.9
SYNONYM_MATCH = 0.8
FUZZY_MATCH = 0.9
"""Times rapidfuzz's ratio (0 to 1): a misspelling at the cut-off counts about 0.77, less than a synonym."""
FUZZY_CUTOFF = 85.0
"""The ratio a misspelling needs: ``pharmacokinetcs`` scores 97 and ``anesthesia`` 95, while ``ketamine``
against ``norketamine`` scores 84 and so is not taken for it."""
FUZZY_MIN_LENGTH = 5
"""Shorter words are not spell-corrected: ``dose`` and ``nose`` are one letter apart but unrelated."""

FREQUENCY_BONUS = 0.1
FREQUENCY_CAP = 5
"""A section using a word five times gets the whole FREQUENCY_BONUS for it: it is more about the word than one
mentioning it once, but never by as much as one place weight step (see TITLE_WEIGHT)."""
TITLE_BONUS = 0.2
"""Times the share of the title's words that the query matched: "Interactions" beats "Drug interactions"."""
PHRASE_BONUS = 0.2
"""Times the weight of the best place where two typed words stand side by side: "blood pressure" as a phrase."""

MIN_SCORE = 0.3
"""A hit must match a fair share of the query (words weighted by rarity), not only its commonest word."""
WINDOW = 0.4
"""Hits further than this below the best are left out: two place steps, so passing mentions do not crowd out
a title hit, while sections that discuss the term are still listed after it."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Hit:
    """A topic (``position`` None) or one of its sections, with a snippet of the text that matched."""

    topic: Topic
    position: int | None
    snippet: str
    score: float

    @property
    def section(self) -> str | None:
        return None if self.position is None else self.topic.sections[self.position].title


@dataclass(frozen=True)
class SearchOutcome:
    """Immutable, so one outcome can be handed to every caller that searches for the same thing."""

    hits: tuple[Hit, ...]
    suggestions: tuple[str, ...]


@dataclass(frozen=True)
class _Document:
    """A topic or a section as the index sees it: everything the scoring and the snippet need, precomputed."""

    topic: Topic
    position: int | None
    title_words: frozenset[str]
    phrases: tuple[tuple[str, float], ...]
    """Each place as `` word word `` (searchable words in order) with its weight, to find typed pairs in."""
    text: str
    starts: dict[str, int]


def clean_query(query: str) -> str:
    """Normalise a typed query, or explain what to type instead."""
    text = " ".join(_CONTROL.sub(" ", query).split())
    if not text:
        raise InvalidInput("Type a word or phrase to search for, for example `norketamine`.")
    if len(text) > MAX_QUERY:
        raise InvalidInput(f"That search is {len(text)} characters long; keep it to {MAX_QUERY} or fewer.")
    return text


def query_words(query: str) -> tuple[str, ...]:
    """The words a query searches for, once each; refuses a query that has none worth searching for."""
    found = tuple(dict.fromkeys(words(clean_query(query))))
    if not found:
        raise InvalidInput(
            "That search has no word to look for: single letters and words like “what”, “is” and “the” are "
            "left out. Type more, for example `norketamine` or `half-life`."
        )
    return found


class SearchIndex:
    def __init__(self, module: ContentModule) -> None:
        self.module = module
        parts = list(_parts(module))
        self._documents = [_document(topic, position, fields) for topic, position, fields in parts]
        self._postings = _postings(parts, abbreviations(text for _, _, fields in parts for text, _ in fields))
        self._vocabulary = sorted(self._postings)
        self._stems: dict[str, list[str]] = defaultdict(list)
        for word in self._vocabulary:
            self._stems[stem(word)].append(word)
        self._synonyms = {stem(word): targets for word, targets in SYNONYMS.items()}
        labels = [t.title for t in module.topics] + [s.title for t in module.topics for s in t.sections]
        self._choice_labels = _unique([*labels, *(k for t in module.topics for k in t.keywords)])
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

    def search(self, query: str, limit: int = MAX_HITS) -> SearchOutcome:
        """The topics and sections that answer ``query``, best first; with none, up to three nearest labels.

        Cached by the words searched for, so "What is the dose?" and "dose" share one outcome.
        """
        return self._outcome(query_words(query), limit)

    def _matches(self, word: str) -> dict[str, float]:
        """The content words a typed word stands for, each with how sure the match is."""
        found: dict[str, float] = {}
        if word in self._postings:
            found[word] = 1.0
        for same in self._stems.get(stem(word), ()):
            found.setdefault(same, STEM_MATCH)
        for target in self._synonyms.get(stem(word), ()):
            for same in self._stems.get(stem(target), ()):
                found.setdefault(same, SYNONYM_MATCH)
        if not found and len(word) >= FUZZY_MIN_LENGTH:
            near = process.extract(word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=5)
            found = {close: FUZZY_MATCH * score / 100 for close, score, _ in near}
        return found

    def _score(self, typed: tuple[str, ...], limit: int) -> SearchOutcome:
        scores, matched = self._weigh(typed)
        if not scores:
            return SearchOutcome(hits=(), suggestions=self._nearest(" ".join(typed)))
        pairs = [f" {a} {b} " for a, b in pairwise(typed)]
        for number in scores:
            scores[number] += _bonus(self._documents[number], pairs, matched)
        ranked = sorted(scores, key=lambda n: (-scores[n], self._documents[n].topic.order, n))
        floor = max(MIN_SCORE, scores[ranked[0]] - WINDOW)
        shown: list[tuple[int, _Document]] = []
        for number in ranked:
            document = self._documents[number]
            # A topic is listed only above all of its sections: one that does as well is the better answer.
            if scores[number] >= floor and (
                document.position is not None or all(d.topic.id != document.topic.id for _, d in shown)
            ):
                shown.append((number, document))
        hits = tuple(Hit(d.topic, d.position, _snippet(d, matched), scores[n]) for n, d in shown[:limit])
        return SearchOutcome(hits=hits, suggestions=())

    def _weigh(self, typed: tuple[str, ...]) -> tuple[dict[int, float], dict[str, float]]:
        """Each document's score before bonuses, and every content word the query matched, with its rarity.

        Per typed word, a document counts its best match (how sure, times where it is found) plus a little for
        repeating it. The words are weighted by rarity, ln((N + 1) / documents holding it), so "ketamine", in
        nearly every section, hardly counts next to "dose". A word found nowhere is left out: it says nothing
        about which section is best ("ketamine dose for kids" still finds doses).
        """
        per_word: list[tuple[float, dict[int, float]]] = []
        matched: dict[str, float] = {}
        for word in typed:
            matches = self._matches(word)
            best: dict[int, float] = {}
            repeats: dict[int, int] = defaultdict(int)
            for content_word, sureness in matches.items():
                for number, weight, count in self._postings[content_word]:
                    best[number] = max(best.get(number, 0.0), sureness * weight)
                    repeats[number] += count
            for number, count in repeats.items():
                best[number] += FREQUENCY_BONUS * min(count, FREQUENCY_CAP) / FREQUENCY_CAP
            if best:
                rarity = math.log((len(self._documents) + 1) / len(best))
                per_word.append((rarity, best))
                matched.update((w, max(rarity, matched.get(w, 0.0))) for w in matches)
        total = sum(rarity for rarity, _ in per_word)
        scores: dict[int, float] = defaultdict(float)
        for rarity, best in per_word:
            for number, value in best.items():
                scores[number] += rarity * value / total
        return scores, matched

    def _nearest(self, text: str) -> tuple[str, ...]:
        near = process.extract(text, self._choice_processed, scorer=fuzz.WRatio, processor=None, limit=3)
        return tuple(self._choice_labels[position] for _, _, position in near)


_Fields = tuple[tuple[str, float], ...]
"""A document's places, each a text and the weight of a word found there."""


def _parts(module: ContentModule) -> Iterable[tuple[Topic, int | None, _Fields]]:
    """Each searchable document of a module: its topic, its section's position (None for the topic itself), and
    its places: title first, text last (``_document`` relies on that order)."""
    for topic in module.topics:
        about = " | ".join([topic.description, *topic.keywords])
        yield topic, None, ((topic.title, TITLE_WEIGHT), (about, CONTEXT_WEIGHT), (topic.summary, CONTEXT_WEIGHT))
        keywords = [(k, _stemmed(k)) for k in topic.keywords if words(k)]
        for position, section in enumerate(topic.sections):
            said = _stemmed(f"{section.title} {section.body}")
            terms = " | ".join(k for k, stems in keywords if stems in said)
            fields = ((section.title, TITLE_WEIGHT), (terms, KEYWORD_WEIGHT), (topic.title, CONTEXT_WEIGHT))
            yield topic, position, (*fields, (section.body, TEXT_WEIGHT))


def _document(topic: Topic, position: int | None, fields: _Fields) -> _Document:
    text = plain_text(fields[-1][0])
    phrases = tuple((" | ".join(f" {' '.join(words(p))} " for p in part.split(" | ")), w) for part, w in fields)
    return _Document(topic, position, frozenset(words(fields[0][0])), phrases, text, first_positions(text))


def _postings(
    parts: list[tuple[Topic, int | None, _Fields]], short_forms: dict[str, tuple[str, ...]]
) -> dict[str, tuple[tuple[int, float, int], ...]]:
    """word → (document, weight of the best place holding it, times it occurs in the text) for each holder.

    An abbreviation the content spells out stands for its words, and they for it: "complex regional pain
    syndrome" finds the section titled "Chronic pain and CRPS".
    """
    long_forms = {" ".join(spelt): short for short, spelt in short_forms.items()}
    found: dict[str, dict[int, tuple[float, int]]] = defaultdict(dict)
    for number, (_, _, fields) in enumerate(parts):
        counts: dict[str, int] = defaultdict(int)
        for word in words(fields[-1][0]):
            counts[word] += 1
        for text, weight in fields:
            held = list(words(text))
            held += [w for short in held for w in short_forms.get(short, ())]
            joined = f" {' '.join(held)} "
            held += [short for spelt, short in long_forms.items() if f" {spelt} " in joined]
            for word in held:
                best = found[word].get(number, (0.0, 0))[0]
                found[word][number] = (max(best, weight), counts.get(word, 0))
    return {word: tuple((d, w, c) for d, (w, c) in held.items()) for word, held in found.items()}


def _stemmed(text: str) -> str:
    """`` stem stem `` of a text's words, to find a key term in any of its forms: ``opioid-tolerant`` mentions
    ``opioid tolerance``."""
    return f" {' '.join(stem(w) for w in words(text))} "


def _bonus(document: _Document, pairs: list[str], matched: dict[str, float]) -> float:
    """The title matched entirely, and typed words found side by side: both say the section is about them."""
    bonus = 0.0
    if document.title_words:
        bonus += TITLE_BONUS * len(document.title_words & matched.keys()) / len(document.title_words)
    together = [weight for text, weight in document.phrases if any(pair in text for pair in pairs)]
    return bonus + PHRASE_BONUS * max(together, default=0.0)


def _snippet(document: _Document, matched: dict[str, float]) -> str:
    """The snippet shows where the text first uses the rarest word found in it: for "dose of ketamine", the
    dose, not the first "ketamine". It starts at the beginning when only the title matched."""
    found = [(-rarity, document.starts[w]) for w, rarity in matched.items() if w in document.starts]
    return snippet(document.text, min(found, default=(0.0, 0))[1])


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
