"""Time the preview renderer at 512, 1024 and 2048 px against Pillow's PNG encoding of the same image, and the granule library's load.

    python scripts/bench/bench_preview.py [--repeats 15] [--framing full_frame] [--sizes 512 1024 2048]
                                          [--installed-sizes 512 1024] [--no-installed]

Every timed render uses a new seed (nothing can be reused between calls). Prints, per size, the
median wall-clock and CPU time of render_tile, the time per megapixel (flat when the cost grows
with the pixel count only), and the median time Pillow takes to encode that image as PNG
(default settings). The machine is shared: the load average is printed with the numbers, and
CPU time is the figure to trust when the load is above the core count. The installed view is
timed as the preview backend makes it (its top views included), square, at --installed-sizes. The granule
library is read in fresh processes first: the median load time and the resident memory it adds. The timing code is
rubber_tile_dev/bench/preview_timing.py.
"""

from __future__ import annotations

import argparse
import sys

from rubber_tile.preview.settings import FRAMINGS
from rubber_tile_dev.bench.preview_timing import (
    BENCH_MIX,
    DEFAULT_SIZES,
    cost_split,
    installed_verdict,
    library_load,
    machine_note,
    time_installed,
    time_size,
    timings_table,
    verdict,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed renders per size (default 15)")
    parser.add_argument("--framing", choices=FRAMINGS, default="full_frame")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--installed-sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--no-installed", action="store_true", help="do not time the installed view")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    print(f"machine: {machine_note()}")
    print(library_load())
    print(f"mix {dict(BENCH_MIX)}, framing {args.framing}, {args.repeats} renders per size, a new seed each")
    timings = []
    for size in args.sizes:
        timings.append(time_size(size, args.repeats, args.framing))
        print(f"  {size} px done", flush=True)
    print(timings_table(timings))
    print(cost_split(timings))
    print(verdict(timings))
    if not args.no_installed:
        print(f"installed view, {args.repeats} renders per size, a new seed each")
        installed = [time_installed(size, args.repeats) for size in args.installed_sizes]
        print(timings_table(installed))
        print(installed_verdict(installed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
