"""Time the colour lock at 512, 1024 and 2048 px (prints numbers; not a test).

    python scripts/bench/bench_color_lock.py [--repeats 7] [--data ../shared/data] [--all-outputs]

Images: the owner's real 60% red / 40% white model output (it came out about 99% red, so the
lock moves 40% of the area, its heaviest case), resized, where the owner's data is present; and
always a procedural preview tile drawn 85% red / 15% white and locked to 60 / 40. Prints the
median wall time and the median CPU time of this process (the machine is shared; CPU time is
what the lock itself costs on one core). --all-outputs also times every scorable model output of
the manifest at 1024 px (best of 2 runs each) and prints the spread. The timing code is
rubber_tile_dev/bench/lock_timing.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rubber_tile_dev.bench.lock_timing import (
    REAL_OUTPUT,
    SIDES,
    ImageSource,
    outputs_summary,
    preview_source,
    real_output_source,
    time_all_outputs,
    time_lock,
)
from rubber_tile_dev.evaluation.owner_data import DEFAULT_DATA_DIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per size (median reported)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, help="folder holding model_outputs/")
    parser.add_argument("--all-outputs", action="store_true", help="also time every model output at 1024 px")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        print("error: --repeats must be at least 1", file=sys.stderr)
        return 2
    sources: list[tuple[str, ImageSource]] = []
    real = real_output_source(args.data)
    if real is not None:
        sources.append(("real output", real))
    else:
        print(f"note: {args.data / REAL_OUTPUT} not found; timing the preview tile only", file=sys.stderr)
    sources.append(("preview tile", preview_source()))
    print(f"{'image':<14}{'side':>6}{'wall ms':>10}{'cpu ms':>9}  matched")
    for label, make in sources:
        for side in SIDES:
            wall, cpu, matched = time_lock(make(side), args.repeats)
            print(f"{label:<14}{side:>6}{wall:>10.0f}{cpu:>9.0f}  {'yes' if matched else 'no'}")
    if args.all_outputs:
        if not (args.data / "manifest.csv").is_file():
            print(f"error: --all-outputs needs the owner's data; no manifest in {args.data}", file=sys.stderr)
            return 2
        print(outputs_summary(time_all_outputs(args.data, 1024), 1024))
    return 0


if __name__ == "__main__":
    sys.exit(main())
