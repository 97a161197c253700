"""Benchmarks: cold start, the preview/analyzer/lock components, GPU sampling. Prints and writes BENCHMARKS.md.

    python scripts/bench/benchmark.py                  # every section (the GPU one records "no GPU" without CUDA)
    python scripts/bench/benchmark.py --cold-start     # only the sections named by flags
    python scripts/bench/benchmark.py --components --sizes 512 1024
    python scripts/bench/benchmark.py --gpu --gpu-repeats 10

Cold start uses the full-size SDXL 1.0 architecture with random weights, written once in fp16 to
--cache-dir (about 7 GB, plus a baked copy of the same size made by scripts/bake_weights.py), with a
full-size r=32 Eden-format LoRA and a two-row textual inversion. Each load runs in a fresh process,
after the same warm-up read of its files, in fp16 on the CPU. Sections not run this time keep their
earlier text in BENCHMARKS.md. No test asserts on these numbers. The work is in rubber_tile_dev/bench/.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from rubber_tile.sdxl.hub import switch_hub_offline
from rubber_tile_dev.bench.cold_start import run_cold_start
from rubber_tile_dev.bench.components import run_components
from rubber_tile_dev.bench.fresh_load import print_load_result
from rubber_tile_dev.bench.gpu import run_gpu
from rubber_tile_dev.bench.machine import describe_machine
from rubber_tile_dev.bench.report import BENCHMARK_SCRIPT, SECTION_KEYS, Section, Stamp, merge_report
from rubber_tile_dev.bench.sdxl_assets import DEFAULT_CACHE_DIR, LOAD_KINDS

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "BENCHMARKS.md"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold-start", action="store_true", help="bare from_pretrained vs runtime fuse vs baked (CPU)")
    parser.add_argument("--components", action="store_true", help="preview renderer, analyzer, colour lock")
    parser.add_argument("--gpu", action="store_true", help="20-step 1024 px images on CUDA, plain and compiled")
    parser.add_argument(
        "--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, help=f"random SDXL files (default {DEFAULT_CACHE_DIR})"
    )
    parser.add_argument("--repeats", type=int, default=3, help="cold-start loads of each kind (default 3)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048], help="component sizes in px")
    parser.add_argument("--component-repeats", type=int, default=3, help="timed calls per component and size (default 3)")
    parser.add_argument("--gpu-repeats", type=int, default=5, help="timed images per GPU variant (default 5)")
    parser.add_argument("--gpu-steps", type=int, default=20)
    parser.add_argument("--gpu-size", type=int, default=1024)
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile GPU variant")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the markdown file (default BENCHMARKS.md)")
    # One timed load, as the cold-start section runs it: `python -m rubber_tile_dev.bench.fresh_load --load-once KIND`.
    parser.add_argument("--load-once", choices=LOAD_KINDS, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_section(key: str, args: argparse.Namespace, stamp: Stamp) -> Section:
    if key == "cold-start":
        return run_cold_start(stamp, args.cache_dir, args.repeats)
    if key == "components":
        return run_components(stamp, args.sizes, args.component_repeats)
    return run_gpu(stamp, args.gpu_steps, args.gpu_size, args.gpu_repeats, not args.no_compile)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    switch_hub_offline()  # every file is local; before diffusers is imported
    if args.load_once:
        print_load_result(args.load_once, args.cache_dir)
        return 0
    chosen = [key for key in SECTION_KEYS if getattr(args, key.replace("-", "_"))] or list(SECTION_KEYS)
    shown_args = list(sys.argv[1:] if argv is None else argv)
    stamp = Stamp(
        command=shlex.join(["python", BENCHMARK_SCRIPT, *shown_args]),
        machine=describe_machine(),
        date=datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    )
    print(f"machine: {stamp.machine}", flush=True)
    sections = []
    for key in chosen:
        sections.append(run_section(key, args, stamp))
        print("\n" + sections[-1].body, flush=True)
    existing = args.out.read_text() if args.out.is_file() else ""
    args.out.write_text(merge_report(existing, sections))
    print(f"wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
