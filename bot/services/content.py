"""Content use cases: show a topic, the index, the sources, search, and the buttons and menus they carry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core import render
from bot.core.actions import OpenTopic, ReadSection, ShowIndex, ShowPage, ShowSection
from bot.core.content.library import ContentLibrary, ContentModule, TopicCommand
from bot.core.content.search import MAX_QUERY, SearchIndex, clean_query
from bot.core.errors import InvalidInput, NotFound
from bot.core.reply import Reply
from bot.services.catalog import Caller, CommandSpec, Handler, OptionSpec, OptionValue

ContentAction = ShowPage | ShowSection | ShowIndex | OpenTopic | ReadSection


class ContentService:
    def __init__(self, library: ContentLibrary) -> None:
        self.library = library
        self._search = {module_id: SearchIndex(module) for module_id, module in library.modules.items()}

    def module(self, module_id: str) -> ContentModule:
        module = self.library.module(module_id)
        if module is None:
            known = ", ".join(f"/{m}" for m in self.library.modules)
            raise NotFound(f"There is no module called `{module_id}`. Try one of: {known}.")
        return module

    # The catalogue -------------------------------------------------------------------------------

    def command_specs(self, module_id: str) -> list[CommandSpec]:
        module = self.module(module_id)
        specs: list[CommandSpec] = []
        for command in module.commands:
            options: tuple[OptionSpec, ...] = ()
            if command.variants:
                choices = (*command.variants, module.info.variant_all_label)
                options = (
                    OptionSpec(
                        name=module.info.variant_option,
                        description=f"Which part to show (default: {module.info.variant_all_label})",
                        choices=choices,
                    ),
                )
            specs.append(
                CommandSpec(module.id, command.name, command.description, options, handler=self.topic_handler(command))
            )
        specs += [
            CommandSpec(
                module.id,
                "topics",
                f"Every {module.info.name} topic, with a menu to open each",
                handler=self.show_index,
            ),
            CommandSpec(
                module.id,
                "search",
                "Search every topic for a word or phrase",
                (
                    OptionSpec(
                        name="query",
                        description="A term, e.g. norketamine or NMDA",
                        required=True,
                        min_length=1,
                        max_length=MAX_QUERY,
                        autocomplete=True,
                    ),
                ),
                handler=self.search_command,
            ),
            CommandSpec(
                module.id, "sources", "Every reference cited in this module, in full", handler=self.show_sources
            ),
        ]
        return specs

    # Use cases -----------------------------------------------------------------------------------

    def topic_handler(self, command: TopicCommand) -> Handler:
        """The handler of one topic command (its variant option picks a part, e.g. effects kind:physical)."""

        async def show_topic(caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
            raw = options.get(module.info.variant_option)
            variant = None if raw is None else str(raw).strip().lower()
            return render.page(module, render.document_for_command(command, variant, module), 0)

        return show_topic

    async def show_index(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        return render.index(module)

    async def show_sources(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        return render.page(module, "s", 0)

    async def search_command(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        return self.search(module, str(options.get("query", "")))

    def search(self, module: ContentModule, query: str) -> Reply:
        outcome = self._search[module.id].search(query)
        text = clean_query(query)
        if not outcome.hits:
            near = ", ".join(f"`{s}`" for s in outcome.suggestions) or f"/{module.id} topics"
            raise NotFound(f"Nothing in /{module.id} matches “{render.quote(text)}”. Nearest: {near}.")
        return render.search_results(module, text, outcome.hits)

    def autocomplete(self, module_id: str, typed: str) -> list[str]:
        module = self.library.module(module_id)
        return [] if module is None else self._search[module.id].suggest(typed)

    def press(self, decoded: ContentAction, values: Sequence[str] = ()) -> Reply:
        """A content button or menu: check each id against the content, return the reply to show."""
        module = self.module(decoded.module)
        if isinstance(decoded, ShowPage):
            return render.page(module, decoded.document, decoded.page)
        if isinstance(decoded, ShowSection):
            return render.section_page(module, decoded.topic, decoded.section)
        if isinstance(decoded, ReadSection):  # beside a reveal or a review card, for the clicker alone
            page = render.section_page(module, decoded.topic, decoded.section)
            return page.model_copy(update={"ephemeral": True, "separate": True})
        if isinstance(decoded, ShowIndex):
            return render.index(module)
        if len(values) != 1:
            raise InvalidInput("Pick exactly one topic from the menu.")
        if module.topic(values[0]) is None:
            raise NotFound(f"That topic is no longer in /{module.id}. Use /{module.id} topics again.")
        return render.page(module, f"t.{values[0]}", 0)
