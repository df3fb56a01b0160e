"""``python -m bench --scale``: many quizzes at once over several bot processes sharing one PostgreSQL.

One durable PostgreSQL server, the project's sharded fake Discord (in this process, on 127.0.0.1) holding
``--quizzes`` servers spread evenly over ``--shards`` shards, and ``--processes`` bot processes (``python -m bot
run --shards A-B --shard-count N``), each holding an equal slice. A quiz is started in every server and every
member answers every question; then the database and the fake's records are audited. See bench/README.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import random
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from bench.load import machine_busy_seconds, percentile, wait_quiet
from bench.pg import BenchPostgres, postgres_for_bench
from bench.procs import STUDY, cpu_seconds, log_problems, rss_kib, status_kib
from bench.scale.audit import Audit, audit
from bench.scale.fake import ScaleFake
from bench.scale.options import ScaleOptions
from bench.scale.players import Players, Server
from bench.scale.sampler import Sampler
from tests.botkit.process import BotProcess

FIRST_USER = 5_000_000
START_TIMEOUT = 180.0


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def place_servers(fake: ScaleFake, options: ScaleOptions) -> dict[int, Server]:
    """``--quizzes`` servers, one after another on each shard in turn, each with one channel (id: server + 1)."""
    servers: dict[int, Server] = {}
    previous = 1 << 32
    for index in range(options.quizzes):
        guild = fake.guild_on_shard(index % options.shards, after=previous)
        fake.add_guild(guild, f"Study server {index}", channels=[guild + 1], member_count=options.members + 1)
        servers[guild + 1] = Server(guild, guild + 1, FIRST_USER + index * options.members)
        previous = guild
    return servers


def bot_processes(fake: ScaleFake, options: ScaleOptions, url: str, scratch: Path) -> list[BotProcess]:
    settings = {
        "DISCORD_TOKEN": "bench-token",
        "DATABASE_URL": url,
        "QUIZ_SECONDS": str(options.seconds),
        "QUIZ_QUESTIONS": str(options.questions),
        "QUIZ_REVEAL_SECONDS": str(options.reveal),
        "DISCORD_IDENTIFY_SECONDS": "0",
    }
    processes = []
    per = options.shards_per_process
    for number in range(options.processes):
        folder = scratch / f"bot{number}"
        folder.mkdir()
        shards = f"{number * per}-{(number + 1) * per - 1}"
        args = ("--shards", shards, "--shard-count", str(options.shards))
        processes.append(BotProcess(fake, folder, STUDY, args=args, **settings))
    return processes


@contextlib.asynccontextmanager
async def profiled(bots: Sequence[BotProcess], folder: Path | None) -> AsyncIterator[list[Path]]:
    """With ``--profile``: py-spy samples every bot (GIL-holding stacks, 250 Hz) while the block runs."""
    if folder is None:
        yield []
        return
    outputs = [folder / f"scale-bot{number}.txt" for number in range(len(bots))]
    spies = [
        await asyncio.create_subprocess_exec(
            "py-spy",
            "record",
            "--pid",
            str(bot.pid),
            "--rate",
            "250",
            "--gil",
            "--format",
            "raw",
            "--output",
            str(output),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for bot, output in zip(bots, outputs, strict=True)
    ]
    await asyncio.sleep(0.5)
    try:
        yield outputs
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)
        for spy in spies:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(spy.wait(), 30)
            if spy.returncode is None:
                spy.kill()


async def scale(options: ScaleOptions, pg: BenchPostgres, scratch: Path) -> dict[str, Any]:
    url = await pg.database_url()
    rng = random.Random(options.seed)
    players: Players | None = None

    def on_question(message: dict[str, Any]) -> None:
        if players is not None:
            players.on_question(message)

    fake = ScaleFake(on_question, shard_count=options.shards)
    async with fake:
        servers = place_servers(fake, options)
        players = Players(fake, servers, options.members, options.seconds * options.answer_share, rng)
        bots = bot_processes(fake, options, url, scratch)
        try:
            for number, bot in enumerate(bots):  # one after another: the first migrates the new database
                started = time.monotonic()
                await bot.start(within=START_TIMEOUT)
                say(f"  bot {number} ({' '.join(bot.args)}) ready in {time.monotonic() - started:.1f} s")
            await fake.wait_for(lambda: bool(fake.global_commands), 60, "the command sync")
            await asyncio.sleep(2)  # on_ready and the start-up collection
            other = await wait_quiet(options.quiet_wait)
            idle_kib = [rss_kib(bot) for bot in bots]
            cpu = [functools.partial(cpu_seconds, bot) for bot in bots]
            cpu_before = [f() for f in cpu]
            db_before, own_before, machine_before = pg.cpu_seconds(), time.process_time(), machine_busy_seconds()
            say(f"  {options.quizzes} quizzes, {options.members} members each, starting over {options.spread:.0f} s")
            began = time.monotonic()
            with Sampler(bots, pg.cpu_seconds) as sampler:
                async with profiled(bots, options.profile) as profiles:
                    await players.start_all(options.spread)
                    await fake.wait_for(
                        lambda: len(fake.posts.questions) >= len(servers), 60, "every quiz's first question", poll=0.5
                    )
                    running_kib = sampler.memory()
                    say(f"  every quiz running after {time.monotonic() - began:.1f} s")
                    expected = options.questions * (options.seconds + options.reveal) + 60
                    with contextlib.suppress(TimeoutError):
                        await fake.wait_for(
                            lambda: len(fake.posts.results) >= len(servers), expected, "every quiz's results", poll=1
                        )
                    await players.settle(10)
                    await asyncio.sleep(5)  # the last callbacks (5 s: longer than Discord's 3 s rule)
            wall = time.monotonic() - began
            say(f"  every quiz over after {wall:.1f} s")
            cpu_used = [f() - before for f, before in zip(cpu, cpu_before, strict=True)]
            db_cpu, own_cpu = pg.cpu_seconds() - db_before, time.process_time() - own_before
            machine = machine_busy_seconds() - machine_before
            hwm_kib = [status_kib(bot, "VmHWM") for bot in bots]
        finally:
            stopping = time.monotonic()
            ended = await asyncio.gather(*(bot.close() for bot in bots))
            outputs = [exit.output if exit is not None else bot.output for exit, bot in zip(ended, bots, strict=True)]
            say(f"  bots stopped in {time.monotonic() - stopping:.1f} s")
        auditing = time.monotonic()
        checked = await audit(url, players.clicks, fake.posts, options.questions)
        say(f"  database audited against what the fake saw in {time.monotonic() - auditing:.1f} s")
    return summarise(
        options,
        players,
        checked,
        fake,
        wall,
        other,
        idle_kib,
        running_kib,
        sampler,
        hwm_kib,
        cpu_used,
        db_cpu,
        own_cpu,
        machine,
        outputs,
        profiles,
    )


def summarise(
    options: ScaleOptions,
    players: Players,
    checked: Audit,
    fake: ScaleFake,
    wall: float,
    other_before: float,
    idle_kib: list[int],
    running_kib: list[int],
    sampler: Sampler,
    hwm_kib: list[int],
    cpu_used: list[float],
    db_cpu: float,
    own_cpu: float,
    machine: float,
    outputs: list[str],
    profiles: list[Path],
) -> dict[str, Any]:
    clicks = players.clicks
    latencies = [c.latency * 1000 for c in clicks if c.acknowledged and c.latency is not None]
    rejected = sum(1 for c in clicks if c.handle is not None and c.handle.record.rejected_callbacks)
    unanswered = sum(1 for c in clicks if c.handle is not None and c.handle.record.callback is None)
    wrong = sum(1 for c in clicks if c.handle is not None and c.handle.record.callback and not c.acknowledged)
    refused = sum(1 for c in clicks if c.refused is not None)
    per_second = players.clicks_per_second()
    starts_ok = sum(1 for h in players.starts.values() if h.record.callback is not None)
    lateness = checked.reveal_lateness_ms
    quizzes = options.quizzes
    memory_per_quiz = (sum(running_kib) - sum(idle_kib)) / quizzes
    problems = [line for output in outputs for line in log_problems(output)]
    ours = sum(cpu_used) + db_cpu + own_cpu
    return {
        "settings": {
            "quizzes": quizzes,
            "members": options.members,
            "questions": options.questions,
            "seconds": options.seconds,
            "reveal_seconds": options.reveal,
            "spread_seconds": options.spread,
            "answer_share": options.answer_share,
            "processes": options.processes,
            "shards": options.shards,
            "seed": options.seed,
            "other_cpu_before": round(other_before, 3),
        },
        "clicks": {
            "planned": len(clicks),
            "sent": sum(1 for c in clicks if c.handle is not None),
            "acknowledged": len(latencies),
            "not_sent": refused,
            "no_callback": unanswered,
            "refused_callbacks": rejected,
            "wrong_reply": wrong,
            "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99),
            "max_ms": max(latencies, default=float("nan")),
            "peak_per_second": max(per_second.values(), default=0),
            "mean_per_second": len(latencies) / wall if wall else 0.0,
            "examples": sorted({c.refused for c in clicks if c.refused})[:3],
        },
        "quizzes": {
            "started": starts_ok,
            "start_failures": dict(players.start_failures),
            "finished": checked.quizzes_finished,
            "stored": checked.quizzes,
            "questions_expected": checked.questions_expected,
            "questions_posted": checked.questions_posted,
            "unrevealed": checked.unrevealed,
            "early_reveals": checked.early_reveals,
        },
        "reveals": {
            "count": len(lateness),
            "p50_ms": percentile(lateness, 50),
            "p99_ms": percentile(lateness, 99),
            "max_ms": max(lateness, default=float("nan")),
        },
        "integrity": {
            "acknowledged": checked.acknowledged,
            "stored": checked.stored,
            "lost": len(checked.lost),
            "lost_examples": checked.lost[:5],
            "stored_unacknowledged": checked.stored_unacknowledged,
            "questions_doubled": checked.questions_doubled,
            "reveals_doubled": checked.reveals_doubled,
            "reveal_edits_repeated": checked.reveal_edits_repeated,
            "results_doubled": checked.results_doubled,
            "fake_errors": len(fake.errors),
            "fake_error_examples": [str(e) for e in fake.errors[:3]],
        },
        "processes": {
            "wall_seconds": wall,
            "bot_cpu_seconds": cpu_used,
            "db_cpu_seconds": db_cpu,
            "fake_cpu_seconds": own_cpu,
            "other_cpu_seconds": max(0.0, machine - ours),
            "idle_rss_kib": idle_kib,
            "running_rss_kib": running_kib,
            "peak_rss_kib": sampler.peak_kib,
            "peak_hwm_kib": hwm_kib,
            "memory_per_quiz_kib": memory_per_quiz,
            "busiest_second_cpus": sampler.busiest(),
            "saturated_seconds": sampler.saturated_seconds(),
            "cpus": os.cpu_count(),
        },
        "problems": problems[:20],
        "problem_count": len(problems),
        "profiles": [str(p) for p in profiles],
    }


def run_scale(options: ScaleOptions) -> dict[str, Any] | str:
    """The figures, or why there are none (no PostgreSQL)."""

    if options.profile is not None:
        options.profile.mkdir(parents=True, exist_ok=True)

    async def bounded() -> dict[str, Any] | str:
        with postgres_for_bench() as pg, tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
            if isinstance(pg, str):
                return pg
            async with asyncio.timeout(options.time_limit + START_TIMEOUT * options.processes + 120):
                return await scale(options, pg, Path(scratch))

    return asyncio.run(bounded())
