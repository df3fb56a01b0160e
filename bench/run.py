"""``python -m bench``: the study bot against a bare discord.py bot, through the project's fake Discord.

Both bots run as subprocesses, one at a time, against a fake Discord started in this process on 127.0.0.1.
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import functools
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # ``python bench/run.py``: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import JSON, REPLY_TIMEOUT, BenchFake, Check, Outcome, Send, drive, wait_quiet
from bench.procs import BARE, STUDY, cpu_seconds, log_problems, rss_kib, status_kib
from bench.report import print_report
from bench.results import Results, StartRun, WorkloadInfo, summarise
from bench.workloads import PROBES, WORKLOADS, Workload, check_answer, command_sender, start_quiz, workload_sender
from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.process import BotCommand, BotProcess
from tests.fakediscord import install_network_guard

ROOT = Path(__file__).resolve().parent.parent
MANY_GUILDS_FIRST_ID = 10_000_000
START_TIMEOUT = 90.0


@dataclass(frozen=True)
class Options:
    count: int
    warmup: int
    inflight: int
    repeats: int
    guilds: int
    time_limit: float
    quiet_wait: float
    output: Path
    quick: bool
    profile: Path | None = None


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the study bot against a bare discord.py bot through the project's fake Discord.",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 200 per workload, 1 run, 1000 guilds")
    parser.add_argument("--count", type=int, help="measured interactions per workload (default 2000; quick 200)")
    parser.add_argument("--warmup", type=int, help="interactions sent first and not counted (default 200; quick 50)")
    parser.add_argument("--inflight", type=int, default=64, help="interactions in flight at once (default 64)")
    parser.add_argument("--repeats", type=int, help="runs of everything; the median is reported (default 3)")
    parser.add_argument("--guilds", type=int, help="guilds for the memory-per-guild runs (default 10000)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per workload run (default 60)")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=30.0,
        help="before each bot process, wait up to this many seconds for other work on the machine to stop (0: never)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench-results" / "latest.json", help="JSON file")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="sample each bot with py-spy during every measured run; collapsed stacks go to DIR (figures are slower)",
    )
    args = parser.parse_args(argv)
    quick = bool(args.quick)
    options = Options(
        count=args.count if args.count is not None else (200 if quick else 2000),
        warmup=args.warmup if args.warmup is not None else (50 if quick else 200),
        inflight=args.inflight,
        repeats=args.repeats if args.repeats is not None else (1 if quick else 3),
        guilds=args.guilds if args.guilds is not None else (1000 if quick else 10_000),
        time_limit=args.time_limit,
        quiet_wait=args.quiet_wait,
        output=args.output,
        quick=quick,
        profile=args.profile,
    )
    if options.count < 1 or options.inflight < 1 or options.repeats < 1 or options.warmup < 0 or options.guilds < 1:
        parser.error("--count, --inflight, --repeats and --guilds must be at least 1, --warmup at least 0")
    if options.profile is not None and shutil.which("py-spy") is None:
        parser.error("--profile needs py-spy on PATH: pip install py-spy (it is not one of the project's dependencies)")
    return options


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- one bot process ----------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def bot_session(
    kind: BotCommand, extra_guilds: int, deadline: float
) -> AsyncIterator[tuple[BenchFake, BotProcess]]:
    """A fresh fake Discord (one server with one channel, plus ``extra_guilds`` more) and a started bot process."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind.key}-") as tmp:
        fake = BenchFake(interaction_deadline=deadline)
        async with fake:
            fake.add_guild(GUILD_ID, channels=[CHANNEL_ID])
            for i in range(extra_guilds):
                fake.add_guild(MANY_GUILDS_FIRST_ID + i, name=f"Server {i}")
            process = BotProcess(fake, Path(tmp), kind, DISCORD_TOKEN="bench-token")
            try:
                await process.start(wait=False)  # the start-up is timed from here to the first answer
                yield fake, process
            finally:
                await process.close()


