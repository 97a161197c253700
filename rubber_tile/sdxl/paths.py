"""Where the model's files are: defaults under model_files/, overridden by TILE_* variables.

Kept free of torch and diffusers, so choosing the preview backend costs nothing to import.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from .weight_files import WeightsError

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_DIR = PROJECT_DIR / "model_files"
BASE_DIR_NAME = "sdxl-base"
LORA_FILE_NAME = "rubber-tile-lora-v4_sdxl_lora.safetensors"
EMBEDDINGS_FILE_NAME = "rubber-tile-lora-v4_sdxl_embeddings.safetensors"
FP16_VAE_DIR_NAME = "sdxl-vae-fp16-fix"
BAKED_DIR_NAME = "sdxl-baked"
BAKE_RECORD_NAME = "rubber_tile_bake.json"  # written by scripts/bake_weights.py, read by setup()
DEFAULT_LORA_SCALE = 0.7


@dataclass(frozen=True)
class SdxlWeights:
    """Where the model's files are. `base` is a diffusers folder or a single .safetensors checkpoint."""

    base: Path
    lora: Path | None
    embeddings: Path | None
    lora_scale: float = DEFAULT_LORA_SCALE
    base_config: Path | None = None  # diffusers folder with configs/tokenizers, for a single-file base
    vae: Path | None = None  # fp16-fix VAE folder; optional
    baked: Path | None = None  # a folder from scripts/bake_weights.py; preferred when present


def weights_from_env(env: Mapping[str, str] = os.environ) -> SdxlWeights:
    """Paths from TILE_* variables, defaulting to files under model_files/ (or TILE_MODEL_DIR)."""
    model_dir = Path(env.get("TILE_MODEL_DIR", str(DEFAULT_MODEL_DIR)))
    vae_default = model_dir / FP16_VAE_DIR_NAME
    vae = env.get("TILE_VAE") or (str(vae_default) if vae_default.is_dir() else "")
    base_config = env.get("TILE_BASE_CONFIG", "")
    scale_text = env.get("TILE_LORA_SCALE", str(DEFAULT_LORA_SCALE))
    try:
        lora_scale = float(scale_text)
    except ValueError as error:
        raise WeightsError(f"TILE_LORA_SCALE={scale_text!r} is not a number; use e.g. 0.7") from error
    baked = Path(env.get("TILE_BAKED", str(model_dir / BAKED_DIR_NAME)))
    return SdxlWeights(
        baked=baked if (baked / BAKE_RECORD_NAME).is_file() else None,
        base=Path(env.get("TILE_BASE_MODEL", str(model_dir / BASE_DIR_NAME))),
        lora=Path(env.get("TILE_LORA", str(model_dir / LORA_FILE_NAME))),
        embeddings=Path(env.get("TILE_EMBEDDINGS", str(model_dir / EMBEDDINGS_FILE_NAME))),
        lora_scale=lora_scale,
        base_config=Path(base_config) if base_config else None,
        vae=Path(vae) if vae else None,
    )


def missing_weights(weights: SdxlWeights) -> list[Path]:
    """Files the SDXL backend needs that are not there (an empty list means all present)."""
    if weights.baked is not None:
        return []
    paths = [weights.base, weights.lora, weights.embeddings]
    return [path for path in paths if path is not None and not path.exists()]


@dataclass(frozen=True)
class BakeRecord:
    """What a baked folder holds, so setup() can report it without redoing the work."""

    base: str
    lora: str
    lora_scale: float
    lora_modules: int
    tokens: tuple[str, ...]
    vae: str

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> BakeRecord:
        fields = json.loads(path.read_text())
        return cls(**(fields | {"tokens": tuple(fields["tokens"])}))
