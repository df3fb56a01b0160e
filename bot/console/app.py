"""The console loop: read a line, run it through the same router as Discord, print the reply.

Input is read in a worker thread so the event loop never blocks; at end of input (a pipe) the console
exits, which is how the tests drive it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.text import Text

from bot.console.channels import HERE, channel_id
from bot.console.parser import parse_command
from bot.console.publisher import ConsolePublisher
from bot.console.view import render_reply, render_text
from bot.core.errors import InvalidInput, UserFacingError
from bot.core.quiz.render import LETTERS
from bot.core.reply import Reply
from bot.core.words import plural
from bot.services.catalog import Caller
from bot.services.router import Router

CONSOLE_CALLER = Caller(user_id=1, display_name="you", guild_id=1, channel_id=HERE, can_manage_guild=True)
"""The console is one local player in one local study room, so server-only commands such as the quiz work."""
KNOWN_NAMES = {CONSOLE_CALLER.user_id: CONSOLE_CALLER.display_name}
"""The one member the console knows by name: a mention of its own user reads "you"."""

HELP_EXTRA = [
    ("help", "this list"),
    ("press N", "press button N of the last reply (a review card's, after its Read more)"),
    ("pick N", "choose option N of the last reply's menu"),
    ("a, b, c, d, e", "answer the open quiz question"),
    ("wait", "wait until this channel's quiz is over (for scripts fed through a pipe)"),
    ("quit", "leave (or Ctrl-D); a running quiz is saved and goes on at the next start"),
]


class ConsoleApp:
    def __init__(
        self, router: Router, console: Console, publisher: ConsolePublisher, stdin: TextIO | None = None
    ) -> None:
        self.router = router
        self.console = console
        self.publisher = publisher
        self.stdin = stdin or sys.stdin
        self.last: Reply | None = None
        self._last_shown = 0

    async def run(self) -> None:
        interactive = self.stdin.isatty()
        if interactive:
            self.console.print(
                "[bold]ketamine-study-bot[/] offline console. For education only, not medical advice. "
                "Type [bold]help[/] for commands."
            )
        while True:
            if interactive:
                self.console.print("[bold green]>[/] ", end="")
            line = await asyncio.to_thread(self.stdin.readline)
            if not line:
                break
            if not await self.handle(line.strip()):
                break
        await self.say_what_is_kept()

    async def show_open_questions(self) -> None:
        """After a restart, the questions still open are shown again, so `press N` and letters answer them."""
        if self.router.quiz is None:
            return
        for reply in await self.router.quiz.open_questions():
            self.console.print("Still open from last time:")
            await self.publisher.post(CONSOLE_CALLER.channel_id or 0, reply)

    async def say_what_is_kept(self) -> None:
        """Leaving never waits for a quiz (a question of the day stays open for hours): say what goes on later."""
        quizzes, daily = (0, 0) if self.router.quiz is None else await self.router.quiz.running_kinds()
        kept = [plural(quizzes, "running quiz")] if quizzes else []
        kept += [plural(daily, "open question") + " of the day"] if daily else []
        if kept:
            self.console.print(
                f"Saved: {' and '.join(kept)}; {'they go' if quizzes + daily > 1 else 'it goes'} on the next time "
                "you start the console."
            )

    async def handle(self, line: str) -> bool:
        """Run one line; return False when the user asked to leave."""
        if not line or line.startswith("#"):
            return True
        word = line.split()[0].lower()
        if word in {"quit", "exit"}:
            return False
        if word == "help":
            self.print_help()
            return True
        if word == "wait":
            if self.router.quiz is not None:
                await self.router.quiz.wait_until_over(HERE)
            return True
        try:
            if word in {"press", "pick"} or word.isdigit():
                reply = await self._press(word, line.split()[1:])
            elif len(word) == 1 and word in LETTERS.lower():
                reply = await self._answer(word)
            else:
                parsed = parse_command(line)
                options = self._channel_ids(parsed.group, parsed.name, parsed.options)
                reply = await self.router.run(CONSOLE_CALLER, parsed.group, parsed.name, options)
                if parsed.name == "quiz start" and not reply.is_error:
                    self.console.print(render_reply(reply, KNOWN_NAMES))
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(10):
                            await self.publisher.wait_for_question()
                    return True
        except InvalidInput as exc:
            self.console.print(render_text(exc.message, KNOWN_NAMES, style="red"))
            return True
        if reply.form is not None:
            filled = await self._fill(reply)
            if filled is None:
                return True
            reply = filled
        self.console.print(render_reply(reply, KNOWN_NAMES))
        if reply.attachment is not None:
            folder = self.router.app.settings.database_path.parent / "exports"
            try:
                path = await asyncio.to_thread(
                    save_new_file, folder, reply.attachment.filename, reply.attachment.content
                )
                saved = "Chart saved to" if reply.attachment.image else "Saved to"  # a terminal shows no pictures
                self.console.print(Text(f"{saved} {path}"), soft_wrap=True)  # a path in one piece, to copy
            except InvalidInput as exc:
                self.console.print(render_text(exc.message, KNOWN_NAMES, style="red"))
        if not reply.is_error and not reply.separate:  # "Read more" is shown beside the reply it came from,
            self.last = reply  # whose buttons `press N` keeps pressing, as on Discord
            self.publisher.shown += 1
            self._last_shown = self.publisher.shown
        return True

    def _channel_ids(self, group: str, name: str, options: dict[str, str]) -> dict[str, str]:
        """`channel:#pharm-study` as well as an id, for every channel option (Discord's picker gives ids)."""
        try:
            spec = self.router.find(group, name)
        except UserFacingError:
            return options  # the router says what is wrong with the command itself
        return {
            key: str(channel_id(value))
            if value.startswith("#") and (o := spec.option(key)) and o.kind == "channel"
            else value
            for key, value in options.items()
        }

    async def _answer(self, letter: str) -> Reply:
        question = self.publisher.open_question
        if question is None:
            raise InvalidInput("No quiz question is open. Start a quiz with `/ketamine quiz start`.")
        for button in question.buttons:
            if button.label.lower() == letter:
                return await self.router.press(CONSOLE_CALLER, button.action)
        raise InvalidInput(f"This question has choices {', '.join(b.label for b in question.buttons)}.")

    async def _press(self, word: str, rest: list[str]) -> Reply:
        number_text = word if word.isdigit() else (rest[0] if rest else "")
        if not (number_text.isascii() and number_text.isdigit() and len(number_text) <= 4):  # int("²") fails
            raise InvalidInput(f"Write `{word} N` with the number shown, for example `{word} 2`.")
        number = int(number_text)
        last = self.last
        if word == "pick":
            if last is None or last.menu is None:
                raise InvalidInput("The last reply has no menu. Try `/ketamine topics` first.")
            if not 1 <= number <= len(last.menu.options):
                raise InvalidInput(f"Pick a number from 1 to {len(last.menu.options)}.")
            return await self.router.press(CONSOLE_CALLER, last.menu.action, [last.menu.options[number - 1].value])
        published = self.publisher.latest
        if published is not None and (
            last is None or not last.buttons or self.publisher.latest_shown > self._last_shown
        ):
            last = published  # a quiz message printed after the last reply: its buttons, as its hint says
        if last is None or not last.buttons:
            raise InvalidInput("The last reply has no buttons to press.")
        if not 1 <= number <= len(last.buttons):
            raise InvalidInput(f"Press a number from 1 to {len(last.buttons)}.")
        button = last.buttons[number - 1]
        if button.disabled:
            raise InvalidInput(f"“{button.label}” is disabled here.")
        return await self.router.press(CONSOLE_CALLER, button.action)

    async def _fill(self, reply: Reply) -> Reply | None:
        """A form, as Discord's modal is: shown, then the next line typed is its text (an empty one cancels)."""
        form = reply.form
        assert form is not None
        self.console.print(render_reply(reply, KNOWN_NAMES))
        self.console.print(
            Text(f"{form.label} Type it on one line (up to {form.max_length} characters); an empty line cancels.")
        )
        if self.stdin.isatty():
            self.console.print("[bold green]…>[/] ", end="")
        typed = (await asyncio.to_thread(self.stdin.readline)).rstrip("\n")
        if not typed.strip():
            self.console.print(Text("Nothing was sent."))
            return None
        return await self.router.submit(CONSOLE_CALLER, form.action, typed)

    def print_help(self) -> None:
        self.console.print("[bold]Commands[/] (options are written name:value, as in Discord)")
        for spec in self.router.specs():
            self.console.print(Text(spec.usage(), style="bold"), Text(f"\n    {spec.description}"), sep="")
        for name, what in HELP_EXTRA:
            self.console.print(Text(name, style="bold"), Text(f"\n    {what}"), sep="")


def save_new_file(folder: Path, filename: str, content: bytes) -> Path:
    """Write ``content`` to a new file in ``folder`` (created if need be): ``name-2.json`` and so on when
    ``name.json`` exists, so an earlier export (or chart) is never overwritten."""
    stem, suffix = Path(filename).stem, Path(filename).suffix
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for number in range(1, 10_000):
            path = folder / (filename if number == 1 else f"{stem}-{number}{suffix}")
            try:
                with path.open("xb") as handle:
                    handle.write(content)
            except FileExistsError:
                continue
            return path
    except OSError as exc:
        raise InvalidInput(f"Cannot save {filename} in {folder} ({exc.strerror or exc}).") from exc
    raise InvalidInput(f"{folder} already holds 9999 copies of {filename}; move some away and try again.")
