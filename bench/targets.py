"""The targets the benchmark holds the study bot to, each with its measured figure, its limit and its verdict.

Issue 11's rules: against the bare bot's no-op, memory and start-up on SQLite; against the controls (the same
Discord work with nothing behind it) on every engine: topic commands level with ``/static``, answer clicks, each a
durable write acknowledged after its commit, within ``CLICK_P50`` and ``CLICK_THROUGHPUT`` of the click control at
every number of clicks in flight measured.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from bench.workloads import case_key

LEVEL_P50, LEVEL_THROUGHPUT = 1.10, 0.90
"""What "level with its control" means: p50 at most 1.10x and throughput at least 0.90x, the bounds the topic
command has always had against the no-op."""
CLICK_P50, CLICK_THROUGHPUT = 1.50, 0.67
"""Answer clicks, each a durable write, against the click control: p50 at most 1.50x, throughput at least 0.67x."""
MEMORY_RATIO = 1.60
"""The study bot's resident memory may be up to this many times the bare bot's: the developers' guide accepts 1.6x,
since pydantic is in the chosen stack."""
PER_GUILD_MARGIN = 0.0
"""Allowed excess of the study bot's memory per server over the bare bot's (the target: no worse)."""
TARGET_ENGINE = "sqlite"
"""The engine the no-op, memory and start-up targets are held on; the control targets apply to every engine."""


@dataclass(frozen=True)
class Target:
    key: str
    what: str
    measured: float
    limit: float
    unit: str
    at_most: bool = True
    engine: str | None = None

    @property
    def passed(self) -> bool:
        if math.isnan(self.measured):
            return False
        return self.measured <= self.limit if self.at_most else self.measured >= self.limit

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "what": self.what,
            "engine": self.engine,
            "measured": None if math.isnan(self.measured) else round(self.measured, 4),
            "limit": self.limit,
            "unit": self.unit,
            "rule": "at most" if self.at_most else "at least",
            "pass": self.passed,
        }


def make_targets(interactions: dict[str, Any], processes: dict[str, Any], settings: dict[str, Any]) -> list[Target]:
    """The targets: against the no-op, memory and start-up on SQLite (``TARGET_ENGINE``); against the controls
    (topic commands level with ``/static``, answer clicks at every ``click_inflight``) on every engine measured."""
    inflight = int(settings["inflight"])
    clicks = [int(n) for n in settings["click_inflight"]]
    answer_at = inflight if inflight in clicks else max(clicks)  # the no-op runs at ``inflight``

    def ratio(workload: str, engine: str, at: int, name: str) -> float:
        return _num(interactions.get(case_key(workload, engine, at), {}).get(name))

    engines = sorted({e["engine"] for e in interactions.values() if e["engine"]}, key=lambda e: e != TARGET_ENGINE)
    targets: list[Target] = []
    if TARGET_ENGINE in engines:
        e = TARGET_ENGINE
        targets += [
            Target("topic_p50", "topic command p50 vs no-op", ratio("topic", e, inflight, "p50_ratio"), 1.10, "×"),
            Target(
                "topic_throughput",
                "topic command throughput vs no-op",
                ratio("topic", e, inflight, "throughput_ratio"),
                0.90,
                "×",
                at_most=False,
            ),
            Target("search_p50", "search p50 vs no-op", ratio("search", e, inflight, "p50_ratio"), 1.20, "×"),
            Target("answer_p50", "answer click p50 vs no-op", ratio("answer", e, answer_at, "p50_ratio"), 1.50, "×"),
        ]
        targets = [dataclasses.replace(t, engine=e) for t in targets]
    for e in engines:
        targets += [
            Target(
                "topic_p50_vs_control",
                "topic command p50 vs /static (level)",
                ratio("topic", e, inflight, "p50_ratio_vs_control"),
                LEVEL_P50,
                "×",
                engine=e,
            ),
            Target(
                "topic_throughput_vs_control",
                "topic command throughput vs /static (level)",
                ratio("topic", e, inflight, "throughput_ratio_vs_control"),
                LEVEL_THROUGHPUT,
                "×",
                at_most=False,
                engine=e,
            ),
        ]
        for at in clicks:
            targets += [
                Target(
                    f"answer_p50_vs_control@{at}",
                    f"answer click p50 vs click control, {at} in flight",
                    ratio("answer", e, at, "p50_ratio_vs_control"),
                    CLICK_P50,
                    "×",
                    engine=e,
                ),
                Target(
                    f"answer_throughput_vs_control@{at}",
                    f"answer click throughput vs click control, {at} in flight",
                    ratio("answer", e, at, "throughput_ratio_vs_control"),
                    CLICK_THROUGHPUT,
                    "×",
                    at_most=False,
                    engine=e,
                ),
            ]
    failures = sum(int(entry["failures"]) for entry in interactions.values())
    targets.append(Target("failures", "failures (every workload, engine and run)", float(failures), 0, ""))
    bare, study = processes.get("bare"), processes.get(f"study.{TARGET_ENGINE}")
    if bare is not None and study is not None:
        targets += [
            Target(
                "memory",
                "memory after start-up vs bare bot",
                _ratio_f(study["rss_mib"], bare["rss_mib"]),
                MEMORY_RATIO,
                "×",
                engine=TARGET_ENGINE,
            ),
            Target(
                "per_guild",
                "memory per server vs bare bot",
                _ratio_f(study["per_guild_kib"], bare["per_guild_kib"]),
                1.0 + PER_GUILD_MARGIN,
                "×",
                engine=TARGET_ENGINE,
            ),
            Target(
                "startup",
                "start-up time over bare bot",
                _num(study["startup_s"]) - _num(bare["startup_s"]),
                1.0,
                "s",
                engine=TARGET_ENGINE,
            ),
        ]
    return targets


def _num(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _ratio_f(value: float | None, base: float | None) -> float:
    if value is None or base is None or base == 0:
        return math.nan
    return round(value / base, 3)
