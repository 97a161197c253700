"""Time the proportion lock at 512, 1024 and 2048 px (prints numbers; not a test).

    python scripts/bench_color_lock.py [--repeats 7] [--data ../shared/data] [--all-outputs]

Images: the owner's real 60% red / 40% white model output (it came out about 99% red, so the
lock moves 40% of the area, its heaviest case), resized, where the owner's data is present; and
always a procedural preview tile (preview_renderer) drawn 85% red / 15% white and locked to
60 / 40. Prints the median wall time and the median CPU time of this process (the machine is
shared; CPU time is what the lock itself costs on one core). --all-outputs also times every
scorable model output of the manifest at 1024 px (best of 2 runs each) and prints the spread.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from color_lock import match_colors  # noqa: E402
from preview_renderer import render_tile  # noqa: E402
from prompt_builder import MixError, parse_mix  # noqa: E402

DEFAULT_DATA_DIR = PROJECT_DIR.parent / "shared" / "data"
REAL_OUTPUT = "model_outputs/20250902_144027_60pct_red_40pct_white_final_89fdd926.jpg"
MIX = {"red": 60.0, "white": 40.0}
SIDES = (512, 1024, 2048)


def time_lock(image: np.ndarray, repeats: int) -> tuple[float, float, bool]:
    """Median wall ms, median CPU ms, and whether the mix was matched."""
    result = match_colors(image, MIX)  # warm-up: palette, analyzer tables
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        match_colors(image, MIX)
        walls.append(1000 * (time.perf_counter() - wall))
        cpus.append(1000 * (time.process_time() - cpu))
    return statistics.median(walls), statistics.median(cpus), result.matched


def time_all_outputs(data_dir: Path, side: int) -> None:
    """CPU ms of the lock on every model output with a complete, parseable label, resized to `side`."""
    cpu_ms = []
    with (data_dir / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["file"].startswith("model_outputs/")]
    for row in rows:
        if row["complete"].strip().lower() != "yes":
            continue
        try:
            mix = parse_mix(row["mix"]).normalized_shares()
        except MixError:
            continue
        image = np.asarray(Image.open(data_dir / row["file"]).convert("RGB").resize((side, side), Image.LANCZOS))
        runs = []
        for _ in range(2):
            cpu = time.process_time()
            match_colors(image, mix)
            runs.append(1000 * (time.process_time() - cpu))
        cpu_ms.append(min(runs))
    cpu_ms.sort()
    print(
        f"all {len(cpu_ms)} outputs at {side} px, CPU ms: median {statistics.median(cpu_ms):.0f}, "
        f"90th percentile {cpu_ms[int(0.9 * (len(cpu_ms) - 1))]:.0f}, max {cpu_ms[-1]:.0f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per size (median reported)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, help="folder holding model_outputs/")
    parser.add_argument("--all-outputs", action="store_true", help="also time every model output at 1024 px")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        print("error: --repeats must be at least 1", file=sys.stderr)
        return 2
    sources: list[tuple[str, Callable[[int], np.ndarray]]] = []
    real = args.data / REAL_OUTPUT
    if real.is_file():
        original = Image.open(real).convert("RGB")
        sources.append(("real output", lambda side: np.asarray(original.resize((side, side), Image.LANCZOS))))
    else:
        print(f"note: {real} not found; timing the preview tile only", file=sys.stderr)
    sources.append(("preview tile", lambda side: np.asarray(render_tile({"red": 85.0, "white": 15.0}, size=side, seed=1))))
    print(f"{'image':<14}{'side':>6}{'wall ms':>10}{'cpu ms':>9}  matched")
    for label, make in sources:
        for side in SIDES:
            wall, cpu, matched = time_lock(make(side), args.repeats)
            print(f"{label:<14}{side:>6}{wall:>10.0f}{cpu:>9.0f}  {'yes' if matched else 'no'}")
    if args.all_outputs:
        if not (args.data / "manifest.csv").is_file():
            print(f"error: --all-outputs needs the owner's data; no manifest in {args.data}", file=sys.stderr)
            return 2
        time_all_outputs(args.data, 1024)
    return 0


if __name__ == "__main__":
    sys.exit(main())
