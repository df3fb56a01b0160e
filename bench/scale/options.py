"""The scale benchmark's command line (``make bench ARGS="--scale ..."``) and its defaults.

bench/README.md ("Scale: 1,000 quizzes at once") says what each option is for.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.options import ROOT
from bot.core.quiz import limits


@dataclass(frozen=True)
class ScaleOptions:
    quizzes: int
    members: int
    questions: int
    seconds: int
    reveal: float
    spread: float
    answer_share: float
    processes: int
    shards: int
    time_limit: float
    quiet_wait: float
    output: Path
    profile: Path | None
    seed: int

    @property
    def shards_per_process(self) -> int:
        return self.shards // self.processes


def parse_scale_args(argv: Sequence[str]) -> ScaleOptions:
    parser = argparse.ArgumentParser(
        prog="python -m bench --scale",
        description="Many quizzes at once: bot processes on one PostgreSQL, each holding a slice of the shards of "
        "the project's sharded fake Discord, every member answering every question.",
    )
    parser.add_argument("--quizzes", type=int, default=1000, help="servers, each running one quiz (default 1000)")
    parser.add_argument("--members", type=int, default=20, help="members answering in each quiz (default 20)")
    parser.add_argument("--questions", type=int, default=3, help="questions per quiz (default 3)")
    parser.add_argument(
        "--seconds", type=int, default=limits.SECONDS.default, help="seconds to answer each question (default 20)"
    )
    parser.add_argument("--reveal", type=float, default=5.0, help="pause after each reveal, seconds (default 5)")
    parser.add_argument(
        "--spread",
        type=float,
        default=20.0,
        help="the quiz starts are spread evenly over this many seconds (default 20)",
    )
    parser.add_argument(
        "--answer-share",
        type=float,
        default=0.8,
        help="members answer at random moments in this share of each question's time (default 0.8)",
    )
    parser.add_argument("--processes", type=int, default=2, help="bot processes (default 2)")
    parser.add_argument("--shards", type=int, default=4, help="shards over all processes (default 4)")
    parser.add_argument("--time-limit", type=float, default=600.0, help="stop the run after this many seconds")
    parser.add_argument(
        "--quiet-wait", type=float, default=30.0, help="wait up to this long for other work on the machine to stop"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench-results" / "scale.json", help="JSON file")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="sample each bot with py-spy during the run")
    parser.add_argument("--seed", type=int, default=1, help="seed of the members' choices and timing (default 1)")
    args = parser.parse_args(list(argv))
    options = ScaleOptions(
        quizzes=args.quizzes,
        members=args.members,
        questions=args.questions,
        seconds=args.seconds,
        reveal=args.reveal,
        spread=args.spread if args.spread is not None else args.seconds + args.reveal,
        answer_share=args.answer_share,
        processes=args.processes,
        shards=args.shards,
        time_limit=args.time_limit,
        quiet_wait=args.quiet_wait,
        output=args.output,
        profile=args.profile,
        seed=args.seed,
    )
    problems = []
    if options.quizzes < 1 or options.members < 1 or options.processes < 1:
        problems.append("--quizzes, --members and --processes must be at least 1")
    if options.questions not in limits.QUESTIONS:
        problems.append(f"--questions must be {limits.QUESTIONS.allowed}")
    if options.seconds not in limits.SECONDS:
        problems.append(f"--seconds must be {limits.SECONDS.allowed}")
    if options.reveal not in limits.REVEAL_SECONDS:
        problems.append(f"--reveal must be {limits.REVEAL_SECONDS.allowed}")
    if not 0 < options.answer_share < 1:
        problems.append("--answer-share must be between 0 and 1")
    if options.shards < options.processes or options.shards % options.processes:
        problems.append("--shards must be a multiple of --processes (each process holds an equal slice)")
    if options.spread < 0 or options.time_limit <= 0:
        problems.append("--spread must be at least 0 and --time-limit above 0")
    if problems:
        parser.error("; ".join(problems))
    return options
