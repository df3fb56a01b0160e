"""One entry point for every command, button and autocomplete, whichever adapter it comes from.

The router checks option values against the catalogue (so a hostile or mistyped value never reaches a use
case), runs the use case, and turns expected errors into an ephemeral error reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Iterator, Mapping, Sequence

from bot.core import render
from bot.core.actions import (
    AnswerQuestion,
    ForgetMe,
    FormAction,
    ReportQuestion,
    ReviewPick,
    ReviewPractice,
    ReviewRate,
    SettingsHistoryPage,
    SubmitReport,
    decode,
)
from bot.core.errors import InvalidInput, NotFound, UserFacingError
from bot.core.reply import Reply
from bot.core.words import plural
from bot.services.app import App
from bot.services.catalog import ADMIN_SUFFIX, Caller, CommandSpec, OptionSpec, OptionValue, admin_group
from bot.services.help import help_spec
from bot.services.moderation import ModerationService
from bot.services.privacy import PrivacyService
from bot.services.quiz import QuizService
from bot.services.review import ReviewService
from bot.services.server_settings import SettingsService
from bot.services.study import StudyService
from bot.services.tutor import TutorService

RESTARTING = "The bot is restarting. Try again in a few seconds; nothing you did before was lost."


class Router:
    def __init__(
        self,
        app: App,
        quiz: QuizService | None = None,
        server_settings: SettingsService | None = None,
        study: StudyService | None = None,
        privacy: PrivacyService | None = None,
        review: ReviewService | None = None,
        moderation: ModerationService | None = None,
        tutor: TutorService | None = None,
    ) -> None:
        self.app = app
        self.quiz = quiz
        self.server_settings = server_settings
        self.study = study
        self.privacy = privacy
        self.review = review
        self.moderation = moderation
        self.tutor = tutor
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closing = False
        self._specs: dict[tuple[str, str], CommandSpec] = {}
        for module_id, module in app.library.modules.items():
            specs = app.content.command_specs(module_id)
            specs += quiz.command_specs(module) if quiz else []
            specs += review.command_specs(module) if review else []
            specs += server_settings.command_specs(module) if server_settings else []
            specs += study.command_specs(module) if study else []
            specs += privacy.command_specs(module) if privacy else []
            specs += tutor.command_specs(module) if tutor else []
            specs += moderation.command_specs(module) if moderation else []
            specs.append(help_spec(module, functools.partial(self._module_specs, module_id)))
            self._specs.update({(spec.group, spec.name): spec for spec in specs})

    @property
    def groups(self) -> list[str]:
        """Every top-level command: one per module, then its admin commands' group where it has any."""
        return list(dict.fromkeys(spec.group for spec in sorted(self._specs.values(), key=lambda s: s.admin)))

    def group_description(self, group: str) -> str:
        module = self.app.content.module(group.removesuffix(ADMIN_SUFFIX))
        if group == module.id:
            return module.info.description
        return f"{module.info.name}: server set-up for admins (Manage Server)"[:100]

    def specs(self, group: str | None = None) -> list[CommandSpec]:
        return [s for s in self._specs.values() if group is None or s.group == group]

    def _module_specs(self, module_id: str) -> list[CommandSpec]:
        """A module's commands, its admin commands after them."""
        return self.specs(module_id) + self.specs(admin_group(module_id))

    def find(self, group: str, name: str) -> CommandSpec:
        spec = self._specs.get((group, name))
        if spec is not None:
            return spec
        if group not in self.groups:
            known = ", ".join(f"/{g}" for g in self.groups)
            raise NotFound(f"There is no /{render.quote(group)} command group. Known groups: {known}.")
        first, _, rest = name.partition(" ")
        if rest and (group, first) in self._specs:
            shown = render.quote(rest)
            raise InvalidInput(f"Unexpected `{shown}`: options are written `name:value`, e.g. `query:{shown}`.")
        names = ", ".join(s.name for s in self.specs(group))
        raise NotFound(f"/{group} has no `{render.quote(name)}` command. Its commands: {names}.")

    def check_options(self, spec: CommandSpec, given: Mapping[str, object]) -> dict[str, OptionValue]:
        """Convert and check option values; every problem becomes an InvalidInput that says what to type."""
        unknown = [name for name in given if spec.option(name) is None]
        if unknown:
            allowed = ", ".join(o.name for o in spec.options) or "none"
            raise InvalidInput(f"{spec.path} has no option `{render.quote(unknown[0])}`. Its options: {allowed}.")
        checked: dict[str, OptionValue] = {}
        for option in spec.options:
            if option.name not in given or given[option.name] is None:
                if option.required:
                    raise InvalidInput(f"{spec.path} needs `{option.name}:` ({option.description}).")
                continue
            checked[option.name] = _check_value(spec, option, given[option.name])
        return checked

    @contextlib.contextmanager
    def _working(self) -> Iterator[None]:
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def drain(self, grace_seconds: float) -> None:
        """Refuse new work and wait (up to ``grace_seconds``) for what is in flight: used at shutdown."""
        self._closing = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace_seconds)

    async def run(self, caller: Caller, group: str, name: str, options: Mapping[str, object]) -> Reply:
        """Run a command and always return a reply: a result, or an ephemeral message saying what to do."""
        if self._closing:
            return render.error(RESTARTING)
        with self._working():
            return await self._run(caller, group, name, options)

    async def press(self, caller: Caller, action: str, values: Sequence[str] = ()) -> Reply:
        """A button or menu click: decode the id-only action and hand it to its use case."""
        if self._closing:
            return render.error(RESTARTING)
        with self._working():
            return await self._press(caller, action, values)

    async def submit(self, caller: Caller, action: str, typed: str) -> Reply:
        """A form sent (a modal on Discord, a prompt's answer in the console): its action and the text typed."""
        if self._closing:
            return render.error(RESTARTING)
        with self._working():
            try:
                decoded = decode(action)
                if not isinstance(decoded, FormAction) or self.moderation is None:
                    raise NotFound("That form is not one this bot made, or it is from an older version.")
                return await self.moderation.submit(caller, decoded, typed)
            except UserFacingError as exc:
                return render.error(exc.message)

    async def _run(self, caller: Caller, group: str, name: str, options: Mapping[str, object]) -> Reply:
        try:
            spec = self.find(group, name)
            if spec.guild_only and caller.guild_id is None:
                raise InvalidInput(f"{spec.path} works only in a server, not in direct messages.")
            checked = self.check_options(spec, options)
            if spec.handler is None:
                raise NotFound(f"{spec.path} is not available here.")
            return await spec.handler(caller, self.app.content.module(spec.module), checked)
        except UserFacingError as exc:
            return render.error(exc.message, self.app.library.module(group.removesuffix(ADMIN_SUFFIX)))

    async def _press(self, caller: Caller, action: str, values: Sequence[str] = ()) -> Reply:
        try:
            decoded = decode(action)
            if isinstance(decoded, ForgetMe):
                if self.privacy is None:
                    raise NotFound("That button is not available here.")
                return await self.privacy.press(caller, decoded)
            if isinstance(decoded, AnswerQuestion):
                if self.quiz is None:
                    raise NotFound("Quizzes are not available here.")
                return await self.quiz.answer(caller, decoded.session_id, decoded.position, decoded.choice)
            if isinstance(decoded, ReviewPick | ReviewRate | ReviewPractice):
                if self.review is None:
                    raise NotFound("Reviews are not available here.")
                return await self.review.press(caller, decoded)
            if isinstance(decoded, ReportQuestion | SubmitReport):
                if self.moderation is None:
                    raise NotFound("Reports are not available here.")
                if isinstance(decoded, SubmitReport):
                    raise NotFound("That is a form's action, not a button: press Report a problem again.")
                return self.moderation.open_form(caller, decoded)
            if isinstance(decoded, SettingsHistoryPage):
                if self.server_settings is None:
                    raise NotFound("Settings are not available here.")
                module = self.app.content.module(decoded.module)
                return await self.server_settings.turn_page(caller, module, decoded.page)
            return self.app.content.press(decoded, values)
        except UserFacingError as exc:
            return render.error(exc.message)

    def autocomplete(self, group: str, name: str, option: str, typed: str) -> list[str]:
        spec = self._specs.get((group, name))
        if spec is None or (found := spec.option(option)) is None or not found.autocomplete:
            return []
        return self.app.content.autocomplete(spec.module, typed)


