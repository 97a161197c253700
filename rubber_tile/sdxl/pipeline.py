"""Assembling the SDXL rubber-tile pipeline: base model, fused LoRA, textual inversion, sampler.

Everything is read from local files. Import this module only after `hub.switch_hub_offline()`
(the backend and the bake do): diffusers reads the hub's offline switch once, at import.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import AutoencoderKL, DPMSolverMultistepScheduler, StableDiffusionXLPipeline

from .lora import fuse_lora_file
from .paths import BAKE_RECORD_NAME, BakeRecord, SdxlWeights
from .textual_inversion import load_textual_inversion
from .weight_files import (
    BAKED_FIX,
    BASE_MODEL_FIX,
    FETCH_HINT,
    WeightsError,
    check_model_folder,
    check_pipeline_folder,
    check_safetensors_file,
)

log = logging.getLogger(__name__)

MODEL_NAME = "rubber-tile-lora-v45"
VAE_TILE_PX = 1024


@dataclass(frozen=True)
class LoadReport:
    base: str
    lora_modules: int
    tokens: tuple[str, ...]
    dtype: str
    device: str
    seconds: float

    def summary(self) -> str:
        lora = f"{self.lora_modules} LoRA modules fused" if self.lora_modules else "no LoRA"
        tokens = "".join(self.tokens) or "no textual inversion"
        return f"loaded SDXL {self.base}: {lora}, tokens {tokens}, {self.dtype} on {self.device}, {self.seconds:.1f} s"


def choose_device() -> tuple[torch.device, torch.dtype]:
    """fp16 on the CUDA GPU with the most memory, fp32 on the CPU."""
    if torch.cuda.is_available():
        index = max(range(torch.cuda.device_count()), key=lambda i: torch.cuda.get_device_properties(i).total_memory)
        return torch.device("cuda", index), torch.float16
    return torch.device("cpu"), torch.float32


def load_base_pipeline(weights: SdxlWeights, dtype: torch.dtype) -> StableDiffusionXLPipeline:
    """The SDXL base from a diffusers folder or a single original-format checkpoint, local files only."""
    base = weights.base
    if base.is_dir():
        variant = check_pipeline_folder(base, "the SDXL base model", BASE_MODEL_FIX)
        return StableDiffusionXLPipeline.from_pretrained(
            base, dtype=dtype, variant=variant, use_safetensors=True, local_files_only=True
        )
    check_safetensors_file(base, "the SDXL base model", BASE_MODEL_FIX)
    config = weights.base_config
    if config is None or not (config / "model_index.json").is_file():
        raise WeightsError(
            f"the single-file SDXL checkpoint {base} needs the SDXL configs and tokenizers in a local diffusers "
            f"folder (TILE_BASE_CONFIG, now {config}); `python scripts/download_weights.py --configs-only` fetches them"
        )
    pipe = StableDiffusionXLPipeline.from_single_file(
        base, config=str(config), torch_dtype=dtype, local_files_only=True
    )
    # diffusers leaves a weight the file lacks on the meta device, without an error.
    absent = [
        f"{component}.{name}"
        for component in ("unet", "vae", "text_encoder", "text_encoder_2")
        for name, tensor in getattr(pipe, component).state_dict().items()
        if tensor.is_meta
    ]
    if absent:
        raise WeightsError(
            f"the SDXL checkpoint {base} has no weights for {len(absent)} tensors (e.g. {', '.join(absent[:3])}): "
            "it is not a complete SDXL checkpoint, or not one for SDXL. Use the full checkpoint the LoRA was trained on"
        )
    return pipe


def configure_sampler(pipe: StableDiffusionXLPipeline) -> None:
    """DPM++ 2M Karras (final sigma zero, so no leftover noise), VAE slicing and tiling."""
    pipe.scheduler = DPMSolverMultistepScheduler.from_config(
        pipe.scheduler.config, algorithm_type="dpmsolver++", use_karras_sigmas=True, final_sigmas_type="zero"
    )
    pipe.vae.enable_slicing()
    pipe.vae.enable_tiling()
    # Tiles only above SDXL's native size, whatever `sample_size` the VAE's config gives (a VAE saying 512
    # would decode every 1024 px image as 9 overlapping tiles: more work, and seams in a uniform texture).
    pipe.vae.tile_sample_min_size = VAE_TILE_PX
    pipe.vae.tile_latent_min_size = VAE_TILE_PX // pipe.vae_scale_factor


def load_fp16_fix_vae(path: Path, dtype: torch.dtype) -> AutoencoderKL:
    check_model_folder(path, "the fp16-fix VAE", FETCH_HINT.format(env="TILE_VAE"))
    return AutoencoderKL.from_pretrained(path, dtype=dtype, use_safetensors=True, local_files_only=True)


def load_baked_pipeline(folder: Path, dtype: torch.dtype) -> tuple[StableDiffusionXLPipeline, BakeRecord]:
    """A folder written by scripts/bake_weights.py: LoRA fused, tokens added, one load."""
    record = BakeRecord.read(folder / BAKE_RECORD_NAME)
    variant = check_pipeline_folder(folder, "the baked pipeline", BAKED_FIX)
    pipe = StableDiffusionXLPipeline.from_pretrained(
        folder, dtype=dtype, variant=variant, use_safetensors=True, local_files_only=True
    )
    for tokenizer in (pipe.tokenizer, pipe.tokenizer_2):
        # The tokens were added by load_textual_inversion; the added vocabulary is small, the full one 49k entries.
        added = tokenizer.get_added_vocab()
        missing = [token for token in record.tokens if token not in added]
        if missing:
            raise WeightsError(
                f"the baked pipeline {folder} lacks the tokens {missing}; run scripts/bake_weights.py again"
            )
    return pipe, record


def _move_to(pipe: StableDiffusionXLPipeline, device: torch.device) -> None:
    if pipe.device != device:  # loaded on the CPU: on a CPU-only machine .to() would only walk every module
        pipe.to(device)


def assemble_pipeline(
    weights: SdxlWeights, device: torch.device, dtype: torch.dtype
) -> tuple[StableDiffusionXLPipeline, LoadReport]:
    """Baked folder, or base -> (fp16-fix VAE); on `device`; then fused LoRA -> textual inversion; then the sampler."""
    start = time.perf_counter()
    if weights.baked is not None:
        pipe, record = load_baked_pipeline(weights.baked, dtype)
        _move_to(pipe, device)
        base, lora_modules, tokens = f"{weights.baked} (baked from {record.base})", record.lora_modules, record.tokens
    else:
        pipe = load_base_pipeline(weights, dtype)
        if weights.vae is not None:
            pipe.vae = load_fp16_fix_vae(weights.vae, dtype)
        # On a GPU, fuse there: the move reads every weight once anyway, and the LoRA matmuls take
        # milliseconds instead of seconds of fp16 arithmetic on the CPU.
        _move_to(pipe, device)
        lora_modules = fuse_lora_file(pipe, weights.lora, weights.lora_scale) if weights.lora is not None else 0
        tokens = load_textual_inversion(pipe, weights.embeddings) if weights.embeddings is not None else ()
        base = str(weights.base)
    configure_sampler(pipe)
    pipe.set_progress_bar_config(disable=True)
    report = LoadReport(
        base=base,
        lora_modules=lora_modules,
        tokens=tokens,
        dtype=str(dtype).removeprefix("torch."),
        device=str(device),
        seconds=time.perf_counter() - start,
    )
    log.info(report.summary())
    return pipe, report
