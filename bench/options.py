"""The benchmark's command line: what ``python -m bench`` (``make bench ARGS=...``) accepts, and its defaults.

bench/README.md lists every option with what it is for.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.procs import ENGINES

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Options:
    count: int
    warmup: int
    inflight: int
    click_inflight: tuple[int, ...]
    engines: tuple[str, ...]
    repeats: int
    guilds: int
    time_limit: float
    quiet_wait: float
    output: Path
    quick: bool
    charts: int = 20
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
    parser.add_argument(
        "--click-inflight",
        type=_numbers,
        default=(32, 64),
        metavar="N,N",
        help="in flight for answer clicks and their control, one pass each (default 32,64)",
    )
    parser.add_argument(
        "--engines",
        type=lambda text: tuple(text.split(",")),
        default=tuple(ENGINES),
        metavar="E,E",
        help="the study bot's databases: sqlite, postgresql (default both; PostgreSQL is skipped if not installed)",
    )
    parser.add_argument("--repeats", type=int, help="runs of everything; the median is reported (default 3)")
    parser.add_argument("--guilds", type=int, help="guilds for the memory-per-guild runs (default 10000)")
    parser.add_argument(
        "--charts",
        type=int,
        help="stats charts after the first, one at a time, per study bot run (default 20; quick 5)",
    )
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
        click_inflight=args.click_inflight,
        engines=args.engines,
        repeats=args.repeats if args.repeats is not None else (1 if quick else 3),
        guilds=args.guilds if args.guilds is not None else (1000 if quick else 10_000),
        time_limit=args.time_limit,
        quiet_wait=args.quiet_wait,
        output=args.output,
        quick=quick,
        charts=args.charts if args.charts is not None else (5 if quick else 20),
        profile=args.profile,
    )
    if options.count < 1 or options.inflight < 1 or options.repeats < 1 or options.warmup < 0 or options.guilds < 1:
        parser.error("--count, --inflight, --repeats and --guilds must be at least 1, --warmup at least 0")
    if options.charts < 0:
        parser.error("--charts must be at least 0")
    if not options.click_inflight or min(options.click_inflight) < 1:
        parser.error("--click-inflight takes one or more numbers of at least 1: 32,64")
    if not options.engines or not set(options.engines) <= set(ENGINES) or "sqlite" not in options.engines:
        parser.error(f"--engines takes sqlite, optionally with postgresql (one of {', '.join(ENGINES)} each)")
    if options.profile is not None and shutil.which("py-spy") is None:
        parser.error("--profile needs py-spy on PATH: pip install py-spy (it is not one of the project's dependencies)")
    return options


def _numbers(text: str) -> tuple[int, ...]:
    try:
        return tuple(dict.fromkeys(int(part) for part in text.split(",")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
