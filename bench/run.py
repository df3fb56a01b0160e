"""``python -m bench``: the study bot against a bare discord.py bot, through the project's fake Discord.

Both bots run as subprocesses, one at a time, against a fake Discord started in this process on 127.0.0.1.
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import functools
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # ``python bench/run.py``: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.charts import chart_channels, measure_charts
from bench.load import JSON, REPLY_TIMEOUT, BenchFake, Check, Outcome, Send, drive, wait_quiet
from bench.options import ROOT, Options, parse_args
from bench.pg import BenchPostgres, postgres_for_bench
from bench.procs import BARE, ENGINES, STUDY, Subject, cpu_seconds, log_problems, rss_kib, status_kib, subject
from bench.report import print_report
from bench.results import CaseInfo, Results, StartRun, summarise
from bench.workloads import PROBES, WORKLOADS, Workload, check_answer, command_sender, start_quiz, workload_sender
from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.process import BotProcess
from tests.fakediscord import install_network_guard

MANY_GUILDS_FIRST_ID = 10_000_000
START_TIMEOUT = 90.0


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- one bot process ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    workload: Workload
    info: CaseInfo
    channel_id: int
    """Where its clicks go: each pass of answer clicks in a process has a quiz (a question) of its own."""


@contextlib.asynccontextmanager
async def bot_session(
    kind: Subject, options: Options, pg: BenchPostgres | None, extra_guilds: int, deadline: float
) -> AsyncIterator[tuple[BenchFake, BotProcess]]:
    """A fresh fake Discord (one server with a channel per pass of clicks, plus ``extra_guilds`` more servers), a
    fresh database (a new SQLite file, or a new PostgreSQL database) and a started bot process."""
    settings = {"DISCORD_TOKEN": "bench-token"}
    if kind.engine == "postgresql":
        assert pg is not None
        settings["DATABASE_URL"] = await pg.database_url()
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind.key}-") as tmp:
        fake = BenchFake(interaction_deadline=deadline)
        async with fake:
            passes = [CHANNEL_ID + i for i in range(len(options.click_inflight))]
            fake.add_guild(GUILD_ID, channels=passes + chart_channels())
            for i in range(extra_guilds):
                fake.add_guild(MANY_GUILDS_FIRST_ID + i, name=f"Server {i}")
            process = BotProcess(fake, Path(tmp), kind.command, **settings)
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
async def run_case(
    fake: BenchFake, process: BotProcess, case: Case, options: Options, pg: BenchPostgres | None
) -> tuple[Outcome, Outcome]:
    """Warm-up (not counted), then the measured run."""
    send, check = await workload_sender(fake, case.workload, options.warmup + options.count, case.channel_id)
    limit, inflight = options.time_limit, case.info.inflight
    cpu = functools.partial(cpu_seconds, process)
    db_cpu = pg.cpu_seconds if pg is not None and case.info.engine == "postgresql" else (lambda: 0.0)
    warm = await drive(fake, send, check, options.warmup, inflight, limit, cpu, first=0, db_cpu_seconds=db_cpu)
    async with profiled(process, case.info.key, options):
        measured = await drive(
            fake, send, check, options.count, inflight, limit, cpu, first=options.warmup, db_cpu_seconds=db_cpu
        )
    return warm, measured


@contextlib.asynccontextmanager
async def profiled(process: BotProcess, name: str, options: Options) -> AsyncIterator[None]:
    """With ``--profile``, sample the bot process with py-spy while the block runs (raw collapsed stacks)."""
    if options.profile is None:
        yield
        return
    options.profile.mkdir(parents=True, exist_ok=True)
    runs = len(list(options.profile.glob(f"{name}-*.txt")))
    output = options.profile / f"{name}-{runs + 1}.txt"
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


def plan(options: Options, kind: Subject) -> list[Case]:
    """What runs in one process of ``kind``, in order: its workloads, the click ones once per ``--click-inflight``."""
    cases: list[Case] = []
    for workload in WORKLOADS:
        if workload.bot != kind.command.key:
            continue
        passes = options.click_inflight if workload.clicks else (options.inflight,)
        for index, inflight in enumerate(passes):
            info = CaseInfo(workload.key, workload.label, workload.bot, kind.engine, inflight)
            cases.append(Case(workload, info, CHANNEL_ID + index))
    return cases


async def load_runs(kind: Subject, options: Options, pg: BenchPostgres | None, results: Results, repeat: int) -> None:
    probe_name, probe_options, probe_check = PROBES[kind.command.key]
    await wait_quiet(options.quiet_wait)
    async with bot_session(kind, options, pg, 0, deadline=3.0) as (fake, process):
        start, _ = await first_answer(fake, process, command_sender(fake, probe_name, probe_options), probe_check)
        say(f"  run {repeat + 1}: {kind.label} answered after {start.startup:.2f} s, {start.rss_kib / 1024:.1f} MiB")
        for case in plan(options, kind):
            warm, outcome = await run_case(fake, process, case, options, pg)
            say(
                f"    {case.workload.label}, {case.info.inflight} in flight: {outcome.throughput:.0f}/s, "
                f"p50 {outcome.percentile(50) * 1000:.1f} ms, failures {outcome.failures + warm.failures}"
            )
            results.add_load(case.info.key, outcome, warm)
        start.rss_after_load_kib = rss_kib(process)
        if kind.command.key == STUDY.key:  # after the figures above, which the chart's memory must not change
            charts = await measure_charts(fake, process, options.charts)
            say(
                f"    stats chart ({charts.topics} topics): first {_ms(charts.first_s)}, later p50 "
                f"{_ms(statistics.median(charts.later_s) if charts.later_s else None)}, memory "
                f"{charts.rss_before_kib / 1024:.1f} -> {charts.rss_after_first_kib / 1024:.1f} MiB, "
                f"failures {charts.failures}"
            )
            results.add_charts(kind.key, charts.as_json())
        start.log_problems = log_problems((await process.stop()).output)
        results.add_start(kind.key, start)


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.0f} ms"


async def memory_runs(kind: Subject, options: Options, results: Results, repeat: int) -> None:
    probe_name, probe_options, probe_check = PROBES[kind.command.key]
    await wait_quiet(options.quiet_wait)
    # A generous interaction deadline: the first interaction waits behind every GUILD_CREATE on the websocket.
    async with bot_session(kind, options, None, options.guilds, deadline=120.0) as (fake, process):
        start, _ = await first_answer(fake, process, command_sender(fake, probe_name, probe_options), probe_check)
        start.log_problems = log_problems((await process.stop()).output)
    say(
        f"  run {repeat + 1}: {kind.label} with {options.guilds} more servers answered after "
        f"{start.startup:.2f} s, {start.rss_kib / 1024:.1f} MiB"
    )
    results.add_many_guilds(kind.key, start)


async def warm_start(kind: Subject, options: Options, pg: BenchPostgres | None) -> JSON:
    """One start that is not measured: fills the OS file cache and writes .pyc files, for every bot alike.

    Returns what the bare bot's controls replay: the data of the first interaction's callback (for the study bot,
    its /ketamine mechanism reply, which /static sends) and, for the study bot, a quiz question it posted and its
    answer to a click on it (``question`` and ``click_reply``, which /question and its buttons send).
    """
    probe_name, probe_options, probe_check = PROBES[kind.command.key]
    async with bot_session(kind, options, pg, 0, deadline=3.0) as (fake, process):
        _, callback = await first_answer(fake, process, command_sender(fake, probe_name, probe_options), probe_check)
        captured: JSON = dict(callback.get("data") or {})
        if kind.command.key == STUDY.key:
            message, buttons = await start_quiz(fake)
            click = await fake.settled(await fake.click(message, buttons[0], member=fake.make_member(8, "warm-up")))
            if click.callback is None or check_answer(click.callback) is not None:
                raise RuntimeError(f"{kind.label}: the warm-up answer click failed: {click.rejected_callbacks}")
            captured["question"] = {k: message.get(k) for k in ("embeds", "components")}
            captured["click_reply"] = click.callback.get("data") or {}
    return captured


async def benchmark(options: Options, scratch: Path) -> Results:
    with postgres_for_bench() if "postgresql" in options.engines else contextlib.nullcontext("") as pg:
        engines = [e for e in options.engines if e != "postgresql" or isinstance(pg, BenchPostgres)]
        server = pg if isinstance(pg, BenchPostgres) else None
        if pg and not server:
            say(f"{pg}; running SQLite only")
        settings = {
            "count": options.count,
            "warmup": options.warmup,
            "inflight": options.inflight,
            "click_inflight": list(options.click_inflight),
            "engines": engines,
            "repeats": options.repeats,
            "guilds": options.guilds,
            "time_limit_s": options.time_limit,
            "charts": options.charts,
            "quick": options.quick,
        }
        studies = [subject(STUDY, engine) for engine in engines]
        bare = subject(BARE)
        results = Results(settings, [case.info for kind in (bare, *studies) for case in plan(options, kind)])
        results.environment["postgresql"] = server.version if server else (pg or "not asked for")
        clicks = ", ".join(map(str, options.click_inflight))
        say(
            f"bench: {options.count} interactions per workload after {options.warmup} warm-up, {options.inflight} in "
            f"flight (answer clicks: {clicks}), study bot on {', '.join(ENGINES[e] for e in engines)}; "
            f"{options.repeats} run(s) of each, median reported; {os.cpu_count()} CPUs"
        )
        reply = await warm_start(studies[0], options, server)
        for study in studies[1:]:
            await warm_start(study, options, server)
        reply_file = scratch / "static-reply.json"
        reply_file.write_text(json.dumps(reply))
        bare_command = dataclasses.replace(BARE, env={**BARE.env, "BENCH_STATIC_REPLY": str(reply_file)})
        bare = dataclasses.replace(bare, command=bare_command)
        await warm_start(bare, options, server)
        say("interactions (one process per bot per run, bots one at a time, order alternating):")
        for repeat in range(options.repeats):
            for kind in [bare, *studies][:: 1 if repeat % 2 == 0 else -1]:
                await load_runs(kind, options, server, results, repeat)
        say(f"memory with {options.guilds} more servers announced before the bot connects (study bot on SQLite):")
        for repeat in range(options.repeats):
            for kind in (bare, studies[0]) if repeat % 2 == 0 else (studies[0], bare):
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
    bots = 1 + len(options.engines)  # the bare bot, the study bot on each engine
    cases = bots * (2 + len(options.click_inflight))  # each bot's two other workloads, and a pass per click count
    processes = options.repeats * (bots + 2) + bots  # load runs and memory runs per repeat; the warm starts
    charts = len(options.engines) * (60 + options.charts * 2 * REPLY_TIMEOUT)  # the chart step, per repeat
    budget = processes * per_process + options.repeats * (cases * per_workload + charts + 240) + 180  # 180: PostgreSQL

    async def bounded() -> Results:
        with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
            async with asyncio.timeout(budget):
                return await benchmark(options, Path(scratch))

    load_before = [round(x, 2) for x in os.getloadavg()]
    try:
        results = asyncio.run(bounded())
    except KeyboardInterrupt:
        return 130
    results.environment = environment() | results.environment | {"load_average_at_start": load_before}
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
