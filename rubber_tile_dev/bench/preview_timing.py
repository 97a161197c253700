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
    "TARGET_MS_AT_1024",
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
TARGET_MS_AT_1024 = 150.0
TARGET_INSTALLED_MS_AT_1024 = 400.0


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
    requests = {seed: request(seed) for seed in range(1, repeats + 1)}  # checked outside the timing
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
