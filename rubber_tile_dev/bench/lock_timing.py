"""Timing the colour lock (scripts/bench/bench_color_lock.py): its images and the timed calls.

Images: the owner's real 60% red / 40% white model output (it came out about 99% red, so the lock
moves 40% of the area, its heaviest case), resized, where the owner's data is present; and always a
preview tile drawn 85% red / 15% white; both locked to 60 / 40.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from rubber_tile.lock import lock_colors
from rubber_tile.mix import ColorMix
from rubber_tile.preview.render import render_tile

from ..evaluation.lock_quality import lockable_outputs
from ..evaluation.owner_data import read_manifest

REAL_OUTPUT = "model_outputs/20250902_144027_60pct_red_40pct_white_final_89fdd926.jpg"
MIX = ColorMix({"red": 60.0, "white": 40.0})
DRAWN_MIX = ColorMix({"red": 85.0, "white": 15.0})
SIDES = (512, 1024, 2048)

ImageSource = Callable[[int], np.ndarray]  # side in px -> an HxWx3 uint8 image


def preview_source() -> ImageSource:
    """The preview tile drawn 85/15, at any side."""
    return lambda side: np.asarray(render_tile(DRAWN_MIX, size=side, seed=1))


def real_output_source(data_dir: Path) -> ImageSource | None:
    """The owner's 60/40 output resized to any side, or None where the owner's data is absent."""
    path = data_dir / REAL_OUTPUT
    if not path.is_file():
        return None
    original = Image.open(path).convert("RGB")
    return lambda side: np.asarray(original.resize((side, side), Image.LANCZOS))


def time_lock(image: np.ndarray, repeats: int) -> tuple[float, float, bool]:
    """Median wall ms, median CPU ms, and whether the mix was matched."""
    result = lock_colors(image, MIX)  # warm-up: palette, analyzer tables
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        lock_colors(image, MIX)
        walls.append(1000 * (time.perf_counter() - wall))
        cpus.append(1000 * (time.process_time() - cpu))
    return statistics.median(walls), statistics.median(cpus), result.matched


def time_all_outputs(data_dir: Path, side: int) -> list[float]:
    """CPU ms (best of 2 runs) of the lock on every model output with a complete, readable label, resized to `side`."""
    cpu_ms = []
    lockable, _ = lockable_outputs(read_manifest(data_dir))
    for file, mix in lockable:
        image = np.asarray(Image.open(data_dir / file).convert("RGB").resize((side, side), Image.LANCZOS))
        runs = []
        for _ in range(2):
            cpu = time.process_time()
            lock_colors(image, mix)
            runs.append(1000 * (time.process_time() - cpu))
        cpu_ms.append(min(runs))
    return sorted(cpu_ms)


def outputs_summary(cpu_ms: list[float], side: int) -> str:
    """The spread of `time_all_outputs` (sorted CPU ms) in one line."""
    return (
        f"all {len(cpu_ms)} outputs at {side} px, CPU ms: median {statistics.median(cpu_ms):.0f}, "
        f"90th percentile {cpu_ms[int(0.9 * (len(cpu_ms) - 1))]:.0f}, max {cpu_ms[-1]:.0f}"
    )
