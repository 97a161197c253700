"""Time the preview renderer at 512, 1024 and 2048 px against Pillow's PNG encoding of the same image.

    python scripts/bench_preview.py [--repeats 15] [--framing full_frame] [--sizes 512 1024 2048]

Every timed render uses a new seed (nothing can be reused between calls). Prints, per size, the
median wall-clock and CPU time of render_tile, the time per megapixel (flat when the cost grows
with the pixel count only), and the median time Pillow takes to encode that image as PNG
(default settings). The machine is shared: the load average is printed with the numbers, and
CPU time is the figure to trust when the load is above the core count.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from preview_renderer import FRAMINGS, render_tile  # noqa: E402

BENCH_MIX = {"red": 50.0, "black": 30.0, "pearl": 20.0}
DEFAULT_SIZES = (512, 1024, 2048)
TARGET_MS_AT_1024 = 150.0


@dataclass(frozen=True)
class SizeTiming:
    size: int
    render_wall_ms: float  # median
    render_cpu_ms: float  # median
    png_wall_ms: float  # median
    png_bytes: int
    repeats: int

    @property
    def render_ms_per_megapixel(self) -> float:
        return self.render_wall_ms / (self.size * self.size / 1e6)


def time_size(size: int, repeats: int, framing: str) -> SizeTiming:
    render_tile(BENCH_MIX, size=size, seed=0, framing=framing)  # warm-up: imports, palette file
    walls, cpus, pngs = [], [], []
    png_bytes = 0
    for seed in range(1, repeats + 1):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        image = render_tile(BENCH_MIX, size=size, seed=seed, framing=framing)
        walls.append(time.perf_counter() - wall_start)
        cpus.append(time.process_time() - cpu_start)
        buffer = io.BytesIO()
        png_start = time.perf_counter()
        image.save(buffer, format="PNG")
        pngs.append(time.perf_counter() - png_start)
        png_bytes = buffer.tell()
    return SizeTiming(
        size=size,
        render_wall_ms=1000.0 * statistics.median(walls),
        render_cpu_ms=1000.0 * statistics.median(cpus),
        png_wall_ms=1000.0 * statistics.median(pngs),
        png_bytes=png_bytes,
        repeats=repeats,
    )


def machine_note() -> str:
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    busy = " (busier than its cores: wall times are inflated, trust CPU times)" if load > cores else ""
    return f"{cores} cores, load average {load:.1f} at the start{busy}"


def timings_table(timings: list[SizeTiming]) -> str:
    """Markdown table of the timings."""
    lines = [
        "| size | render, median wall ms | render, median CPU ms | wall ms per Mpx | PNG encode, median ms | render / PNG |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for t in timings:
        lines.append(
            f"| {t.size} | {t.render_wall_ms:.0f} | {t.render_cpu_ms:.0f} | {t.render_ms_per_megapixel:.0f} | "
            f"{t.png_wall_ms:.0f} | {t.render_wall_ms / t.png_wall_ms:.2f} |"
        )
    return "\n".join(lines)


def cost_split(timings: list[SizeTiming]) -> str:
    """Least-squares fit of CPU time = fixed + per-megapixel, over the sizes timed."""
    if len(timings) < 2:
        return "one size timed: no split into fixed and per-pixel cost"
    megapixels = np.array([t.size * t.size / 1e6 for t in timings])
    cpu_ms = np.array([t.render_cpu_ms for t in timings])
    per_megapixel, fixed = np.polyfit(megapixels, cpu_ms, 1)
    worst = max(abs(fixed + per_megapixel * m - c) / c for m, c in zip(megapixels, cpu_ms))
    return (
        f"CPU time = {fixed:.0f} ms fixed (one polygon fill per flake and facet; the flake count depends on the "
        f"field of view, not the size) + {per_megapixel:.0f} ms per megapixel; the line fits every size within "
        f"{100 * worst:.0f}%"
    )


def verdict(timings: list[SizeTiming]) -> str:
    at_1024 = [t for t in timings if t.size == 1024]
    if not at_1024:
        return "1024 px not timed"
    t = at_1024[0]
    speed = "meets" if t.render_wall_ms <= TARGET_MS_AT_1024 else "misses"
    png = "not slower" if t.render_wall_ms <= t.png_wall_ms else "slower"
    return (
        f"1024 px: {t.render_wall_ms:.0f} ms wall ({t.render_cpu_ms:.0f} ms CPU) {speed} the {TARGET_MS_AT_1024:.0f} ms target; "
        f"{png} than PNG encoding ({t.png_wall_ms:.0f} ms)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed renders per size (default 15)")
    parser.add_argument("--framing", choices=FRAMINGS, default="full_frame")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    print(f"machine: {machine_note()}")
    print(f"mix {BENCH_MIX}, framing {args.framing}, {args.repeats} renders per size, a new seed each")
    timings = []
    for size in args.sizes:
        timings.append(time_size(size, args.repeats, args.framing))
        print(f"  {size} px done", flush=True)
    print(timings_table(timings))
    print(cost_split(timings))
    print(verdict(timings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
