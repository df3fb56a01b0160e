"""The scale benchmark (``make bench ARGS="--scale"``): many quizzes at once over several bot processes."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tests.fakediscord import install_network_guard


def main(argv: Sequence[str]) -> int:
    from bench.scale.options import parse_scale_args
    from bench.scale.report import print_scale_report
    from bench.scale.run import run_scale

    options = parse_scale_args(argv)
    install_network_guard()  # the fake and the players talk to 127.0.0.1 only
    try:
        document = run_scale(options)
    except KeyboardInterrupt:
        return 130
    if isinstance(document, str):
        print(document)
        return 0
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print_scale_report(document)
    print(f"figures written to {options.output}")
    return 0
