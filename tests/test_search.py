"""Fuzzy search and autocomplete over the shipped content."""

from __future__ import annotations

import re

import pytest

from bot.core import limits, render
from bot.core.actions import PREFIX, decode
from bot.core.content import search, wording
from bot.core.content.library import ContentLibrary
from bot.core.content.search import Hit, SearchIndex
from bot.core.errors import InvalidInput, NotFound
from bot.services.content import ContentService
from tests.helpers import CONTENT

INDEX = SearchIndex(ContentLibrary.load(CONTENT).modules["ketamine"])


def test_exact_term_finds_its_section_first() -> None:
    outcome = INDEX.search("norketamine")
    topic, section = outcome.hits[0].topic, outcome.hits[0].section
    assert topic.id == "pharmacokinetics"
    assert section is not None and "norketamine" in section.lower()


def test_typo_still_finds_the_topic() -> None:
    outcome = INDEX.search("pharmacokinetcs")
    assert outcome.hits and outcome.hits[0].topic.id == "pharmacokinetics"


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


# What issue 15 asks of search: titles first, snippets, one button per hit, "type more", questions ----------

SERVICE = ContentService(ContentLibrary.load(CONTENT))
MODULE = SERVICE.module("ketamine")
ELIMINATION = ("pharmacokinetics", "Elimination half-life and clearance")
DOSE_AMOUNT = re.compile(r"\d\s*mg(/kg)?(/h)?\b")
"""A dose written out as an amount: 0.35 mg/kg, 1 mg/kg/h, 22 mg/h."""


def where(hit: Hit) -> tuple[str, str | None]:
    return hit.topic.id, hit.section


def body_of(hit: Hit) -> str:
    return hit.topic.summary if hit.position is None else hit.topic.sections[hit.position].body


@pytest.mark.parametrize(
    "query",
    [
        "half-life",
        "half life",
        "Half-Life",
        "elimination half-life",
        "what is the half-life of ketamine?",
        "Elimination half-life and clearance",
        "elimination half life & clearance",
    ],
)
def test_half_life_opens_the_elimination_section_first(query: str) -> None:
    """The title says exactly what was asked; a section that only mentions a topic keyword must not beat it."""
    assert where(INDEX.search(query).hits[0]) == ELIMINATION


def test_every_section_title_finds_its_own_section_first() -> None:
    """An exact or near-exact section title (case, punctuation and small words aside) ranks first."""
    for topic in MODULE.topics:
        for section in topic.sections:
            near = " ".join(re.findall(r"[^\W_]+", section.title.lower()))
            for query in (section.title, near):
                assert where(INDEX.search(query).hits[0]) == (topic.id, section.title), query


@pytest.mark.parametrize("query", ["half-life", "norketamine", "bladder", "CYP3A4", "what is the dose", "nmda"])
def test_each_hit_shows_a_short_snippet_cut_at_word_boundaries(query: str) -> None:
    outcome = INDEX.search(query)
    assert outcome.hits
    for hit in outcome.hits:
        snippet = hit.snippet
        assert 0 < len(snippet) <= wording.SNIPPET_CHARS + 2
        core = snippet.removeprefix("…").removesuffix("…")
        plain = wording.plain_text(body_of(hit))
        assert re.search(rf"(^|\s){re.escape(core)}(\s|$)", plain), (snippet, plain)
        assert snippet.startswith("…") == (not plain.startswith(core))
        assert snippet.endswith("…") == (not plain.endswith(core))


def test_the_snippet_shows_the_matching_text() -> None:
    for query, term in [("half-life", "half-life"), ("norketamine", "norketamine"), ("bladder", "bladder")]:
        assert term in INDEX.search(query).hits[0].snippet.lower()
    late = INDEX.search("hydroxynorketamine").hits[0]
    assert "hydroxynorketamine" in late.snippet.lower(), "the window moves to the term, even late in the text"


@pytest.mark.parametrize("query", ["half-life", "nmda", "dose", "pain", "ketamine", "emergence reactions", "crps"])
def test_buttons_match_the_listed_hits_one_to_one_and_open_each_section(query: str) -> None:
    outcome = INDEX.search(query)
    reply = SERVICE.search(MODULE, query)
    assert 1 <= len(outcome.hits) == len(reply.buttons) <= 5
    listed = [line for line in reply.body.splitlines() if re.match(r"\*\*\d+\.\*\*", line)]
    assert len(listed) == len(outcome.hits)
    for number, (hit, line, button) in enumerate(zip(outcome.hits, listed, reply.buttons, strict=True), start=1):
        assert line.startswith(f"**{number}.**") and button.label.startswith(f"{number}. ")
        assert render.escape(hit.section or hit.topic.title) in line and render.escape(hit.snippet) in reply.body
        assert len(PREFIX + button.action) <= limits.CUSTOM_ID
        opened = SERVICE.press(decode(button.action))
        if hit.section is None:
            assert opened.title == hit.topic.title, "a topic hit opens the topic's first page"
        else:
            marked = [f.name for f in opened.fields if f.name.startswith(render.SECTION_MARK)]
            assert marked == [render.SECTION_MARK + hit.section], "the page holding the section, with it marked"
    assert len({b.action for b in reply.buttons}) == len(reply.buttons), "custom_ids are unique in a message"


def test_a_section_on_a_later_page_opens_that_page() -> None:
    """Sections past the first page of their topic: the button goes to their page, not the topic's first."""
    later = [
        (topic, position, section)
        for topic in MODULE.topics
        for position, section in enumerate(topic.sections)
        if render.page_of_section(MODULE, topic, section.title) > 0
    ]
    assert later, "the shipped content has topics longer than one page"
    for topic, position, section in later:
        reply = SERVICE.search(MODULE, section.title)
        assert reply.buttons[0].action == f"sc:ketamine:{topic.id}:{position}"
        opened = SERVICE.press(decode(reply.buttons[0].action))
        assert "Page 1/" not in opened.footer
        assert render.SECTION_MARK + section.title in [f.name for f in opened.fields]


def test_a_section_button_from_before_a_content_change_is_checked_on_click() -> None:
    with pytest.raises(NotFound, match="no longer"):
        SERVICE.press(decode("sc:ketamine:pharmacokinetics:19"))
    with pytest.raises(NotFound, match="no longer"):
        SERVICE.press(decode("sc:ketamine:gone:0"))


@pytest.mark.parametrize("query", ["a", "x", "I", "7", "the", "what is the", "How?", "a b c", "is it", "what does"])
def test_one_letter_and_stop_word_queries_ask_for_more(query: str) -> None:
    with pytest.raises(InvalidInput, match=r"[Tt]ype more.*`norketamine`"):
        INDEX.search(query)


@pytest.mark.parametrize(
    "query", ["what is the dose", "What is the dose of ketamine?", "dosing", "dose", "how much is the dose"]
)
def test_question_shaped_dose_queries_find_the_dosing_sections(query: str) -> None:
    top = INDEX.search(query).hits[:3]
    assert len(top) == 3
    for hit in top:
        # a dosing section: it gives an amount, or it is about dose by its title
        assert hit.section is not None, where(hit)
        assert DOSE_AMOUNT.search(body_of(hit)) or "dos" in hit.section.lower(), where(hit)


def test_question_words_are_dropped_so_a_question_shares_its_keyword_search() -> None:
    index = SearchIndex(MODULE)
    assert index.search("What is the dose?") is index.search("dose")
    assert where(index.search("what is the half-life").hits[0]) == ELIMINATION
