"""Hostile values shared by the hostile-input tests: through the router (tests/test_hostile_input.py) and
through the real discord.py client (tests/e2e/test_hostile_e2e.py), so both try the same things.

Plain lists, no hypothesis strategies: the end-to-end test samples them with its own seeded random.
"""

from __future__ import annotations


def repeated(piece: str, size: int) -> str:
    """``piece`` repeated to exactly ``size`` characters."""
    return (piece * (size // len(piece) + 1))[:size]


FIXED_TEXT = [
    "",
    " ",
    "\t \n ",
    "@everyone",
    "@here",
    "<@123>",
    "<@!123>",
    "<@&5>",
    "<#30>",
    "**bold** __under__ ~~strike~~ ||spoiler||",
    "```",
    "```py\nprint('hi')\n```",
    "> quote\n# heading",
    "[link](https://example.com)",
    "\x00",
    "".join(chr(i) for i in range(32)),
    "\u202e\u200b\ufeff",
    "physical",
    " Psychological ",
    "BOTH",
    "mechanism",
    "²",
    "٣",
    "1_0",
    "1e3",
    "0x10",
    " 7 ",
    "-1",
    "0",
    "51",
    "9" * 25,
    "1" * 5000,
    str(2**63),
    str(2**64),
    str(-(2**63)),
    f"<@{2**64}>",
    "<@101>",
    "<@!102>",
    "' OR '1'='1",
    "1; DROP TABLE quiz_answers; --",
    "%s%s%n{0}${jndi:ldap://x}",
    "../../etc/passwd",
    "[/x] [bold]",
]
"""Option values and text: empty, mentions, markdown, control characters, digits int() takes or refuses, huge
ids, SQL and format strings, paths."""

NEAR_MISSES = [
    "qa:1:0:9",
    "qa:0:0:0",
    "qa:-1:0:0",
    "qa:999999999999999999999:0:0",
    "qa:999999999999999999:0:0",
    "qa:1:99:0",
    "qa:1:0:0:0",
    "qa:1:0",
    "qa::0:0",
    "pg:ketamine:t.x:999",
    "pg:ketamine:t.mechanism:99",
    "pg:ketamine:t.mechanism:-1",
    "pg:ketamine:c.effects.nope:0",
    "pg:ketamine:c.effects.:0",
    "pg:ketamine:s:0",
    "pg:KETAMINE:s:0",
    "pg:other:s:0",
    "pg:ketamine:s:0\n",
    "ix:ketamine",
    "ix:other",
    "op:ketamine",
    "op:other",
    "op:",
    "ksb:pg:ketamine:s:0",
    "fg:1",
    "fc:1",
    "fg:101",
    "fg:0",
    "fg:99999999999999999999",
    "fg:" + str(2**64),
    "sh:ketamine:0",
    "sh:ketamine:1",
    "sh:ketamine:9999",
    "sh:ketamine:99999",
    "sh:ketamine:01",
    "sh:ketamine:-1",
    "sh:other:0",
    "sh:ketamine",
    "",
    ":",
    "x" * 101,
    "qa:" + "1" * 200,
]
"""Button ids one step from real ones: other sessions and positions, bad numbers, wrong parts, unknown prefixes."""
