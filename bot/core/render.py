"""Turn content into neutral replies: topic pages, the topic index, the source list, search results.

Pages are packed greedily under a per-page budget well inside Discord's limits, so every page of every
topic fits one message; ``tests/test_render_limits.py`` renders all content to prove it. What a user typed
(a search query) is echoed with ``quote`` and ``escape``, which are ``bot.core.text``'s: the one escape for user text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.core import limits
from bot.core.actions import OpenTopic, ShowIndex, ShowPage, ShowSection
from bot.core.content.library import ContentModule, TopicCommand
from bot.core.content.models import Source, Topic, cite
from bot.core.content.search import Hit
from bot.core.errors import NotFound
from bot.core.reply import Button, Menu, MenuOption, Reply, ReplyField
from bot.core.text import Text
from bot.core.text import clip as _clip
from bot.core.text import escape as escape
from bot.core.text import quote as quote
from bot.core.words import plural

PAGE_CHARS = 3800
"""Soft size of one page: long enough to read as a page, short enough to stay far from the 6000 cap."""
PAGE_FIELDS = 10
SECTION_MARK = "» "
"""Put before the name of the section a search hit opened, so the reader sees which of the page's fields it is."""


@dataclass(frozen=True)
class _Block:
    """What one page is assembled from: a topic header (title and body) or a field under it."""

    title: str
    body: str
    fields: tuple[ReplyField, ...]


def footer(module: ContentModule, extra: str = "") -> str:
    parts = [module.info.disclaimer, extra]
    return " · ".join(p for p in parts if p)


def document_for_command(command: TopicCommand, variant: str | None, module: ContentModule) -> str:
    """The document key a topic command shows: ``t.<id>`` for one topic, ``c.<command>.<variant>`` for a choice."""
    topics = command.topics_for(variant, module.info.variant_all_label)
    if topics is None:
        choices = ", ".join([*command.variants, module.info.variant_all_label])
        raise NotFound(f"`{variant}` is not a choice for /{module.id} {command.name}. Choose one of: {choices}.")
    if len(topics) == 1:
        return f"t.{topics[0].id}"
    return f"c.{command.name}.{variant or module.info.variant_all_label}"


def topics_of(module: ContentModule, document: str) -> tuple[Topic, ...]:
    """Resolve a topic document key; raise NotFound for anything that is not (or no longer) in the content."""
    kind, _, rest = document.partition(".")
    if kind == "t":
        topic = module.topic(rest)
        if topic is not None:
            return (topic,)
    elif kind == "c":
        name, _, variant = rest.partition(".")
        command = module.command(name)
        topics = command.topics_for(variant, module.info.variant_all_label) if command else None
        if topics:
            return topics
    raise NotFound(f"That topic is no longer in /{module.id}. Use /{module.id} topics to see what is there.")


def document_pages(module: ContentModule, document: str) -> list[Reply]:
    """Every page of a document, each a complete reply with its pager buttons.

    Worked out once per module and document (content never changes once loaded): a topic command or a page
    button costs a lookup, not a render. Only documents that exist are kept, so the memo stays small.
    """
    key = f"pages:{document}"
    pages = module.memo.get(key)
    if pages is None:
        pages = module.memo[key] = tuple(_render_pages(module, document))
    return list(pages)


def _render_pages(module: ContentModule, document: str) -> list[Reply]:
    if document == "s":
        blocks = list(_source_blocks(module))
    else:
        blocks = [b for topic in topics_of(module, document) for b in _topic_blocks(module, topic)]
    pages = _pack(blocks)
    total = len(pages)
    return [
        Reply(
            title=title,
            body=body,
            fields=list(fields),
            footer=footer(module, f"Page {index + 1}/{total}" if total > 1 else ""),
            color=module.info.color,
            buttons=_pager(module, document, index, total),
        )
        for index, (title, body, fields) in enumerate(pages)
    ]


def page(module: ContentModule, document: str, index: int) -> Reply:
    pages = document_pages(module, document)
    if not 0 <= index < len(pages):
        raise NotFound(
            f"That page no longer exists (this text has {plural(len(pages), 'page')}). Run the command again."
        )
    return pages[index]


