"""Reading mixes: time per typical input, and per refusal (target: median <= 1 ms for a typical mix).

    python scripts/bench/bench_parser.py [--repeats 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from rubber_tile.mix import MixError, parse_mix

TYPICAL = (
    "50% red, 30% black, 20% pearl",
    "70 black 30 white",
    "60/40 red/white",
    "40% sand, 30% terracotta, 20% khaki, 10% brown",
    "50% красного, 30% тёмно-серого, 20% жемчужного",
    "беж 50, бирюза 50",
    "black: 70, white: 30",
)
REFUSED = ("50% perl, 50% red", "60% green, 40% white", "50% red, 40% black", "50% бирюзавый, 50% белый")


def time_texts(texts: tuple[str, ...], repeats: int) -> list[float]:
    seconds = []
    for _ in range(repeats):
        for text in texts:
            started = time.perf_counter()
            try:
                parse_mix(text)
            except MixError:
                pass  # a refusal is the result being timed here
            seconds.append(time.perf_counter() - started)
    return seconds


def summary(label: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    return (f"{label:<22} median {1000 * statistics.median(ordered):.3f} ms, "
            f"p95 {1000 * ordered[int(0.95 * len(ordered))]:.3f} ms over {len(ordered)} calls")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args(argv)
    typical = time_texts(TYPICAL, args.repeats)
    print(summary("typical mixes", typical))
    print(summary("refusals", time_texts(REFUSED, args.repeats)))
    verdict = "met" if statistics.median(typical) <= 0.001 else "MISSED"
    print(f"target median <= 1 ms per typical input: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
