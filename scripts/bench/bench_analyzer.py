"""Time the colour analyzer on tile images of 512, 1024 and 2048 px and print the medians.

    python scripts/bench/bench_analyzer.py [--image PATH] [--repeats 15]

Without --image it times a synthetic four-colour tile on a white background (the analyzer's
worst case: a face to find and four colours to fit). The first call, which builds lookup
tables once per process, is reported separately. The timing code is
rubber_tile_dev/bench/analyzer_timing.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from rubber_tile.analyzer import measure_shares
from rubber_tile.images import as_rgb_array
from rubber_tile.mix import parse_mix
from rubber_tile_dev.bench.analyzer_timing import BENCH_COLORS, SIZES, summary, synthetic_tile, time_calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=Path, help="time this image (resized to each size) instead of a synthetic tile")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--mix", help="with --image: the colours to give, e.g. \"30% red, 70% blue\"")
    args = parser.parse_args(argv)
    source = None if args.image is None else as_rgb_array(Image.open(args.image))
    given_colors = None if args.mix is None else parse_mix(args.mix).colors

    started = time.perf_counter()
    measure_shares(synthetic_tile(256), BENCH_COLORS)
    print(f"first call (builds lookup tables once per process): {(time.perf_counter() - started) * 1000:.0f} ms")
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"median wall ms of {args.repeats} calls (min-max), then median CPU ms")
    print(f"{'size':>6}  {'colours given':>26}  {'open mode':>26}")
    for side in SIZES:
        image = (
            synthetic_tile(side)
            if source is None
            else np.asarray(Image.fromarray(source).resize((side, side), Image.Resampling.LANCZOS))
        )
        colors = BENCH_COLORS if source is None else given_colors
        given_text = "-" if colors is None else summary(*time_calls(image, colors, args.repeats))
        open_text = summary(*time_calls(image, None, args.repeats))
        print(f"{side:>6}  {given_text:>26}  {open_text:>26}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