def section_page(module: ContentModule, topic_id: str, position: int) -> Reply:
    """The page of a topic that holds one of its sections, that section's name marked with SECTION_MARK."""
    topic = module.topic(topic_id)
    if topic is None or not 0 <= position < len(topic.sections):
        raise NotFound(f"That section is no longer in /{module.id}. Search again.")
    title = topic.sections[position].title
    shown = page(module, f"t.{topic.id}", page_of_section(module, topic, title))
    fields = [f.model_copy(update={"name": SECTION_MARK + f.name}) if f.name == title else f for f in shown.fields]
    return shown.model_copy(update={"fields": fields})


def page_of_section(module: ContentModule, topic: Topic, section_title: str | None) -> int:
    """The page of a topic's own document on which a section appears (0 when not given or not found)."""
    if section_title is None:
        return 0
    for index, reply in enumerate(document_pages(module, f"t.{topic.id}")):
        if any(f.name == section_title for f in reply.fields):
            return index
    return 0


def index(module: ContentModule) -> Reply:
    lines = [module.info.description, ""]
    lines += [f"- **/{module.id} {c.name}** · {c.description}" for c in module.commands]
    lines += [
        f"- **/{module.id} search** · find a term in every topic",
        f"- **/{module.id} sources** · every reference, in full",
        "",
        "Pick a topic below to open it.",
    ]
    options = [
        MenuOption(label=_clip(t.title, limits.SELECT_OPTION_LABEL), value=t.id, description=t.description)
        for t in module.topics[: limits.SELECT_OPTIONS]
    ]
    return Reply(
        title=_clip(module.info.name, limits.EMBED_TITLE),
        body="\n".join(lines),
        footer=footer(module),
        color=module.info.color,
        menu=Menu(action=OpenTopic(module.id).encode(), placeholder="Open a topic…", options=options),
    )


def search_results(module: ContentModule, query: str, hits: Sequence[Hit]) -> Reply:
    """Numbered hits, each with a snippet of its text, and one button per hit with the same number.

    A section's button opens the page that holds it (``ShowSection``); a topic's, its first page.
    """
    lines: list[str] = []
    buttons: list[Button] = []
    for number, hit in enumerate(hits[: limits.ROW_BUTTONS], start=1):
        topic, section = hit.topic, hit.section
        where = f"{escape(topic.title)} › **{escape(section)}**" if section else f"**{escape(topic.title)}**"
        lines += [f"**{number}.** {where}", f"> {escape(hit.snippet)}"]
        if hit.position is None:
            action = ShowPage(module.id, f"t.{topic.id}", 0).encode()
        else:
            action = ShowSection(module.id, topic.id, hit.position).encode()
        label = _clip(f"{number}. {section or topic.title}", limits.BUTTON_LABEL)
        buttons.append(Button(label=label, action=action, style="primary"))
    return Reply(
        title=_clip(f"Search: {quote(query, 100)}", limits.EMBED_TITLE),
        body="\n".join(lines) + "\n\nOpen a result with the button of the same number.",
        footer=footer(module),
        color=module.info.color,
        buttons=buttons,
    )


def error(message: Text, module: ContentModule | None = None) -> Reply:
    return Reply(
        title="Sorry, that did not work",
        body=message,
        footer=footer(module) if module else "For education only, not medical advice",
        ephemeral=True,
        is_error=True,
    )


def _topic_blocks(module: ContentModule, topic: Topic) -> Iterable[_Block]:
    yield _Block(topic.title, topic.summary, ())
    for section in topic.sections:
        yield _Block(
            topic.title, "", (ReplyField(name=section.title, value=f"{section.body}\n{cite(section.sources)}"),)
        )
    facts = [f"- {fact.text} {cite(fact.sources)}" for fact in topic.key_facts]
    yield _Block(topic.title, "", tuple(_chunked_fields("Key facts", facts)))
    sources = [f"- **{key}** · {module.sources[key].short}" for key in topic.source_keys()]
    yield _Block(topic.title, "", tuple(_chunked_fields("Sources", sources)))


SOURCES_INTRO = (
    "Every reference cited in /{module}, each listed under the topic that cites it most. In each group the primary "
    "documents (product labels, laws and regulators' notices, guidelines, trials and studies) come first, then "
    "reviews and reference works. A DOI or web address follows each reference that has one."
)


