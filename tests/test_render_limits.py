"""Every reply of every topic, menu and source page fits Discord's limits and carries the disclaimer.

Limits are measured on the embed the Discord adapter builds, so members, channels and times count as the
markup Discord receives for them, not as the neutral tokens a reply holds.
"""

from __future__ import annotations

import pytest

from bot.core import render
from bot.core.content.library import ContentLibrary
from bot.core.content.search import Hit
from bot.core.content.wording import SNIPPET_CHARS
from bot.core.words import plural
from tests.helpers import CONTENT
from tests.replykit import all_documents, assert_fits

LIBRARY = ContentLibrary.load(CONTENT)
MODULE = LIBRARY.modules["ketamine"]


@pytest.mark.parametrize("document", all_documents(MODULE))
def test_every_page_of_every_document_fits(document: str) -> None:
    pages = render.document_pages(MODULE, document)
    assert pages
    for number, page in enumerate(pages, start=1):
        assert_fits(page)
        if len(pages) > 1:
            assert f"Page {number}/{len(pages)}" in page.footer


def test_every_topic_renders_summary_sections_key_facts_and_sources() -> None:
    for topic in MODULE.topics:
        pages = render.document_pages(MODULE, f"t.{topic.id}")
        text = "\n".join(p.body + "".join(f.name + f.value for f in p.fields) for p in pages)
        assert pages[0].body == topic.summary
        for section in topic.sections:
            assert section.title in text and section.body in text
        names = [f.name for p in pages for f in p.fields]
        assert "Key facts" in names and "Sources" in names
        for key in topic.source_keys():
            assert MODULE.sources[key].short in text


def test_index_and_search_results_fit() -> None:
    assert_fits(render.index(MODULE))
    longest = max(MODULE.topics, key=lambda t: len(t.title) + max(len(s.title) for s in t.sections))
    worst = "*" * SNIPPET_CHARS  # every character escaped
    hits = [Hit(longest, position, worst, 1.0) for position in range(len(longest.sections))]
    assert_fits(render.search_results(MODULE, "x" * 100, hits))
    assert_fits(render.search_results(MODULE, "x" * 100, [Hit(t, None, worst, 1.0) for t in MODULE.topics]))


def test_pager_buttons_point_to_neighbour_pages() -> None:
    pages = render.document_pages(MODULE, "s")
    assert len(pages) > 2
    middle = pages[1]
    actions = [b.action for b in middle.buttons]
    assert actions[:2] == ["pg:ketamine:s:0", "pg:ketamine:s:2"]
    assert pages[0].buttons[0].disabled and not pages[0].buttons[1].disabled
    assert pages[-1].buttons[1].disabled


def test_sources_page_lists_every_source_once_primary_first_with_its_link() -> None:
    pages = render.document_pages(MODULE, "s")
    assert pages[0].title == f"Sources · {MODULE.info.name}" and "primary" in pages[0].body
    fields = [f for p in pages for f in p.fields]
    keys = [f.name.split(" · ")[0] for f in fields]
    assert sorted(keys) == sorted(MODULE.sources), "each source appears exactly once"
    for field, key in zip(fields, keys, strict=True):
        source = MODULE.sources[key]
        assert source.citation in field.value
        assert source.link is None or f"<{source.link}>" in field.value
        assert ("(primary)" in field.name) == source.primary
    groups = render.source_groups(MODULE)
    for topic, homed, _ in groups:
        assert [s.primary for s in homed] == sorted((s.primary for s in homed), reverse=True), topic.id
        assert any(p.title.startswith(f"Sources · {topic.title}") for p in pages), topic.id


def test_the_first_sources_page_counts_each_topics_sources() -> None:
    first = render.document_pages(MODULE, "s")[0].body
    assert isinstance(first, str)
    groups = render.source_groups(MODULE)
    for topic, homed, _ in groups:
        primary = sum(1 for s in homed if s.primary)
        assert f"- {topic.title}: {plural(len(homed), 'source')}, {primary} primary" in first, topic.id
    assert sum(len(homed) for _, homed, _ in groups) == len(MODULE.sources)
