"""Timing the colour analyzer (scripts/bench/bench_analyzer.py): its test tile and the timed calls.

The synthetic tile is the analyzer's worst case: four colours on a white border, so there is a face
to find and four colours to fit.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable

import numpy as np

from rubber_tile.analyzer import measure_shares
from rubber_tile.colors.colorspace import lab_to_srgb_uint8
from rubber_tile.colors.palette import load_palette

SIZES = (512, 1024, 2048)
BENCH_COLORS = ("red", "black", "white", "yellow")


def synthetic_tile(side: int, seed: int = 0) -> np.ndarray:
    """A tile of square-ish granules (about 1/60 of the side) in four colours, on a white border."""
    rng = np.random.default_rng(seed)
    palette = load_palette()
    cells = 60
    cell_color = rng.integers(0, len(BENCH_COLORS), size=(cells, cells))
    lab = palette.lab_array(list(BENCH_COLORS))[cell_color]
    lab = lab + rng.normal(0, 3, size=lab.shape)
    face_side = int(side * 0.85)
    index = np.arange(face_side) * cells // face_side
    face = lab_to_srgb_uint8(lab[index[:, None], index[None, :]]).astype(np.int16)
    face += rng.normal(0, 4, size=face.shape).astype(np.int16)
    image = np.full((side, side, 3), 255, dtype=np.uint8)
    start = (side - face_side) // 2
    image[start : start + face_side, start : start + face_side] = np.clip(face, 0, 255)
    return image


def time_calls(image: np.ndarray, colors: Iterable[str] | None, repeats: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each call. CPU time shows what the call costs when the
    machine is shared; wall time is what a caller waits."""
    wall, cpu = [], []
    for _ in range(repeats):
        started_wall, started_cpu = time.perf_counter(), time.process_time()
        measure_shares(image, colors)
        wall.append((time.perf_counter() - started_wall) * 1000.0)
        cpu.append((time.process_time() - started_cpu) * 1000.0)
    return wall, cpu


def summary(wall: list[float], cpu: list[float]) -> str:
    return f"{statistics.median(wall):.0f} ({min(wall):.0f}-{max(wall):.0f}) cpu {statistics.median(cpu):.0f}"
