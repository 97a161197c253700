"""What scripts/download_weights.py fetches, and where it puts it (no network here: only the plan)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .paths import BASE_DIR_NAME, FP16_VAE_DIR_NAME

SDXL_REPO = "stabilityai/stable-diffusion-xl-base-1.0"
FP16_FIX_VAE_REPO = "madebyollin/sdxl-vae-fp16-fix"

CONFIG_PATTERNS = (
    "model_index.json",
    "scheduler/scheduler_config.json",
    "unet/config.json",
    "vae/config.json",
    "text_encoder/config.json",
    "text_encoder_2/config.json",
    "tokenizer/*",
    "tokenizer_2/*",
)
FP16_WEIGHT_PATTERNS = (
    "unet/diffusion_pytorch_model.fp16.safetensors",
    "vae/diffusion_pytorch_model.fp16.safetensors",
    "text_encoder/model.fp16.safetensors",
    "text_encoder_2/model.fp16.safetensors",
)


@dataclass(frozen=True)
class Download:
    repo_id: str
    local_dir: Path
    allow_patterns: tuple[str, ...]
    what: str


def download_plan(model_dir: Path, configs_only: bool = False) -> list[Download]:
    """Exactly which files go where: fp16 safetensors only (no .bin, no single-file duplicate, no ONNX)."""
    base_patterns = CONFIG_PATTERNS if configs_only else CONFIG_PATTERNS + FP16_WEIGHT_PATTERNS
    plan = [Download(SDXL_REPO, model_dir / BASE_DIR_NAME, base_patterns, "SDXL 1.0 base")]
    if not configs_only:
        plan.append(
            Download(
                FP16_FIX_VAE_REPO,
                model_dir / FP16_VAE_DIR_NAME,
                ("config.json", "diffusion_pytorch_model.safetensors"),
                "fp16-fix VAE",
            )
        )
    return plan