def _check_value(spec: CommandSpec, option: OptionSpec, raw: object) -> OptionValue:
    label = f"`{option.name}` of {spec.path}"
    if option.kind in ("user", "channel"):
        prefix = "<@" if option.kind == "user" else "<#"
        text = str(raw).strip().removeprefix(prefix).removeprefix("!").removesuffix(">")
        # ASCII digits only ("²".isdigit() is true but int() refuses it); a snowflake fits SQLite's signed 64 bits.
        if not (text.isascii() and text.isdigit() and len(text) <= 20) or not 0 < int(text) < 1 << 63:
            what = "a member of this server (a mention or a user id)" if option.kind == "user" else "a channel"
            raise InvalidInput(f"{label} must be {what}.")
        return int(text)
    if option.kind == "integer":
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise InvalidInput(f"{label} must be a whole number.")
        try:
            number = int(raw)
        except ValueError:
            raise InvalidInput(f"{label} must be a whole number, not “{render.quote(raw, 40)}”.") from None
        low, high = option.min_value, option.max_value
        if (low is not None and number < low) or (high is not None and number > high):
            raise InvalidInput(f"{label} must be from {low} to {high}; you gave {render.quote(number, 24)}.")
        return number
    text = str(raw).strip()
    if option.choices:
        if text.lower() not in option.choices:
            raise InvalidInput(f"{label} must be one of: {', '.join(option.choices)}.")
        return text.lower()
    if option.max_length is not None and len(text) > option.max_length:
        raise InvalidInput(
            f"{label} is {plural(len(text), 'character')} long; keep it to {option.max_length} or fewer."
        )
    if option.min_length is not None and len(text) < option.min_length:
        raise InvalidInput(f"{label} is empty; type at least {plural(option.min_length, 'character')}.")
    return text
