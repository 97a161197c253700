"""Checks on weight files before anything loads them, each failing with the file and the fix.

Catches what deployments actually hit: a missing file, a Git LFS pointer committed instead of
the weights, a truncated download, and pickle files (refused, never unpickled).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
_LFS_POINTER_PREFIX = b"version https://git-lfs"
_MAX_HEADER_BYTES = 100_000_000


FETCH_HINT = "Run `python scripts/download_weights.py` on a machine with internet, or set {env}."
OWNER_FILE_HINT = "Copy the trained file from the training run into model_files/, or set {env} to its path."
BASE_MODEL_FIX = FETCH_HINT.format(env="TILE_BASE_MODEL to a diffusers folder or a single .safetensors checkpoint")
BAKED_FIX = "Run `python scripts/bake_weights.py` again."


class WeightsError(RuntimeError):
    """A weight file that cannot be used; the message names the file and the fix."""


def check_safetensors_file(path: Path, what: str, fix: str) -> None:
    """Fail unless `path` is a complete safetensors file.

    `what` names the file for people ("the LoRA"); `fix` says where to get a good copy.
    """
    if not path.exists():
        raise WeightsError(f"{what} not found at {path}. {fix}")
    if path.is_dir():
        raise WeightsError(f"{what} at {path} is a folder; expected a .safetensors file. {fix}")
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise WeightsError(
            f"{what} at {path} is a pickle file ({path.suffix}); only .safetensors weights are loaded, "
            f"because unpickling can run arbitrary code. Convert it to .safetensors or get that format. {fix}"
        )
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(8)
        if head.startswith(_LFS_POINTER_PREFIX[:8]) and (head + handle.read(64)).startswith(_LFS_POINTER_PREFIX):
            raise WeightsError(
                f"{what} at {path} is a Git LFS pointer ({size} bytes), not the weights: "
                f"run `git lfs pull` in the repository it came from, or download the file itself. {fix}"
            )
        if len(head) < 8:
            raise WeightsError(f"{what} at {path} is {size} bytes, too small to be a safetensors file. {fix}")
        (header_len,) = struct.unpack("<Q", head)
        if header_len > min(_MAX_HEADER_BYTES, size - 8):
            raise WeightsError(f"{what} at {path} is not a safetensors file (or is truncated in its header). {fix}")
        try:
            header = json.loads(handle.read(header_len))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise WeightsError(f"{what} at {path} has a damaged safetensors header ({error}). {fix}") from error
    data_end = max((entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"), default=0)
    data_size = size - 8 - header_len
    if data_size < data_end:
        raise WeightsError(
            f"{what} at {path} is truncated: it holds {data_size:,} bytes of tensors where its header "
            f"declares {data_end:,}. Download it again. {fix}"
        )


def check_diffusers_folder(folder: Path, what: str, fix: str, variant: str | None) -> None:
    """Fail unless every model component in a diffusers pipeline folder has complete safetensors weights."""
    if not (folder / "model_index.json").is_file():
        raise WeightsError(f"{what} at {folder} is not a diffusers pipeline folder (no model_index.json). {fix}")
    model_index = json.loads((folder / "model_index.json").read_text())
    for component, spec in model_index.items():
        if component.startswith("_") or not isinstance(spec, list) or spec[0] is None:
            continue
        component_dir = folder / component
        if not component_dir.is_dir():
            raise WeightsError(f"{what}: component folder {component_dir} is missing. {fix}")
        if component.startswith(("tokenizer", "scheduler", "feature_extractor")):
            continue
        check_model_folder(component_dir, f"{what} ({component})", fix, variant)


def check_pipeline_folder(folder: Path, what: str, fix: str) -> str | None:
    """check_diffusers_folder for the weights from_pretrained will load: the fp16 variant where the UNet
    has one, else the plain files. Returns that variant."""
    variant = "fp16" if any(folder.glob("unet/*.fp16.safetensors")) else None
    check_diffusers_folder(folder, what, fix, variant)
    return variant


def check_model_folder(folder: Path, what: str, fix: str, variant: str | None = None) -> None:
    """Fail unless one diffusers/transformers model folder has a config and complete safetensors weights."""
    if not (folder / "config.json").is_file():
        raise WeightsError(f"{what} at {folder} is not a model folder (no config.json). {fix}")
    weight_files = component_weight_files(folder, variant)
    if not weight_files:
        pickles = [p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES]
        found = f" (found only pickle files {pickles}, which are never loaded)" if pickles else ""
        raise WeightsError(f"{what}: no .safetensors weights in {folder}{found}. {fix}")
    for weight_file in weight_files:
        check_safetensors_file(weight_file, what, fix)


def component_weight_files(component_dir: Path, variant: str | None) -> list[Path]:
    """The safetensors files from_pretrained would read for one component (shards included)."""
    files = sorted(component_dir.glob("*.safetensors"))
    if variant:
        variant_files = [p for p in files if f".{variant}." in p.name]
        if variant_files:
            return variant_files
    return [p for p in files if not any(f".{v}." in p.name for v in ("fp16", "bf16"))] or files
