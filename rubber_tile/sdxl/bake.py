"""Baking: the LoRA fused, the textual-inversion tokens added, the fp16-fix VAE in, saved as one folder.

`setup()` prefers that folder when it exists (sdxl/paths.py), so a cold start is a single `from_pretrained`.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from .hub import switch_hub_offline
from .paths import BAKE_RECORD_NAME, UNBAKED_DIR_NAME, BakeRecord, SdxlWeights

if TYPE_CHECKING:
    import torch


def bake(weights: SdxlWeights, out_dir: Path, dtype: torch.dtype, fuse_dtype: torch.dtype | None = None) -> BakeRecord:
    """Assemble from the separate files (never from an older bake) and save the result to `out_dir`.

    The base is loaded and the LoRA fused in `fuse_dtype` (default fp32), then the pipeline is
    stored in `dtype`. The folder appears only when complete: setup() never sees half of one.
    """
    switch_hub_offline()
    import torch

    from .pipeline import assemble_pipeline

    weights = dataclasses.replace(weights, baked=None)
    pipe, report = assemble_pipeline(weights, torch.device("cpu"), fuse_dtype or torch.float32)
    pipe.to(dtype=dtype)
    staging = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    variant = "fp16" if dtype == torch.float16 else None
    pipe.save_pretrained(staging, safe_serialization=True, variant=variant)
    record = BakeRecord(
        base=str(weights.base),
        lora=str(weights.lora),
        lora_scale=weights.lora_scale,
        lora_modules=report.lora_modules,
        tokens=report.tokens,
        vae=str(weights.vae) if weights.vae else "base model's VAE",
    )
    record.write(staging / BAKE_RECORD_NAME)
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    return record


def move_sources_aside(weights: SdxlWeights, model_dir: Path) -> list[tuple[Path, Path]]:
    """Move the files a bake was made from into model_dir/unbaked/ (left out of the image by .dockerignore),
    so the build context carries only what setup() reads. Returns (from, to) for each file moved; files
    outside model_dir (set by TILE_* variables) stay where they are."""
    aside = model_dir / UNBAKED_DIR_NAME
    moved = []
    for source in (weights.base, weights.vae, weights.lora, weights.embeddings):
        if source is None or not source.exists() or source.parent.resolve() != model_dir.resolve():
            continue
        target = aside / source.name
        if target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        aside.mkdir(parents=True, exist_ok=True)
        moved.append((source, Path(shutil.move(str(source), str(target)))))
    return moved
