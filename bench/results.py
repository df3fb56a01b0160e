"""What the benchmark measured, the figures derived from it (medians, ratios) and the targets they are held to.

``summarise`` turns the raw runs into one JSON-ready document; the printed table is made from that document, so
the table and ``bench-results/latest.json`` always show the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bench.load import Outcome, median

KIB_PER_MIB = 1024
CONTROLS = {"topic": "static", "answer": "click"}
"""Study bot workload -> the bare bot's control doing the same Discord work with nothing behind it."""


@dataclass
class StartRun:
    """One process start: seconds from spawn to its first answered interaction, and memory at that moment."""

    startup: float
    rss_kib: int
    hwm_kib: int
    rss_after_load_kib: int | None = None
    log_problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WorkloadInfo:
    key: str
    label: str
    bot: str


@dataclass
class Results:
    settings: dict[str, Any]
    workloads: list[WorkloadInfo]
    environment: dict[str, Any] = field(default_factory=dict)
    measured: dict[str, list[Outcome]] = field(default_factory=dict)
    warmups: dict[str, list[Outcome]] = field(default_factory=dict)
    starts: dict[str, list[StartRun]] = field(default_factory=dict)
    many_guilds: dict[str, list[StartRun]] = field(default_factory=dict)

    def add_load(self, key: str, measured: Outcome, warmup: Outcome) -> None:
        self.measured.setdefault(key, []).append(measured)
        self.warmups.setdefault(key, []).append(warmup)

    def add_start(self, bot: str, run: StartRun) -> None:
        self.starts.setdefault(bot, []).append(run)

    def add_many_guilds(self, bot: str, run: StartRun) -> None:
        self.many_guilds.setdefault(bot, []).append(run)


@dataclass(frozen=True)
class Target:
    key: str
    what: str
    measured: float
    limit: float
    unit: str
    at_most: bool = True

    @property
    def passed(self) -> bool:
        if math.isnan(self.measured):
            return False
        return self.measured <= self.limit if self.at_most else self.measured >= self.limit

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "what": self.what,
            "measured": _clean(self.measured),
            "limit": self.limit,
            "unit": self.unit,
            "rule": "at most" if self.at_most else "at least",
            "pass": self.passed,
        }


def _clean(value: float, digits: int = 4) -> float | None:
    return None if math.isnan(value) else round(value, digits)


def _run_json(outcome: Outcome, warmup: Outcome) -> dict[str, Any]:
    return {
        "interactions": outcome.done,
        "wall_s": _clean(outcome.wall),
        "throughput_per_s": _clean(outcome.throughput, 1),
        "p50_ms": _clean(outcome.percentile(50) * 1000, 2),
        "p95_ms": _clean(outcome.percentile(95) * 1000, 2),
        "p99_ms": _clean(outcome.percentile(99) * 1000, 2),
        "max_ms": _clean(max(outcome.latencies, default=math.nan) * 1000, 2),
        "bot_cpu_ms_per_interaction": _clean(outcome.bot_cpu * 1000 / outcome.done if outcome.done else math.nan, 3),
        "fake_cpu_ms_per_interaction": _clean(outcome.fake_cpu * 1000 / outcome.done if outcome.done else math.nan, 3),
        "other_cpu_share": _clean(outcome.other_cpu / outcome.wall if outcome.wall else math.nan, 3),
        "failures": outcome.failures,
        "timeouts": outcome.timeouts,
        "refused_callbacks": outcome.rejected,
        "wrong_replies": outcome.wrong,
        "other_http_errors": outcome.http_errors,
        "not_sent_time_limit": outcome.not_sent,
        "warmup_failures": warmup.failures,
        "examples": outcome.examples + warmup.examples,
    }


def _median_of(runs: list[dict[str, Any]], key: str) -> float:
    return median([math.nan if r[key] is None else float(r[key]) for r in runs])


