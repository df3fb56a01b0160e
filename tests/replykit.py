"""What every reply must be, shared by the render tests and the hostile-input tests: within Discord's limits (as
the embed the Discord adapter builds, so members, channels and times count as the markup Discord receives), with
the disclaimer, unique custom ids; and every document of a module, so a check can walk them all."""

from __future__ import annotations

from bot.core import limits, render
from bot.core.actions import PREFIX
from bot.core.content.library import ContentModule
from bot.core.reply import Reply
from bot.discord_app.replies import to_embed


def all_documents(module: ContentModule) -> list[str]:
    """Every page-able document: each topic, the sources, and each command variant's document."""
    docs = [f"t.{t.id}" for t in module.topics] + ["s"]
    for command in module.commands:
        variants = [*command.variants, module.info.variant_all_label] if command.variants else [None]
        for variant in variants:
            docs.append(render.document_for_command(command, variant, module))
    return sorted(set(docs))


def assert_embed_fits(reply: Reply) -> None:
    """The embed the Discord adapter sends for ``reply`` is inside every one of Discord's text limits."""
    embed = to_embed(reply)
    assert embed.title and len(embed.title) <= limits.EMBED_TITLE
    assert len(embed.description or "") <= limits.EMBED_DESCRIPTION
    assert len(embed.fields) <= limits.EMBED_FIELDS
    for field in embed.fields:
        assert 0 < len(field.name or "") <= limits.FIELD_NAME
        assert 0 < len(field.value or "") <= limits.FIELD_VALUE
    assert len(embed.footer.text or "") <= limits.FOOTER_TEXT
    assert len(embed) <= limits.EMBED_TOTAL


def assert_fits(reply: Reply) -> None:
    """Discord would take this reply as it is: every limit, unique custom ids, the disclaimer in the footer."""
    assert_embed_fits(reply)
    assert "For education only, not medical advice" in reply.footer
    assert len(reply.buttons) <= 5
    ids = [PREFIX + b.action for b in reply.buttons]
    if reply.menu:
        ids.append(PREFIX + reply.menu.action)
        assert len(reply.menu.options) <= limits.SELECT_OPTIONS
        for option in reply.menu.options:
            assert len(option.label) <= limits.SELECT_OPTION_LABEL
            assert len(option.description or "") <= limits.SELECT_OPTION_DESCRIPTION
    assert len(ids) == len(set(ids)), "custom_ids must be unique within a message"
    assert all(len(i) <= limits.CUSTOM_ID for i in ids)
    assert all(len(b.label) <= limits.BUTTON_LABEL for b in reply.buttons)
