"""The cold-start section: bare `from_pretrained` against `assemble_pipeline` (runtime fuse, baked folder).

Each load runs in a fresh process (fresh_load.py), after the same warm-up read of its files, in fp16
on the CPU, on the full-size random SDXL of sdxl_assets.py; the order of the kinds rotates.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .fresh_load import LOAD_RESULT_PREFIX
from .phases import Phase, phase_table, summarize_phases
from .processes import checked, run_child
from .report import GIB, Section, Stamp, markdown_table, seconds_list
from .sdxl_assets import LOAD_KINDS, LORA_RANK, TI_ROWS, BenchAssets, ensure_assets, gib

LOAD_LABELS = {
    "bare": "bare `StableDiffusionXLPipeline.from_pretrained`",
    "runtime": "`assemble_pipeline`, runtime LoRA fuse + TI",
    "baked": "`assemble_pipeline`, baked folder",
}
LOAD_TARGETS = {"runtime": 1.15, "baked": 1.05}  # load time / bare load time
DROP_CACHES = Path("/proc/sys/vm/drop_caches")


@dataclass(frozen=True)
class LoadRun:
    kind: str
    load_s: float  # inside the fresh process: from the load call to a ready pipeline
    load_cpu_s: float  # CPU time of the load call, all threads; less sensitive than wall time to other processes
    read_s: float  # after the load: reading every weight once, as the first image (or pipe.to("cuda")) would
    process_s: float  # the whole process: interpreter start, imports, load, reading, exit
    peak_rss_gib: float
    load_average: float  # the machine's 1-minute load average just before the process started
    phases: tuple[Phase, ...]


@dataclass(frozen=True)
class WarmRead:
    kind: str
    gib: float
    seconds: float


def drop_page_cache() -> bool:
    """Empty the kernel's page cache (root only), so that every warm-up read fills it the same way.

    Files just written sit in the cache differently from files read back: on this machine mapped loads of a
    freshly baked folder read 10-25% slower than the same load of the older base folder until the cache was dropped.
    """
    try:
        os.sync()
        DROP_CACHES.write_text("3\n")
    except OSError:
        return False
    return True


def warm_page_cache(kind: str, paths: Sequence[Path]) -> WarmRead:
    """Read every file once so that all loads start from the same, warm, page cache."""
    buffer = bytearray(64 * 1024 * 1024)
    view = memoryview(buffer)
    start = time.perf_counter()
    total = 0
    for path in paths:
        with path.open("rb", buffering=0) as handle:
            while read := handle.readinto(view):
                total += read
    return WarmRead(kind, total / GIB, time.perf_counter() - start)


def timed_load_in_fresh_process(kind: str, cache_dir: Path) -> LoadRun:
    command = [sys.executable, "-m", "rubber_tile_dev.bench.fresh_load", "--load-once", kind, "--cache-dir", str(cache_dir)]
    load_average = os.getloadavg()[0]
    run = checked(run_child(command), f"the {kind} load")
    lines = [line for line in run.stdout.splitlines() if line.startswith(LOAD_RESULT_PREFIX)]
    if len(lines) != 1:
        raise RuntimeError(f"the {kind} load printed {len(lines)} result lines; output:\n{run.stdout[-2000:]}")
    result = json.loads(lines[0].removeprefix(LOAD_RESULT_PREFIX))
    phases = tuple(Phase(label, depth, seconds) for label, depth, seconds in result["phases"])
    return LoadRun(
        kind, result["load_s"], result["load_cpu_s"], result["read_s"], run.seconds, run.peak_rss_gib, load_average, phases
    )


def measure_cold_start(
    cache_dir: Path, repeats: int
) -> tuple[list[LoadRun], list[WarmRead], BenchAssets, tuple[str, ...]]:
    assets, notes = ensure_assets(cache_dir)
    runs: list[LoadRun] = []
    reads: list[WarmRead] = []
    dropped: list[bool] = []
    for repeat in range(repeats):
        shift = repeat % len(LOAD_KINDS)  # rotate the order so that no kind always comes first
        for kind in LOAD_KINDS[shift:] + LOAD_KINDS[:shift]:
            dropped.append(drop_page_cache())
            reads.append(warm_page_cache(kind, assets.files(kind)))
            run = timed_load_in_fresh_process(kind, cache_dir)
            runs.append(run)
            print(
                f"cold start {repeat + 1}/{repeats} {kind:>7}: load {run.load_s:6.2f} s (CPU {run.load_cpu_s:6.2f} s), "
                f"then reading every weight {run.read_s:5.2f} s, "
                f"process {run.process_s:6.2f} s, load average {run.load_average:.1f}, peak RSS {run.peak_rss_gib:.1f} GiB "
                f"(warm-up read {reads[-1].gib:.1f} GiB in {reads[-1].seconds:.1f} s)",
                flush=True,
            )
    cache_note = (
        "the page cache was dropped before every warm-up read"
        if all(dropped)
        else "the page cache could not be dropped (needs root), so files keep the cache state they were left in"
    )
    return runs, reads, assets, (*notes, cache_note)


def _median(runs: Sequence[LoadRun], field: str) -> float:
    return statistics.median(getattr(run, field) for run in runs)


def _median_ready(runs: Sequence[LoadRun]) -> float:
    return statistics.median(run.load_s + run.read_s for run in runs)


def untimed_seconds(runs: Sequence[LoadRun]) -> float:
    """Median over loads of the load time outside the timed top-level calls."""
    return statistics.median(run.load_s - sum(p.seconds for p in run.phases if p.depth == 0) for run in runs)


def target_table(by_kind: dict[str, list[LoadRun]]) -> str:
    """Load time per kind against the bare load, and the targets."""
    rows = []
    for kind, runs in by_kind.items():
        ratio = _median(runs, "load_s") / _median(by_kind["bare"], "load_s")
        target = LOAD_TARGETS.get(kind)
        rows.append(
            [
                LOAD_LABELS[kind],
                f"{_median(runs, 'load_s'):.2f}",
                seconds_list([run.load_s for run in runs]),
                f"{_median(runs, 'load_cpu_s'):.2f}",
                f"{_median(runs, 'load_average'):.1f}",
                f"{ratio:.2f}x",
                f"<= {target:.2f}x" if target else "-",
                ("met" if ratio <= target else "MISSED") if target else "-",
            ]
        )
    header = ["Load (fp16, CPU, fresh process)", "load s", "runs s", "load CPU s", "load avg", "vs bare"]
    return markdown_table(header + ["target", "result"], rows)


def context_table(by_kind: dict[str, list[LoadRun]], sizes_gib: dict[str, float]) -> str:
    """File sizes, reading the weights after the load, the whole process, peak memory."""
    bare = by_kind["bare"]
    rows = [
        [
            LOAD_LABELS[kind],
            f"{sizes_gib[kind]:.2f}",
            f"{_median(runs, 'read_s'):.2f}",
            f"{_median_ready(runs):.2f}",
            f"{_median_ready(runs) / _median_ready(bare):.2f}x",
            f"{_median(runs, 'process_s'):.2f}",
            f"{_median(runs, 'process_s') / _median(bare, 'process_s'):.2f}x",
            f"{max(run.peak_rss_gib for run in runs):.1f}",
        ]
        for kind, runs in by_kind.items()
    ]
    header = ["Load", "files GiB", "then read every weight s", "load + read s", "vs bare", "process s"]
    return markdown_table(header + ["vs bare", "peak RSS GiB"], rows)


def cold_start_markdown(
    stamp: Stamp, runs: Sequence[LoadRun], reads: Sequence[WarmRead], sizes_gib: dict[str, float], notes: Sequence[str]
) -> str:
    by_kind = {kind: [run for run in runs if run.kind == kind] for kind in LOAD_KINDS}
    count = len(by_kind["bare"])
    text = [
        "## Cold start: full-size SDXL architecture, random fp16 weights, on the CPU\n",
        stamp.markdown(),
        target_table(by_kind),
        f"`load s`: wall time inside a fresh process from the load call to a ready pipeline (the imports, the same for "
        f"all three, come before it), median of {count} runs; the targets are judged on it. `load CPU s`: "
        f"CPU time of that call over all threads. `load avg`: the machine's 1-minute load average as each process "
        f"started; other people's jobs share these 2 cores, so wall times carry their noise and CPU times are the "
        f"steadier figure.\n",
        context_table(by_kind, sizes_gib),
        "`from_pretrained` maps the safetensors files lazily: a fresh bare or baked load has read almost none of the "
        "weights, and the first image (or the move to the GPU) pays for that. `then read every weight s` touches every "
        "page of every weight once after the load; `load + read s` is the sum, per run. The runtime path has already "
        "written the 1.08 B weights it fused, so it reads less afterwards. `process s`: the whole process, interpreter "
        "start, imports, load and read. Peak RSS is after the read (file pages included).\n",
        f"Every load ran {count} times, the order rotated, each after a warm-up read of its own files "
        f"({warm_read_summary(reads)}). Files: {'; '.join(notes)}. The LoRA is r={LORA_RANK} Eden/kohya format "
        f"(rubber_tile_dev/synthetic/lora_files.py), fused at 0.7; the textual inversion has {TI_ROWS} bf16 rows per "
        f"encoder; the tokenizers have the real 49408-token vocabulary size.\n",
    ]
    for kind in ("runtime", "baked"):
        text.append(
            f"\nWhere the {kind} load's time goes (median per load; nested calls indented, included in their parent):\n\n"
        )
        summary = summarize_phases([run.phases for run in by_kind[kind]])
        text.append(phase_table(summary, _median(by_kind[kind], "load_s"), untimed_seconds(by_kind[kind])))
    return "\n".join(text)


def warm_read_summary(reads: Sequence[WarmRead]) -> str:
    rates = [read.gib / read.seconds for read in reads if read.seconds > 0]
    return f"{min(rates):.1f} to {max(rates):.1f} GiB/s" if rates else "no reads"


def run_cold_start(stamp: Stamp, cache_dir: Path, repeats: int) -> Section:
    runs, reads, assets, notes = measure_cold_start(cache_dir, repeats)
    sizes = {kind: gib(assets.files(kind)) for kind in LOAD_KINDS}
    return Section("cold-start", cold_start_markdown(stamp, runs, reads, sizes, notes))
