"""The components section: the preview renderer, the analyzer and the colour lock at several sizes.

Each is timed by the helper and on the input of its own benchmark script (scripts/bench/bench_*.py,
whose timing code is preview_timing.py, analyzer_timing.py and lock_timing.py), after an untimed
warm-up call, in wall and CPU seconds.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from ..evaluation.owner_data import DEFAULT_DATA_DIR
from . import analyzer_timing, lock_timing, preview_timing
from .report import Section, Stamp, markdown_table

TIMING_HELPERS = ("bench_preview.py", "bench_analyzer.py", "bench_color_lock.py")


@dataclass(frozen=True)
class SizeTiming:
    size: int
    wall_s: float  # median
    cpu_s: float  # median; what the call costs when other processes share the cores
    repeats: int
    note: str = ""


@dataclass(frozen=True)
class ComponentResult:
    name: str  # "preview renderer"
    function: str  # "rubber_tile.preview.render.render_tile"
    timed_by: str  # which timing helper, on which input
    timings: tuple[SizeTiming, ...]
    missing: str  # why it was not timed; empty when it was


def time_preview(sizes: Sequence[int], repeats: int) -> ComponentResult:
    timings = []
    for size in sizes:  # its own warm-up, a new seed per render, full_frame
        timing = preview_timing.time_size(size, repeats, "full_frame")
        timings.append(SizeTiming(size, timing.render_wall_ms / 1000, timing.render_cpu_ms / 1000, timing.repeats))
    mix = ", ".join(f"{share:g}% {color}" for color, share in preview_timing.BENCH_MIX.items())
    timed_by = f"`scripts/bench/bench_preview.py` `time_size`, {mix}, full frame"
    return ComponentResult("preview renderer", "rubber_tile.preview.render.render_tile", timed_by, tuple(timings), "")


def time_analyzer(sizes: Sequence[int], repeats: int) -> ComponentResult:
    from rubber_tile.analyzer import measure_shares

    colors = analyzer_timing.BENCH_COLORS
    timings = []
    for size in sizes:
        image = analyzer_timing.synthetic_tile(size)
        measure_shares(image, colors)  # warm-up: lookup tables, palette file
        walls_ms, cpus_ms = analyzer_timing.time_calls(image, colors, repeats)
        timings.append(SizeTiming(size, statistics.median(walls_ms) / 1000, statistics.median(cpus_ms) / 1000, repeats))
    timed_by = f"`scripts/bench/bench_analyzer.py` `time_calls` on its synthetic tile ({', '.join(colors)}, on a white border)"
    return ComponentResult("analyzer", "rubber_tile.analyzer.measure_shares", timed_by, tuple(timings), "")


def time_lock(sizes: Sequence[int], repeats: int) -> list[ComponentResult]:
    """The colour lock on bench_color_lock's images: a preview tile drawn 85/15 red/white, and the owner's
    60/40 output (it came out almost all red) where ../shared/data has it; both locked to 60/40."""
    name, function = "colour lock", "rubber_tile.lock.lock_colors"
    sources = {"preview tile drawn 85/15": lock_timing.preview_source()}
    real = lock_timing.real_output_source(DEFAULT_DATA_DIR)
    if real is not None:
        sources["owner's 60/40 output, resized"] = real
    mix = lock_timing.MIX
    locked_to = f"{'/'.join(f'{share:g}' for share in mix.values())} {'/'.join(mix)}"
    results = []
    for label, make in sources.items():
        timings = []
        for size in sizes:
            wall_ms, cpu_ms, matched = lock_timing.time_lock(make(size), repeats)
            timings.append(SizeTiming(size, wall_ms / 1000, cpu_ms / 1000, repeats, "" if matched else "not matched"))
        timed_by = f"`scripts/bench/bench_color_lock.py` `time_lock`, {label}, locked to {locked_to}"
        results.append(ComponentResult(f"{name} ({label})", function, timed_by, tuple(timings), ""))
    if real is None:
        absent = DEFAULT_DATA_DIR / lock_timing.REAL_OUTPUT
        results.append(ComponentResult(f"{name} (owner's output)", function, "", (), f"{absent} is not present"))
    return results


def measure_components(sizes: Sequence[int], repeats: int) -> list[ComponentResult]:
    results = [time_preview(sizes, repeats), time_analyzer(sizes, repeats), *time_lock(sizes, repeats)]
    for result in results:
        if result.missing:
            print(f"components: {result.name} not timed: {result.missing}", flush=True)
        for timing in result.timings:
            print(
                f"components: {result.name} {timing.size} px: {timing.wall_s:.3f} s wall, {timing.cpu_s:.3f} s CPU"
                f"{' (' + timing.note + ')' if timing.note else ''}",
                flush=True,
            )
    return results


def _row(result: ComponentResult, sizes: Sequence[int]) -> list[str]:
    if result.missing:
        return [result.name, f"`{result.function}`"] + ["-"] * len(sizes) + [f"not timed: {result.missing}"]
    cells = [f"{t.wall_s:.3f} ({t.cpu_s:.3f}){' ' + t.note if t.note else ''}" for t in result.timings]
    return [result.name, f"`{result.function}`"] + cells + [result.timed_by]


def components_markdown(stamp: Stamp, results: Sequence[ComponentResult], sizes: Sequence[int], repeats: int) -> str:
    header = ["component", "function"] + [f"{size} px s (CPU s)" for size in sizes] + ["timed by, input"]
    return "\n".join(
        [
            "## Components: preview renderer, analyzer, colour lock\n",
            stamp.markdown(),
            markdown_table(header, [_row(result, sizes) for result in results]),
            f"Median wall seconds of {repeats} calls per size after an untimed warm-up call, median CPU seconds of this "
            f"process in brackets (the figure to trust when the load average is above the core count). The timing "
            f"helpers and inputs are the other benchmark scripts' own: {', '.join(TIMING_HELPERS)} in scripts/bench/ "
            f"(their timing code in rubber_tile_dev/bench/).\n",
        ]
    )


def run_components(stamp: Stamp, sizes: Sequence[int], repeats: int) -> Section:
    results = measure_components(sizes, repeats)
    return Section("components", components_markdown(stamp, results, sizes, repeats))