def _source_blocks(module: ContentModule) -> Iterable[_Block]:
    groups = source_groups(module)
    contents = "\n".join(
        f"- {topic.title}: {plural(len(homed), 'source')}, {sum(1 for s in homed if s.primary)} primary"
        for topic, homed, _ in groups
    )
    yield _Block(f"Sources · {module.info.name}", SOURCES_INTRO.format(module=module.id) + "\n\n" + contents, ())
    for topic, homed, elsewhere in groups:
        title = _clip(f"Sources · {topic.title}", limits.EMBED_TITLE)
        body = f"Cited in /{module.id} {topic.command}" + (f" ({topic.variant})" if topic.variant else "") + "."
        if elsewhere:
            body += " Also cited here, listed under another topic: " + ", ".join(elsewhere) + "."
        yield _Block(title, body, ())
        for source in homed:
            name = f"{source.key} · {source.kind or 'source'}" + (" (primary)" if source.primary else "")
            value = source.citation + (f"\n<{source.link}>" if source.link else "")
            yield _Block(title, "", (ReplyField(name=name, value=_clip(value, limits.FIELD_VALUE)),))


def source_groups(module: ContentModule) -> list[tuple[Topic, list[Source], list[str]]]:
    """Each topic with the sources listed under it, and the keys of the others it cites.

    A source is listed once, under its home: the topic that cites it most (sections, key facts and quiz
    questions), the earlier topic in menu order on a tie. That keeps the guideline for infusions with the
    infusion topic even if the overview mentions it once. Primary sources come first in each group.
    """
    counts: dict[str, Counter[str]] = {}
    for topic in module.topics:
        cited = [k for s in topic.sections for k in s.sources] + [k for f in topic.key_facts for k in f.sources]
        for key in cited:
            counts.setdefault(key, Counter())[topic.id] += 1
    for question in module.questions:
        counts.setdefault(question.source, Counter())[question.topic] += 1
    rank = {t.id: i for i, t in enumerate(module.topics)}
    home = {k: min(c, key=lambda t: (-c[t], rank.get(t, len(rank)))) for k, c in counts.items()}
    groups = []
    for topic in module.topics:
        homed = [module.sources[k] for k, h in home.items() if h == topic.id and k in module.sources]
        homed.sort(key=lambda s: (not s.primary, s.key.casefold()))
        elsewhere = [k for k in topic.source_keys() if home.get(k) != topic.id]
        if homed or elsewhere:
            groups.append((topic, homed, elsewhere))
    return groups


def _chunked_fields(name: str, lines: list[str]) -> Iterable[ReplyField]:
    chunk: list[str] = []
    first = True
    for line in lines:
        if chunk and len("\n".join([*chunk, line])) > limits.FIELD_VALUE:
            yield ReplyField(name=name if first else f"{name} (continued)", value="\n".join(chunk))
            chunk, first = [], False
        chunk.append(_clip(line, limits.FIELD_VALUE))
    if chunk:
        yield ReplyField(name=name if first else f"{name} (continued)", value="\n".join(chunk))


def _pack(blocks: list[_Block]) -> list[tuple[str, str, tuple[ReplyField, ...]]]:
    """Greedy packing: a new page starts at a new topic header or when the current page is full."""
    pages: list[tuple[str, str, str, list[ReplyField]]] = []  # (topic title, shown title, body, fields)
    for block in blocks:
        if block.body or not pages:
            pages.append((block.title, block.title, block.body, list(block.fields)))
            continue
        topic_title, shown, body, fields = pages[-1]
        used = len(shown) + len(body) + sum(len(f.name) + len(f.value) for f in fields)
        size = sum(len(f.name) + len(f.value) for f in block.fields)
        full = used + size > PAGE_CHARS or len(fields) + len(block.fields) > PAGE_FIELDS
        if topic_title != block.title or full:
            pages.append((block.title, _continued(block.title), "", list(block.fields)))
        else:
            fields.extend(block.fields)
    return [(shown, body, tuple(fields)) for _, shown, body, fields in pages]


def _continued(title: str) -> str:
    return _clip(f"{title} (continued)", limits.EMBED_TITLE)


def _pager(module: ContentModule, document: str, index: int, total: int) -> list[Button]:
    buttons = [Button(label="☰ Topics", action=ShowIndex(module.id).encode())]
    if total > 1:
        buttons.insert(
            0,
            Button(
                label="◀ Prev", action=ShowPage(module.id, document, max(index - 1, 0)).encode(), disabled=index == 0
            ),
        )
        buttons.insert(
            1,
            Button(
                label="Next ▶",
                action=ShowPage(module.id, document, min(index + 1, total - 1)).encode(),
                style="primary",
                disabled=index == total - 1,
            ),
        )
    return buttons
