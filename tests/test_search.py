"""Fuzzy search and autocomplete over the shipped content."""

from __future__ import annotations

import pytest

from bot.core.content import search
from bot.core.content.library import ContentLibrary
from bot.core.content.search import SearchIndex
from bot.core.errors import InvalidInput
from tests.helpers import CONTENT

INDEX = SearchIndex(ContentLibrary.load(CONTENT).modules["ketamine"])


def test_exact_term_finds_its_section_first() -> None:
    outcome = INDEX.search("norketamine")
    topic, section = outcome.hits[0]
    assert topic.id == "pharmacokinetics"
    assert section is not None and "norketamine" in section.lower()


def test_typo_still_finds_the_topic() -> None:
    outcome = INDEX.search("pharmacokinetcs")
    assert outcome.hits and outcome.hits[0][0].id == "pharmacokinetics"


def test_no_hit_gives_suggestions() -> None:
    outcome = INDEX.search("qqqqzzzz")
    assert outcome.hits == ()
    assert 1 <= len(outcome.suggestions) <= 3


@pytest.mark.parametrize("query", ["", "   ", "\x00\x1b"])
def test_empty_query_is_refused(query: str) -> None:
    with pytest.raises(InvalidInput, match="Type a word or phrase"):
        INDEX.search(query)


def test_overlong_query_is_refused() -> None:
    with pytest.raises(InvalidInput, match="500 characters long"):
        INDEX.search("a" * 500)


def test_autocomplete_prefers_prefix_matches_and_respects_limits() -> None:
    choices = INDEX.suggest("nmda")
    assert choices and choices[0].lower().startswith("nmda")
    assert len(choices) <= 25 and all(len(c) <= 100 for c in choices)
    assert INDEX.suggest("") == [t.title for t in INDEX.module.topics]
    assert len(INDEX.suggest("x" * 500)) <= 25


def test_outcomes_are_cached_per_normalised_query_and_the_cache_is_bounded() -> None:
    index = SearchIndex(ContentLibrary.load(CONTENT).modules["ketamine"])
    first = index.search("norketamine")
    assert index.search("  NORKETAMINE ") is first, "the same query, typed differently, is scored once"
    assert index.suggest("nmda") == index.suggest("NMDA")
    for i in range(search.CACHED_QUERIES + 50):
        index.search(f"query {i}")
    info = index._outcome.cache_info()
    assert info.currsize == search.CACHED_QUERIES
    assert index.search("norketamine") == first, "an evicted query is scored again, with the same result"
