"""The GPU section: seconds per image and peak memory of the full-size SDXL, plain and with torch.compile.

Random fp16 weights are built on the GPU (no disk); the sampler and the TI tokens are set as in
production, and every image goes through SdxlBackend without the colour lock (CPU work, timed
with the components). Without CUDA the section says so.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rubber_tile.sdxl.hub import switch_hub_offline

from .report import BENCHMARK_SCRIPT, GIB, Section, Stamp, markdown_table, seconds_list
from .sdxl_assets import build_component, padded_clip_tokenizer, random_ti_rows, sdxl_scheduler

BENCH_MIX = "50% red, 30% black, 20% pearl"
GPU_TARGET_SECONDS = 0.8  # per image, H100, 20 steps at 1024x1024
GPU_TARGET_PEAK_GB = 10.0
COMPILED_LABEL = "torch.compile"


@dataclass(frozen=True)
class Timing:
    """Repeated wall-clock measurements of one thing."""

    label: str
    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass(frozen=True)
class GpuResult:
    label: str
    warmup_s: tuple[float, ...]
    timing: Timing
    peak_gib: float
    reserved_gib: float


def build_gpu_pipeline(device: Any, dtype: Any):
    """The full-size SDXL with random weights made on the GPU (no disk), sampler and TI tokens as in production."""
    switch_hub_offline()  # before diffusers is imported
    from diffusers import StableDiffusionXLPipeline
    from safetensors.torch import save_file

    from rubber_tile.sdxl.pipeline import configure_sampler
    from rubber_tile.sdxl.textual_inversion import load_textual_inversion

    names = ("unet", "vae", "text_encoder", "text_encoder_2")
    components = {name: build_component(name, device, dtype, fp16_fix_vae=True) for name in names}
    pipe = StableDiffusionXLPipeline(
        **components, tokenizer=padded_clip_tokenizer(), tokenizer_2=padded_clip_tokenizer(), scheduler=sdxl_scheduler()
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "embeddings.safetensors"
        save_file(random_ti_rows(), path)
        tokens = load_textual_inversion(pipe, path)
    configure_sampler(pipe)
    pipe.set_progress_bar_config(disable=True)
    return pipe, tokens


def time_generation(pipe: Any, tokens: tuple[str, ...], label: str, steps: int, size: int, warmups: int, repeats: int) -> GpuResult:
    """Images through SdxlBackend (a fresh one each time, so the prompt is encoded every time), no colour lock."""
    import torch

    from rubber_tile.mix import parse_mix
    from rubber_tile.prompt import DEFAULT_NEGATIVE_PROMPT
    from rubber_tile.request import DEFAULT_GUIDANCE, TileRequest
    from rubber_tile.sdxl.backend import SdxlBackend
    from rubber_tile.sdxl.pipeline import MODEL_NAME

    def one_image(seed: int) -> float:
        request = TileRequest(
            prompt=BENCH_MIX,
            mix=parse_mix(BENCH_MIX),
            negative_prompt=DEFAULT_NEGATIVE_PROMPT,
            seed=seed,
            num_inference_steps=steps,
            guidance_scale=DEFAULT_GUIDANCE,
            width=size,
            height=size,
            color_lock=False,  # the colour lock is CPU work, timed with the components
        )
        torch.cuda.synchronize()
        start = time.perf_counter()
        SdxlBackend(pipe, tokens, MODEL_NAME).top_view(request)
        torch.cuda.synchronize()
        return time.perf_counter() - start

    warmup = tuple(one_image(seed) for seed in range(warmups))
    torch.cuda.reset_peak_memory_stats()
    seconds = tuple(one_image(100 + seed) for seed in range(repeats))
    result = GpuResult(
        label=label,
        warmup_s=warmup,
        timing=Timing(label, seconds),
        peak_gib=torch.cuda.max_memory_allocated() / GIB,
        reserved_gib=torch.cuda.max_memory_reserved() / GIB,
    )
    print(
        f"gpu {label}: {result.timing.median:.3f} s per image (runs {seconds_list(seconds)}), peak allocated "
        f"{result.peak_gib:.2f} GiB, warm-up {seconds_list(warmup)} s",
        flush=True,
    )
    return result


def _row(result: GpuResult) -> list[str]:
    peak_gb = result.peak_gib * GIB / 1e9
    return [
        result.label,
        f"{result.timing.median:.3f}",
        seconds_list(result.timing.seconds),
        seconds_list(result.warmup_s),
        f"{peak_gb:.2f}",
        f"{result.reserved_gib * GIB / 1e9:.2f}",
        "met" if result.timing.median <= GPU_TARGET_SECONDS else "MISSED",
        "met" if peak_gb <= GPU_TARGET_PEAK_GB else "MISSED",
    ]


def gpu_markdown(
    stamp: Stamp, results: Sequence[GpuResult], steps: int, size: int, device_name: str, compile_error: str = ""
) -> str:
    header = ["UNet", "s per image (median)", "runs s", "warm-up s", "peak allocated GB", "peak reserved GB"]
    header += [f"<= {GPU_TARGET_SECONDS} s", f"<= {GPU_TARGET_PEAK_GB:g} GB"]
    target_note = "" if "H100" in device_name else " The targets are for an H100; this GPU is not one."
    compile_note = (
        " `torch.compile`: `pipe.unet = torch.compile(pipe.unet)` as with TILE_TORCH_COMPILE=1; its first warm-up "
        "includes compiling."
        if any(result.label == COMPILED_LABEL for result in results)
        else ""
    )
    if compile_error:
        compile_note += f" `torch.compile` failed, so there is no compiled row: {compile_error}"
    return "\n".join(
        [
            f"## GPU: {steps} steps at {size}x{size}, full-size SDXL architecture in fp16\n",
            stamp.markdown(),
            markdown_table(header, [_row(result) for result in results]),
            f"{device_name}. Random fp16 weights built on the GPU; DPM++ 2M Karras through `SdxlBackend` "
            f"(prompt encoded each time, guidance on, VAE decode and PNG-ready image included), two TI tokens, fp16 VAE "
            f"without upcast as with the fp16-fix VAE. Peak memory is `torch.cuda.max_memory_allocated` over the timed "
            f"runs, weights included.{compile_note}{target_note}\n",
        ]
    )


def no_gpu_markdown(stamp: Stamp) -> str:
    return "\n".join(
        [
            "## GPU: 20 steps at 1024x1024, full-size SDXL architecture in fp16\n",
            stamp.markdown(),
            "no GPU: `torch.cuda.is_available()` is False on this machine, so nothing was measured. "
            f"On a CUDA machine, `python {BENCHMARK_SCRIPT} --gpu` measures seconds per image and peak GPU memory, "
            f"plain and with `torch.compile(pipe.unet)`; targets on an H100: <= {GPU_TARGET_SECONDS} s per image, "
            f"peak <= {GPU_TARGET_PEAK_GB:g} GB.\n",
        ]
    )


def run_gpu(stamp: Stamp, steps: int, size: int, repeats: int, compile_unet: bool) -> Section:
    import torch

    if not torch.cuda.is_available():
        print("gpu: no GPU (torch.cuda.is_available() is False); nothing measured", flush=True)
        return Section("gpu", no_gpu_markdown(stamp))
    device = torch.device("cuda")
    pipe, tokens = build_gpu_pipeline(device, torch.float16)
    results = [time_generation(pipe, tokens, "plain", steps, size, warmups=1, repeats=repeats)]
    compile_error = ""
    if compile_unet:
        pipe.unet = torch.compile(pipe.unet)
        try:
            results.append(time_generation(pipe, tokens, COMPILED_LABEL, steps, size, warmups=2, repeats=repeats))
        except Exception as error:  # reported in BENCHMARKS.md and on stderr; the plain numbers still count
            traceback.print_exc()
            compile_error = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    device_name = torch.cuda.get_device_name(device)
    return Section("gpu", gpu_markdown(stamp, results, steps, size, device_name, compile_error))
