"""The bot: opens the application in ``setup_hook``, adds the cogs, takes its clicks, syncs when needed.

It is always discord.py's sharded bot: with no shard settings it runs as many shards as Discord recommends (one
for a bot of a few servers, the same as an unsharded bot), all in this process; ``SHARD_COUNT`` and ``SHARD_IDS``
give it a count and a slice of its own, the rest held by other processes.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import logs
from bot.core.words import plural
from bot.discord_app import components, errors, forms, replies
from bot.discord_app.caller import caller_of
from bot.discord_app.cogs.content import ContentCog
from bot.discord_app.publisher import DiscordPublisher
from bot.discord_app.sync import SyncMode, sync_tree
from bot.services.app import App
from bot.services.bundle import Services
from bot.services.clock import Clock, SystemClock
from bot.services.leader import Duty
from bot.services.publisher import Publisher
from bot.services.quiz import QuizService
from bot.services.router import Router
from bot.services.shard_guard import ShardsHeldElsewhere
from bot.settings import Settings

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30


def intents() -> discord.Intents:
    """Only the guilds intent: slash commands and components arrive as interactions and need nothing more."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    return wanted


def _return_free_memory() -> None:
    """Hand the memory start-up freed (parsed content, pydantic's schema building, import work) back to the system.

    glibc keeps freed heap memory in the process for reuse; after start-up's one-off burst most of it is never
    needed again, so ``malloc_trim`` returns it and resident memory reflects what the bot keeps. Elsewhere (musl,
    macOS) there is no such call, and nothing is done.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def settle_startup_objects() -> None:
    """Take everything built at start-up (code, content, the command tree) out of later garbage collections.

    Those objects live as long as the process, but every full collection would walk all of them again (about
    80 000 here; 30 ms each time). Collected first, so no start-up garbage is kept; frozen, so collections only
    look at what interactions create. Measured under load: garbage collection per interaction 0.09 -> 0.06 ms.
    """
    gc.collect()
    gc.freeze()
    _return_free_memory()
    log.info("start-up done: %d objects kept out of garbage collection", gc.get_freeze_count())


class StudyBot(commands.AutoShardedBot):
    def __init__(
        self,
        settings: Settings,
        sync_mode: SyncMode = SyncMode.AUTO,
        clock: Clock | None = None,
        *,
        sync_only: bool = False,
        own_process: bool = False,
        build_services: Callable[[App, Clock, Publisher], Services] = Services.create,
        **client_options: Any,
    ) -> None:
        """``clock`` drives quizzes and schedules (tests pass one they move by hand); ``client_options`` go to
        discord.py's client (tests shorten ``guild_ready_timeout``). ``own_process``: the bot is the whole
        process (``python -m bot run``), so it may tune the interpreter for itself (see settle_startup_objects).
        ``build_services``: the production factory; a test wraps it to put a double into the graph.
        The shards come from the settings (SHARD_COUNT, SHARD_IDS); unset, from Discord's recommendation."""
        plan = settings.shards
        if plan.count is not None:
            client_options.setdefault("shard_count", plan.count)
            logs.show_shards(plan.held(plan.count), plan.count)
        if plan.ids is not None:
            client_options.setdefault("shard_ids", list(plan.ids))
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents(),
            allowed_mentions=replies.NO_MENTIONS,
            **client_options,
        )
        self.settings = settings
        self.sync_mode = sync_mode
        self.sync_only = sync_only
        self.own_process = own_process
        self._heartbeat: asyncio.Task[None] | None = None
        self._ready_shards: set[int] = set()
        """Shards connected with their servers announced (READY or RESUMED): each has its own heartbeat."""
        self._ready_work: asyncio.Task[None] | None = None
        self._closing = False
        self.clock: Clock = clock or SystemClock()
        self._app: App | None = None
        self._router: Router | None = None
        self.quiz: QuizService | None = None
        self.services: Services | None = None
        self._build_services = build_services
        self._clicks: set[asyncio.Task[None]] = set()
        self.expired = errors.ExpiredInteractions()
        """Replies Discord refused as too late (logged once a minute, with how many came since)."""
        self.stopped_by: ShardsHeldElsewhere | None = None
        """Why the bot stopped itself (another process took one of its shards), for the command line to say."""
        self._stopping: asyncio.Task[None] | None = None
        self.tree.on_error = self.on_tree_error  # type: ignore[method-assign]

    @property
    def app(self) -> App:
        if self._app is None:
            raise RuntimeError("the bot is not set up yet")
        return self._app

    @property
    def router(self) -> Router:
        if self._router is None:
            raise RuntimeError("the bot is not set up yet")
        return self._router

    async def setup_hook(self) -> None:
        self._app = await App.open(self.settings)
        self.services = self._build_services(self._app, self.clock, DiscordPublisher(self))
        self.quiz = self.services.quiz
        self._router = self.services.router
        if not self.sync_only:
            await self._hold_shards()
        await self.add_cog(ContentCog(self))
        if self.application_id is None:
            raise RuntimeError("Discord did not report an application id")
        if self.sync_only or self.sync_mode is SyncMode.FORCE:  # asked for: this process syncs, leader or not
            await self._sync_commands()
        else:  # one process syncs: the leader, when it becomes the leader (at start-up or later)
            self.services.leader.add(Duty("command sync", self._sync_commands))
        if self.own_process and not self.sync_only:
            settle_startup_objects()
        if not self.sync_only:
            await self.services.start()
            self._heartbeat = asyncio.create_task(self._beat(), name="heartbeat")

    async def _hold_shards(self) -> None:
        """Lock this process's shards (PostgreSQL) before it resumes their servers' work or connects: a shard another
        process holds stops it here (see ``bot.services.shard_guard``). With SHARD_COUNT unset the count Discord
        recommends is asked for now, and discord.py connects as many shards as were locked."""
        assert self.services is not None
        guard = self.services.shard_guard
        if not guard.enforced:
            return
        guard.on_taken = self._stop_for
        plan = self.settings.shards
        count = plan.count
        if count is None:
            count, _, _ = await self.http.get_bot_gateway()
            self.shard_count = count
        await guard.hold(plan.held(count), count)

    def _stop_for(self, error: ShardsHeldElsewhere) -> None:
        """Another process took one of this one's shards while its locks were lost: stop, saying so."""
        if self.stopped_by is None:
            self.stopped_by = error
            self._stopping = asyncio.create_task(self.close(), name="stop-for-shards")

    async def _sync_commands(self) -> None:
        if self._app is None or self.application_id is None:
            raise RuntimeError("the bot is not set up yet")
        await sync_tree(self.tree, self._app.facts, self.application_id, self.sync_mode, self.settings.dev_guild_id)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """The shard's lock is this process's (``ShardsHeldElsewhere`` if another holds it). discord.py spaces shards
        5 s apart, as Discord asks; tests against a local fake may shorten that (``DISCORD_IDENTIFY_SECONDS``,
        refused without ``DISCORD_API_URL``)."""
        if self.services is not None and not self.sync_only:
            await self.services.shard_guard.ensure(shard_id or 0)  # held since start-up: nothing more is taken
        spacing = self.settings.discord_identify_seconds
        if spacing is None:
            await super().before_identify_hook(shard_id, initial=initial)
        elif not initial:
            await asyncio.sleep(spacing)

    async def _beat(self) -> None:
        """Record that the bot is connected, for ``python -m bot health`` (the container health check)."""
        while not self.is_closed():
            if self.is_ready():
                await self._record_heartbeat()
            await asyncio.sleep(HEARTBEAT_SECONDS)

    async def _record_heartbeat(self) -> None:
        if self._app is None:
            return
        try:
            shards = sorted(shard for shard in self._ready_shards if not self._shard_closed(shard))
            await self._app.facts.heartbeat(self.clock.now_ms(), shards, self.shard_count)
        except Exception:
            log.warning("could not record the heartbeat", exc_info=True)

    async def close(self) -> None:
        """Stop taking commands and clicks, let those in flight finish, stop the timers, then disconnect."""
        if self._stopping is not None and self._stopping is not asyncio.current_task():
            await asyncio.shield(self._stopping)  # the bot is stopping itself: one close at a time
            return
        self._closing = True
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self._ready_work is not None:
            await asyncio.wait({self._ready_work}, timeout=10)
        if self.services is not None:
            await self.services.router.drain(grace_seconds=10)
            await self.services.stop()
        await super().close()
        if self._app is not None:
            await self._app.close()
            self._app = None

    def _shard_closed(self, shard_id: int) -> bool:
        shard = self.get_shard(shard_id)
        return shard is None or shard.is_closed()

    def _servers_on(self, shard_id: int) -> str:
        return plural(sum(1 for guild in self.guilds if guild.shard_id == shard_id), "server")

    async def on_shard_connect(self, shard_id: int) -> None:
        count = self.shard_count or 1
        logs.show_shards(self.shard_ids or range(count), count)
        log.info("shard %d of %d connected", shard_id, count)

    async def on_shard_ready(self, shard_id: int) -> None:
        self._ready_shards.add(shard_id)
        log.info("shard %d ready: %s", shard_id, self._servers_on(shard_id))

    async def on_shard_resumed(self, shard_id: int) -> None:
        self._ready_shards.add(shard_id)
        log.info("shard %d resumed: %s", shard_id, self._servers_on(shard_id))

    async def on_shard_disconnect(self, shard_id: int) -> None:
        self._ready_shards.discard(shard_id)
        if not self._closing:
            log.info("shard %d disconnected", shard_id)

    async def on_ready(self) -> None:
        log.info("connected as %s to %s", self.user, plural(len(self.guilds), "server"))
        if self._closing:
            return
        self._ready_work = asyncio.create_task(self._after_ready(), name="after-ready")
        await asyncio.shield(self._ready_work)

    async def _after_ready(self) -> None:
        """Database work when connected; ``close`` waits for it so it never meets a closed database."""
        await self._record_heartbeat()
        if self.services is not None:
            await self.services.privacy.reconcile(guild.id for guild in self.guilds)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed from a server: its data is deleted after the retention period unless the bot comes back."""
        if self.services is not None:
            await self.services.privacy.server_left(guild.id)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        if self.services is not None:
            await self.services.privacy.server_back(guild.id)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        """Discord announces a server again (a re-invite can arrive this way): its data stays."""
        await self.on_guild_join(guild)

    async def handle_action(self, interaction: discord.Interaction, action: str, values: Sequence[str]) -> None:
        """A button or menu click: the router decides, the reply replaces the message (errors go to the clicker)."""
        try:
            reply = await self.router.press(caller_of(interaction), action, values)
            await replies.update(interaction, reply)
        except Exception as exc:  # one place for every component error, like the tree's on_error
            await errors.report(interaction, exc, self.expired)

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        """discord.py's events, plus our clicks (``bot.discord_app.components``: a task per click, as for any event)
        and ``form_submit`` for a submitted modal of ours (see ``bot.discord_app.forms``).

        Not an ``on_interaction`` handler: discord.py would start a task for it on every interaction, slash
        commands included, only to find most are not clicks."""
        super().dispatch(event, *args, **kwargs)
        if event != "interaction":
            return
        interaction = args[0]
        if (click := components.clicked(interaction)) is not None:
            self._spawn(self.handle_action(interaction, *click))
        elif forms.is_ours(interaction):
            super().dispatch("form_submit", interaction)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run one click's handling as its own task, as discord.py runs an event's (kept referenced until done)."""
        task = asyncio.get_running_loop().create_task(work)
        self._clicks.add(task)
        task.add_done_callback(self._clicks.discard)

    async def on_form_submit(self, interaction: discord.Interaction) -> None:
        """A form sent: the router runs its action with the text; the reply goes to the member who sent it."""
        try:
            action, typed = forms.submitted(interaction)
            reply = await self.router.submit(caller_of(interaction), action, typed)
            await replies.send(interaction, reply)
        except Exception as exc:  # as for clicks: a message, never a traceback
            await errors.report(interaction, exc, self.expired)

    async def on_tree_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await errors.report(interaction, error, self.expired)