async def first_answer(fake: BenchFake, process: BotProcess, send: Send, check: Check) -> tuple[StartRun, JSON]:
    """Send one interaction as soon as the bot is connected; time from spawn to its accepted callback."""
    await process.wait_ready(START_TIMEOUT)
    handle = await send(0)
    record = await fake.settled(handle, within=fake.interaction_deadline + 2)
    if record.callback is None or record.callback_at is None:
        raise RuntimeError(f"{process.label}: first interaction refused: {record.rejected_callbacks}")
    problem = check(record.callback)
    if problem is not None:
        raise RuntimeError(f"{process.label}: first interaction got a wrong reply: {problem}")
    start = StartRun(
        startup=record.callback_at - process.started_at,
        rss_kib=rss_kib(process),
        hwm_kib=status_kib(process, "VmHWM"),
    )
    return start, record.callback


# -- workloads ----------------------------------------------------------------------------------------------------
async def run_workload(
    fake: BenchFake, process: BotProcess, workload: Workload, options: Options
) -> tuple[Outcome, Outcome]:
    """Warm-up (not counted), then the measured run."""
    send, check = await workload_sender(fake, workload, options.warmup + options.count)
    limit, cpu = options.time_limit, functools.partial(cpu_seconds, process)
    warm = await drive(fake, send, check, options.warmup, options.inflight, limit, cpu, first=0)
    async with profiled(process, workload, options):
        measured = await drive(fake, send, check, options.count, options.inflight, limit, cpu, first=options.warmup)
    return warm, measured


