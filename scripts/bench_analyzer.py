"""Time the colour analyzer on tile images of 512, 1024 and 2048 px and print the medians.

    python scripts/bench_analyzer.py [--image PATH] [--repeats 15]

Without --image it times a synthetic four-colour tile on a white background (the analyzer's
worst case: a face to find and four colours to fit). The first call, which builds lookup
tables once per process, is reported separately.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from color_analyzer import as_rgb_array, measure_shares  # noqa: E402
from palette import lab_to_srgb_uint8, load_palette  # noqa: E402
from prompt_builder import parse_mix  # noqa: E402

SIZES = (512, 1024, 2048)
BENCH_COLORS = ("red", "black", "white", "yellow")


def synthetic_tile(side: int, seed: int = 0) -> np.ndarray:
    """A tile of square-ish granules (about 1/60 of the side) in four colours, on a white border."""
    rng = np.random.default_rng(seed)
    palette = load_palette()
    cells = 60
    cell_colour = rng.integers(0, len(BENCH_COLORS), size=(cells, cells))
    lab = palette.lab_array(list(BENCH_COLORS))[cell_colour]
    lab = lab + rng.normal(0, 3, size=lab.shape)
    face_side = int(side * 0.85)
    index = np.arange(face_side) * cells // face_side
    face = lab_to_srgb_uint8(lab[index[:, None], index[None, :]]).astype(np.int16)
    face += rng.normal(0, 4, size=face.shape).astype(np.int16)
    image = np.full((side, side, 3), 255, dtype=np.uint8)
    start = (side - face_side) // 2
    image[start : start + face_side, start : start + face_side] = np.clip(face, 0, 255)
    return image


def time_calls(image: np.ndarray, colors: tuple[str, ...] | None, repeats: int) -> tuple[list[float], list[float]]:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=Path, help="time this image (resized to each size) instead of a synthetic tile")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--mix", help="with --image: the colours to give, e.g. \"30% red, 70% blue\"")
    args = parser.parse_args(argv)
    source = None if args.image is None else as_rgb_array(Image.open(args.image))
    given_colors = None if args.mix is None else tuple(parse_mix(args.mix).shares)

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
