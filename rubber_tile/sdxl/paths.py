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
# After a bake, the files it was made from move here: .dockerignore leaves this folder out of the image.
UNBAKED_DIR_NAME = "unbaked"
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


def _source(model_dir: Path, name: str) -> Path:
    """model_files/<name>, or model_files/unbaked/<name> where only that exists (a re-bake reads it there)."""
    here, moved = model_dir / name, model_dir / UNBAKED_DIR_NAME / name
    return moved if moved.exists() and not here.exists() else here


def model_folder(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get("TILE_MODEL_DIR", str(DEFAULT_MODEL_DIR)))


def baked_folder(env: Mapping[str, str] = os.environ) -> Path:
    """Where setup() looks for a baked pipeline (and where scripts/bake_weights.py writes one)."""
    return Path(env.get("TILE_BAKED", str(model_folder(env) / BAKED_DIR_NAME)))


# Settings of the unbaked files: a baked folder makes setup() ignore them (it was fused from other ones).
UNBAKED_SETTINGS = (
    "TILE_BASE_MODEL",
    "TILE_BASE_CONFIG",
    "TILE_LORA",
    "TILE_LORA_SCALE",
    "TILE_EMBEDDINGS",
    "TILE_VAE",
)


def settings_a_bake_ignores(env: Mapping[str, str], weights: SdxlWeights) -> list[str]:
    """The TILE_* variables set in `env` that setup() does not use because it reads the baked folder."""
    return [name for name in UNBAKED_SETTINGS if name in env] if weights.baked is not None else []


def weights_from_env(env: Mapping[str, str] = os.environ) -> SdxlWeights:
    """Paths from TILE_* variables, defaulting to files under model_files/ (or TILE_MODEL_DIR)."""
    model_dir = model_folder(env)
    vae_default = _source(model_dir, FP16_VAE_DIR_NAME)
    vae = env.get("TILE_VAE") or (str(vae_default) if vae_default.is_dir() else "")
    base_config = env.get("TILE_BASE_CONFIG", "")
    scale_text = env.get("TILE_LORA_SCALE", str(DEFAULT_LORA_SCALE))
    try:
        lora_scale = float(scale_text)
    except ValueError as error:
        raise WeightsError(f"TILE_LORA_SCALE={scale_text!r} is not a number; use e.g. 0.7") from error
    baked = baked_folder(env)
    if "TILE_BAKED" in env and not (baked / BAKE_RECORD_NAME).is_file():
        raise WeightsError(
            f"TILE_BAKED={env['TILE_BAKED']} has no {BAKE_RECORD_NAME}: it is not a folder scripts/bake_weights.py "
            "wrote. Bake into it, or unset TILE_BAKED to load the unbaked weights"
        )
    return SdxlWeights(
        baked=baked if (baked / BAKE_RECORD_NAME).is_file() else None,
        base=Path(env.get("TILE_BASE_MODEL", str(_source(model_dir, BASE_DIR_NAME)))),
        lora=Path(env.get("TILE_LORA", str(_source(model_dir, LORA_FILE_NAME)))),
        embeddings=Path(env.get("TILE_EMBEDDINGS", str(_source(model_dir, EMBEDDINGS_FILE_NAME)))),
        lora_scale=lora_scale,
        base_config=Path(base_config) if base_config else None,
        vae=Path(vae) if vae else None,
    )


def shown_path(path: Path) -> str:
    """A path as image metadata may show it: relative to the project where it lies inside it, else its
    last two parts. Metadata leaves the server; its absolute paths must not."""
    try:
        return str(path.resolve().relative_to(PROJECT_DIR))
    except ValueError:
        return str(Path(*path.parts[-2:])) if len(path.parts) > 1 else str(path)


def files_setup_reads(weights: SdxlWeights) -> list[Path]:
    """Every file setup() loads: the baked folder alone, or the base, VAE, LoRA and textual inversion."""
    if weights.baked is not None:
        return _files_under(weights.baked)
    paths = [weights.base, weights.vae, weights.lora, weights.embeddings, weights.base_config]
    return [file for path in paths if path is not None for file in _files_under(path)]


def _files_under(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(file for file in path.rglob("*") if file.is_file() and ".cache" not in file.parts)
    return [path]


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
        """The record, or WeightsError when it is not one scripts/bake_weights.py wrote."""
        try:
            fields = json.loads(path.read_text())
            return cls(**(fields | {"tokens": tuple(fields["tokens"])}))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise WeightsError(
                f"{path} is not a bake record ({type(error).__name__}: {error}); run scripts/bake_weights.py again"
            ) from error
