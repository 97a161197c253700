"""One timed SDXL load, run in a fresh process by the cold-start section; prints its result as one JSON line.

    python -m rubber_tile_dev.bench.fresh_load --load-once runtime --cache-dir ~/.cache/rubber-tile-bench
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rubber_tile.sdxl.hub import switch_hub_offline

from .phases import PhaseRecorder, install_phase_timers
from .sdxl_assets import DEFAULT_CACHE_DIR, LOAD_KINDS, BenchAssets

LOAD_RESULT_PREFIX = "BENCHMARK_LOAD_RESULT "
PAGE_BYTES = 4096


def read_every_weight(pipe: Any) -> None:
    """Touch every memory page of every weight once. from_pretrained maps the safetensors files lazily, so a
    fresh load has read almost nothing yet; the first image, or a move to the GPU, pays for that."""
    import torch

    for name in ("unet", "vae", "text_encoder", "text_encoder_2"):
        module = getattr(pipe, name)
        for tensor in [*module.parameters(), *module.buffers()]:
            flat = tensor.detach().reshape(-1)
            flat[:: max(1, PAGE_BYTES // flat.element_size())].to(torch.float32).sum()


def load_once(kind: str, assets: BenchAssets) -> dict[str, Any]:
    """One load of `kind`, in fp16 on the CPU, as it would start in a fresh process; imports done before timing."""
    switch_hub_offline()  # before diffusers is imported
    import torch
    from diffusers import StableDiffusionXLPipeline

    from rubber_tile.sdxl.paths import SdxlWeights
    from rubber_tile.sdxl.pipeline import assemble_pipeline

    recorder = PhaseRecorder()
    install_phase_timers(recorder)
    cpu, dtype = torch.device("cpu"), torch.float16
    start, cpu_start = time.perf_counter(), time.process_time()
    if kind == "bare":
        pipe = StableDiffusionXLPipeline.from_pretrained(
            assets.base, dtype=dtype, variant="fp16", use_safetensors=True, local_files_only=True
        )
    elif kind == "runtime":
        pipe, _ = assemble_pipeline(SdxlWeights(base=assets.base, lora=assets.lora, embeddings=assets.embeddings), cpu, dtype)
    elif kind == "baked":
        weights = SdxlWeights(base=assets.base, lora=None, embeddings=None, baked=assets.baked)
        pipe, _ = assemble_pipeline(weights, cpu, dtype)
    else:
        raise ValueError(f"unknown load kind {kind!r}; one of {LOAD_KINDS}")
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    if pipe.unet.dtype != dtype:
        raise RuntimeError(f"{kind} load gave a {pipe.unet.dtype} UNet, expected {dtype}")
    phases = [[phase.label, phase.depth, phase.seconds] for phase in recorder.phases()]
    read_start = time.perf_counter()
    read_every_weight(pipe)
    read_seconds = time.perf_counter() - read_start
    return {"kind": kind, "load_s": seconds, "load_cpu_s": cpu_seconds, "read_s": read_seconds, "phases": phases}


def print_load_result(kind: str, cache_dir: Path) -> None:
    """The line the parent process reads."""
    result = load_once(kind, BenchAssets.under(cache_dir))
    print(LOAD_RESULT_PREFIX + json.dumps(result), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--load-once", choices=LOAD_KINDS, required=True, help="the kind of load to time")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, help="the random SDXL files")
    args = parser.parse_args(argv)
    print_load_result(args.load_once, args.cache_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