@contextlib.asynccontextmanager
async def profiled(process: BotProcess, workload: Workload, options: Options) -> AsyncIterator[None]:
    """With ``--profile``, sample the bot process with py-spy while the block runs (raw collapsed stacks)."""
    if options.profile is None:
        yield
        return
    options.profile.mkdir(parents=True, exist_ok=True)
    runs = len(list(options.profile.glob(f"{workload.key}-*.txt")))
    output = options.profile / f"{workload.key}-{runs + 1}.txt"
    spy = await asyncio.create_subprocess_exec(
        "py-spy", "record", "--pid", str(process.pid), "--rate", "1000", "--gil", "--format", "raw", "--output", str(output),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await asyncio.sleep(0.5)  # py-spy attaches before the first measured interaction
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(spy.wait(), 15)
        if spy.returncode is None:
            spy.kill()
        say(f"    profile: {output}")


# -- the whole benchmark ------------------------------------------------------------------------------------------


async def load_runs(kind: BotCommand, options: Options, results: Results, repeat: int) -> None:
    probe_name, probe_options, probe_check = PROBES[kind.key]
    await wait_quiet(options.quiet_wait)
    async with bot_session(kind, 0, deadline=3.0) as (fake, process):
        start, _ = await first_answer(fake, process, command_sender(fake, probe_name, probe_options), probe_check)
        say(f"  run {repeat + 1}: {kind.label} answered after {start.startup:.2f} s, {start.rss_kib / 1024:.1f} MiB")
        for workload in WORKLOADS:
            if workload.bot != kind.key:
                continue
            warm, outcome = await run_workload(fake, process, workload, options)
            say(
                f"    {workload.label}: {outcome.throughput:.0f}/s, p50 {outcome.percentile(50) * 1000:.1f} ms, "
                f"failures {outcome.failures + warm.failures}"
            )
            results.add_load(workload.key, outcome, warm)
        start.rss_after_load_kib = rss_kib(process)
        start.log_problems = log_problems((await process.stop()).output)
        results.add_start(kind.key, start)


async def memory_runs(kind: BotCommand, options: Options, results: Results, repeat: int) -> None:
    probe_name, probe_options, probe_check = PROBES[kind.key]
    await wait_quiet(options.quiet_wait)
    # A generous interaction deadline: the first interaction waits behind every GUILD_CREATE on the websocket.
    async with bot_session(kind, options.guilds, deadline=120.0) as (fake, process):
        start, _ = await first_answer(fake, process, command_sender(fake, probe_name, probe_options), probe_check)
        start.log_problems = log_problems((await process.stop()).output)
    say(
        f"  run {repeat + 1}: {kind.label} with {options.guilds} more servers answered after "
        f"{start.startup:.2f} s, {start.rss_kib / 1024:.1f} MiB"
    )
    results.add_many_guilds(kind.key, start)


async def warm_start(kind: BotCommand) -> JSON:
    """One start that is not measured: fills the OS file cache and writes .pyc files, for both bots alike.

    Returns what the bare bot's controls replay: the data of the first interaction's callback (for the study bot,
    its /ketamine mechanism reply, which /static sends) and, for the study bot, a quiz question it posted and its
    answer to a click on it (``question`` and ``click_reply``, which /question and its buttons send).
    """
    probe_name, probe_options, probe_check = PROBES[kind.key]
    async with bot_session(kind, 0, deadline=3.0) as (fake, process):
        _, callback = await first_answer(fake, process, command_sender(fake, probe_name, probe_options), probe_check)
        captured: JSON = dict(callback.get("data") or {})
        if kind.key == STUDY.key:
            message, buttons = await start_quiz(fake)
            click = await fake.settled(await fake.click(message, buttons[0], member=fake.make_member(8, "warm-up")))
            if click.callback is None or check_answer(click.callback) is not None:
                raise RuntimeError(f"study bot: the warm-up answer click failed: {click.rejected_callbacks}")
            captured["question"] = {k: message.get(k) for k in ("embeds", "components")}
            captured["click_reply"] = click.callback.get("data") or {}
    return captured


async def benchmark(options: Options, scratch: Path) -> Results:
    settings = {
        "count": options.count,
        "warmup": options.warmup,
        "inflight": options.inflight,
        "repeats": options.repeats,
        "guilds": options.guilds,
        "time_limit_s": options.time_limit,
        "quick": options.quick,
    }
    results = Results(settings, [WorkloadInfo(w.key, w.label, w.bot) for w in WORKLOADS])
    say(
        f"bench: {options.count} interactions per workload after {options.warmup} warm-up, {options.inflight} in "
        f"flight, {options.repeats} run(s) of each, median reported; {os.cpu_count()} CPUs"
    )
    reply = await warm_start(STUDY)
    reply_file = scratch / "static-reply.json"
    reply_file.write_text(json.dumps(reply))
    bare = dataclasses.replace(BARE, env={**BARE.env, "BENCH_STATIC_REPLY": str(reply_file)})
    await warm_start(bare)
    say("interactions (one process per bot per run, bots one at a time, order alternating):")
    for repeat in range(options.repeats):
        for kind in (bare, STUDY) if repeat % 2 == 0 else (STUDY, bare):
            await load_runs(kind, options, results, repeat)
    say(f"memory with {options.guilds} more servers announced before the bot connects:")
    for repeat in range(options.repeats):
        for kind in (bare, STUDY) if repeat % 2 == 0 else (STUDY, bare):
            await memory_runs(kind, options, results, repeat)
    return results


def environment() -> dict[str, Any]:
    import discord

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False, timeout=5
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit or None,
        "python": platform.python_version(),
        "discord.py": discord.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "kernel": platform.release(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    install_network_guard()  # this process (the fake and the load generator) talks to 127.0.0.1 only
    # Every step has its own time limit; this only guarantees that the script ends whatever happens.
    per_workload = 2 * (options.time_limit + REPLY_TIMEOUT + 5)
    per_process = START_TIMEOUT + options.quiet_wait + 15
    budget = options.repeats * (4 * per_process + len(WORKLOADS) * per_workload + 240) + 2 * per_process + 60

    async def bounded() -> Results:
        with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
            async with asyncio.timeout(budget):
                return await benchmark(options, Path(scratch))

    load_before = [round(x, 2) for x in os.getloadavg()]
    try:
        results = asyncio.run(bounded())
    except KeyboardInterrupt:
        return 130
    results.environment = environment() | {"load_average_at_start": load_before}
    document = summarise(results)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    print_report(document)
    try:
        shown = options.output.relative_to(Path.cwd())
    except ValueError:
        shown = options.output
    print(f"figures written to {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
