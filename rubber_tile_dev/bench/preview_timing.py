"""Timing the preview renderer against Pillow's PNG encoding of the same image (scripts/bench/bench_preview.py).

Every timed render uses a new seed, so nothing can be reused between calls.
"""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from rubber_tile.mix import ColorMix
from rubber_tile.preview.render import render_tile
from rubber_tile.request import make_request

from .machine import machine_note

__all__ = [
    "BENCH_MIX",
    "DEFAULT_SIZES",
    "TARGET_INSTALLED_MS_AT_1024",
    "library_load",
    "RenderTiming",
    "cost_split",
    "installed_verdict",
    "machine_note",
    "time_installed",
    "time_size",
    "timings_table",
    "verdict",
]

BENCH_MIX = ColorMix({"red": 50.0, "black": 30.0, "pearl": 20.0})
DEFAULT_SIZES = (512, 1024, 2048)
# Issue 19's targets: the top view at 512 and 1024 px, the installed view at 1024 px, the granule
# library read once per process, and the memory it adds.
TARGETS_MS = {512: 40.0, 1024: 120.0}
TARGET_INSTALLED_MS_AT_1024 = 250.0
TARGET_LIBRARY_LOAD_MS = 300.0
TARGET_LIBRARY_MB = 150.0
# Run in a fresh interpreter: the library's load time and the memory it adds (resident set, MB).
_LIBRARY_PROBE = """
import time
from rubber_tile.preview import granule_library

def resident_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 1e6

before = resident_mb()
start = time.perf_counter()
granule_library.load_granule_library()
print(1000 * (time.perf_counter() - start), resident_mb() - before)
"""


@dataclass(frozen=True)
class RenderTiming:
    size: int
    render_wall_ms: float  # median
    render_cpu_ms: float  # median
    png_wall_ms: float  # median
    png_bytes: int
    repeats: int

    @property
    def render_ms_per_megapixel(self) -> float:
        return self.render_wall_ms / (self.size * self.size / 1e6)


def time_size(size: int, repeats: int, framing: str) -> RenderTiming:
    render_tile(BENCH_MIX, size=size, seed=0, framing=framing)  # warm-up: imports, palette file
    return _timed(lambda seed: render_tile(BENCH_MIX, size=size, seed=seed, framing=framing), size, repeats)


def time_installed(size: int, repeats: int) -> RenderTiming:
    """The installed view as the preview backend makes it (its top views included), size x size."""
    from rubber_tile.generator import TileGenerator
    from rubber_tile.preview.backend import PreviewBackend

    generator = TileGenerator(PreviewBackend())

    def request(seed: int):
        return make_request(BENCH_MIX.describe(), seed=seed, width=size, height=size, view="installed")

    generator.generate(request(0))  # warm-up
    # Seeds of their own per size: the kept layouts of another size's top views are not reused.
    requests = {seed: request(size * 1000 + seed) for seed in range(1, repeats + 1)}  # checked outside the timing
    return _timed(lambda seed: generator.generate(requests[seed]).image, size, repeats)


def _timed(render: Callable[[int], Image.Image], size: int, repeats: int) -> RenderTiming:
    """Median wall and CPU time of `render(seed)` for seeds 1..repeats, and of encoding each as PNG."""
    walls, cpus, pngs = [], [], []
    png_bytes = 0
    for seed in range(1, repeats + 1):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        image = render(seed)
        walls.append(time.perf_counter() - wall_start)
        cpus.append(time.process_time() - cpu_start)
        buffer = io.BytesIO()
        png_start = time.perf_counter()
        image.save(buffer, format="PNG")
        pngs.append(time.perf_counter() - png_start)
        png_bytes = buffer.tell()
    return RenderTiming(
        size=size,
        render_wall_ms=1000.0 * statistics.median(walls),
        render_cpu_ms=1000.0 * statistics.median(cpus),
        png_wall_ms=1000.0 * statistics.median(pngs),
        png_bytes=png_bytes,
        repeats=repeats,
    )


def installed_verdict(timings: Sequence[RenderTiming]) -> str:
    at_1024 = [t for t in timings if t.size == 1024]
    if not at_1024:
        return "installed view: 1024 px not timed"
    t = at_1024[0]
    speed = "meets" if t.render_wall_ms <= TARGET_INSTALLED_MS_AT_1024 else "misses"
    return f"installed 1024 px: {t.render_wall_ms:.0f} ms wall ({t.render_cpu_ms:.0f} ms CPU) {speed} the {TARGET_INSTALLED_MS_AT_1024:.0f} ms target"


def timings_table(timings: Sequence[RenderTiming]) -> str:
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


def cost_split(timings: Sequence[RenderTiming]) -> str:
    """Least-squares fit of CPU time = fixed + per-megapixel, over the sizes timed."""
    if len(timings) < 2:
        return "one size timed: no split into fixed and per-pixel cost"
    megapixels = np.array([t.size * t.size / 1e6 for t in timings])
    cpu_ms = np.array([t.render_cpu_ms for t in timings])
    per_megapixel, fixed = np.polyfit(megapixels, cpu_ms, 1)
    worst = max(abs(fixed + per_megapixel * m - c) / c for m, c in zip(megapixels, cpu_ms, strict=True))
    return (
        f"CPU time = {fixed:.0f} ms fixed + {per_megapixel:.0f} ms per megapixel; the line fits every size within "
        f"{100 * worst:.0f}%"
    )


def verdict(timings: Sequence[RenderTiming]) -> str:
    """One line per size with a target: met or missed, and against PNG encoding."""
    lines = []
    for t in timings:
        if t.size not in TARGETS_MS:
            continue
        target = TARGETS_MS[t.size]
        speed = "meets" if t.render_wall_ms <= target else "misses"
        png = "not slower" if t.render_wall_ms <= t.png_wall_ms else "slower"
        lines.append(
            f"{t.size} px: {t.render_wall_ms:.0f} ms wall ({t.render_cpu_ms:.0f} ms CPU) {speed} the {target:.0f} ms "
            f"target; {png} than PNG encoding ({t.png_wall_ms:.0f} ms)"
        )
    return "\n".join(lines) or "no size with a target timed"


def library_load(repeats: int = 5) -> str:
    """Median time to read the granule library in a fresh process, and the memory it adds there."""
    import subprocess
    import sys

    runs = []
    for _ in range(repeats):
        output = subprocess.run([sys.executable, "-c", _LIBRARY_PROBE], capture_output=True, text=True, check=True)
        load_ms, added_mb = (float(value) for value in output.stdout.split())
        runs.append((load_ms, added_mb))
    load_ms = statistics.median(run[0] for run in runs)
    added_mb = statistics.median(run[1] for run in runs)
    load = "meets" if load_ms <= TARGET_LIBRARY_LOAD_MS else "misses"
    memory = "meets" if added_mb <= TARGET_LIBRARY_MB else "misses"
    return (
        f"granule library: read in {load_ms:.0f} ms in a fresh process ({load} the {TARGET_LIBRARY_LOAD_MS:.0f} ms "
        f"target), adds {added_mb:.0f} MB resident ({memory} the {TARGET_LIBRARY_MB:.0f} MB target)"
    )