def summarise(results: Results) -> dict[str, Any]:
    interactions: dict[str, Any] = {}
    for info in results.workloads:
        runs = [
            _run_json(m, w) for m, w in zip(results.measured.get(info.key, []), results.warmups[info.key], strict=True)
        ]
        figures = {
            key: _clean(_median_of(runs, key), 3)
            for key in (
                "throughput_per_s",
                "p50_ms",
                "p95_ms",
                "p99_ms",
                "bot_cpu_ms_per_interaction",
                "fake_cpu_ms_per_interaction",
            )
        }
        interactions[info.key] = {
            "label": info.label,
            "bot": info.bot,
            "median": figures,
            "failures": sum(r["failures"] + r["warmup_failures"] for r in runs),
            "runs": runs,
        }
    for key, control_key in CONTROLS.items():
        control = interactions.get(control_key, {}).get("median", {})
        if key not in interactions or not control:
            continue
        entry, figures = interactions[key], interactions[key]["median"]
        entry["control"] = control_key
        entry["p50_ratio_vs_control"] = _ratio(figures["p50_ms"], control.get("p50_ms"))
        entry["throughput_ratio_vs_control"] = _ratio(figures["throughput_per_s"], control.get("throughput_per_s"))
        entry["bot_cpu_ratio_vs_control"] = _ratio(
            figures["bot_cpu_ms_per_interaction"], control.get("bot_cpu_ms_per_interaction")
        )
    base = interactions.get("noop", {}).get("median", {})
    for key, entry in interactions.items():
        if key == "noop":
            continue
        entry["p50_ratio"] = _ratio(entry["median"]["p50_ms"], base.get("p50_ms"))
        entry["throughput_ratio"] = _ratio(entry["median"]["throughput_per_s"], base.get("throughput_per_s"))
        entry["bot_cpu_ratio"] = _ratio(
            entry["median"]["bot_cpu_ms_per_interaction"], base.get("bot_cpu_ms_per_interaction")
        )

    guilds = int(results.settings["guilds"])
    processes: dict[str, Any] = {}
    for bot in ("bare", "study"):
        starts = results.starts.get(bot, [])
        many = results.many_guilds.get(bot, [])
        rss = median([s.rss_kib / KIB_PER_MIB for s in starts])
        rss_many = median([s.rss_kib / KIB_PER_MIB for s in many])
        processes[bot] = {
            "startup_s": _clean(median([s.startup for s in starts]), 3),
            "rss_mib": _clean(rss, 2),
            "peak_rss_mib": _clean(median([s.hwm_kib / KIB_PER_MIB for s in starts]), 2),
            "rss_after_load_mib": _clean(
                median([s.rss_after_load_kib / KIB_PER_MIB for s in starts if s.rss_after_load_kib is not None]), 2
            ),
            "rss_many_guilds_mib": _clean(rss_many, 2),
            "per_guild_kib": _clean((rss_many - rss) * KIB_PER_MIB / guilds, 3),
            "startup_many_guilds_s": _clean(median([s.startup for s in many]), 3),
            "runs": [
                {
                    "startup_s": round(s.startup, 3),
                    "rss_kib": s.rss_kib,
                    "peak_rss_kib": s.hwm_kib,
                    "rss_after_load_kib": s.rss_after_load_kib,
                }
                for s in starts
            ],
            "many_guilds_runs": [
                {"startup_s": round(s.startup, 3), "rss_kib": s.rss_kib, "peak_rss_kib": s.hwm_kib} for s in many
            ],
            "log_problems_load_runs": _distinct(line for s in starts for line in s.log_problems),
            "log_problems_memory_runs": _distinct(line for s in many for line in s.log_problems),
        }

    shares = [
        r["other_cpu_share"] for e in interactions.values() for r in e["runs"] if r["other_cpu_share"] is not None
    ]
    noise = {
        "max_other_cpu_share": max(shares, default=None),
        "note": "CPU-seconds per second used by the rest of the machine during a workload run (1.0 = one core)",
    }
    targets = make_targets(interactions, processes)
    return {
        "environment": results.environment,
        "settings": results.settings | {"statistic": f"median of {results.settings['repeats']} run(s)"},
        "interactions": interactions,
        "processes": processes,
        "noise": noise,
        "targets": [t.as_json() for t in targets],
        "targets_met": sum(t.passed for t in targets),
        "targets_total": len(targets),
    }


def _distinct(lines: Iterable[str], limit: int = 10) -> list[str]:
    """Distinct log lines without their time stamps, at most ``limit``."""
    return list(dict.fromkeys(line[9:] if line[:2].isdigit() else line for line in lines))[:limit]


def _ratio(value: float | None, base: float | None) -> float | None:
    if value is None or base is None or base == 0:
        return None
    return round(value / base, 3)


def _num(value: float | None) -> float:
    return math.nan if value is None else float(value)


def make_targets(interactions: dict[str, Any], processes: dict[str, Any]) -> list[Target]:
    def entry(key: str, field_name: str) -> float:
        return _num(interactions.get(key, {}).get(field_name))

    bare, study = processes["bare"], processes["study"]
    failures = sum(int(e["failures"]) for e in interactions.values())
    return [
        Target("topic_p50", "topic command p50 latency vs no-op", entry("topic", "p50_ratio"), 1.10, "×"),
        Target(
            "topic_throughput",
            "topic command throughput vs no-op",
            entry("topic", "throughput_ratio"),
            0.90,
            "×",
            at_most=False,
        ),
        Target("search_p50", "search p50 latency vs no-op", entry("search", "p50_ratio"), 1.20, "×"),
        Target("answer_p50", "answer click p50 latency vs no-op", entry("answer", "p50_ratio"), 1.50, "×"),
        Target("failures", "failures at 64 in flight (every workload and run)", float(failures), 0, ""),
        Target("memory", "memory after start-up vs bare bot", _ratio_f(study["rss_mib"], bare["rss_mib"]), 1.30, "×"),
        Target(
            "per_guild",
            "memory per server vs bare bot",
            _ratio_f(study["per_guild_kib"], bare["per_guild_kib"]),
            1.0 + PER_GUILD_MARGIN,
            "×",
        ),
        Target("startup", "start-up time over bare bot", _num(study["startup_s"]) - _num(bare["startup_s"]), 1.0, "s"),
    ]


PER_GUILD_MARGIN = 0.0
"""Allowed excess of the study bot's memory per server over the bare bot's (the target: no worse)."""


def _ratio_f(value: float | None, base: float | None) -> float:
    ratio = _ratio(value, base)
    return math.nan if ratio is None else ratio
