"""JSON encoding of the fake's REST answers and gateway frames: orjson (a dependency of the bot, which discord.py
uses too), with the standard library for the few values orjson refuses.

In the benchmark the fake shares the machine's two CPUs with the bot under test, and encoding messages was a
quarter of the fake's CPU (py-spy): every millisecond it spends is one the bot does not get. orjson refuses a few
values the standard library accepts (integers beyond 64 bits, say); those fall back to ``json``.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps_bytes(data: Any) -> bytes:
    try:
        return orjson.dumps(data)
    except TypeError:  # orjson.JSONEncodeError: e.g. an integer beyond 64 bits in a hostile test payload
        return json.dumps(data, separators=(",", ":")).encode()


def dumps_text(data: Any) -> str:
    return dumps_bytes(data).decode()
