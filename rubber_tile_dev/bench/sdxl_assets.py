"""Full-size SDXL 1.0 with random weights, a full-size LoRA and textual inversion, and the cache that keeps them.

The base is written once in fp16 to the cache folder (about 7 GB), with an r=32 Eden-format LoRA,
a two-row textual inversion and a baked copy made by scripts/bake_weights.py (about 7 GB more).
The GPU section builds the same components directly on the GPU instead.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rubber_tile.sdxl.hub import switch_hub_offline
from rubber_tile.sdxl.paths import BAKE_RECORD_NAME, PROJECT_DIR

from .processes import ChildRun, checked, run_child
from .report import GIB

DEFAULT_CACHE_DIR = Path.home() / ".cache" / "rubber-tile-bench"
LOAD_KINDS = ("bare", "runtime", "baked")
LORA_RANK = 32
TI_ROWS = 2
CLIP_VOCAB_SIZE = 49408  # the real SDXL tokenizers' size, so adding the TI tokens grows the embeddings as in production


@contextlib.contextmanager
def default_dtype(dtype: Any) -> Iterator[None]:
    """Build modules directly in `dtype`, so fp16 SDXL never exists in fp32 (half the memory)."""
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def padded_clip_tokenizer():
    """The tiny SDXL's CLIP tokenizer, its vocabulary padded to the real 49408 with the start and end
    tokens last, as in the real one. Padding entries are never produced by its merges."""
    from transformers import CLIPTokenizer

    from ..synthetic.tiny_sdxl import build_clip_tokenizer

    small = build_clip_tokenizer()
    model = json.loads(small._tokenizer.to_str())["model"]
    specials = ("<|startoftext|>", "<|endoftext|>")
    words = [token for token in sorted(model["vocab"], key=model["vocab"].get) if token not in specials]
    padding = [f"<|bench_pad_{i}|>" for i in range(CLIP_VOCAB_SIZE - len(words) - len(specials))]
    vocab = {token: index for index, token in enumerate(words + padding + list(specials))}
    merges = [tuple(merge) for merge in model["merges"]]
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)


def build_component(name: str, device: Any, dtype: Any, fp16_fix_vae: bool = False):
    """One full-size SDXL model component with random weights, built directly on `device` in `dtype`."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from ..synthetic.sdxl_architecture import CLIP_G_CONFIG, CLIP_L_CONFIG, SDXL_UNET_CONFIG, SDXL_VAE_CONFIG

    builders: dict[str, Callable[[], torch.nn.Module]] = {
        "unet": lambda: UNet2DConditionModel(**SDXL_UNET_CONFIG),
        # The fp16-fix VAE that production loads when present needs no fp32 upcast for decoding.
        "vae": lambda: AutoencoderKL(**(SDXL_VAE_CONFIG | ({"force_upcast": False} if fp16_fix_vae else {}))),
        "text_encoder": lambda: CLIPTextModel(CLIPTextConfig(**CLIP_L_CONFIG)),
        "text_encoder_2": lambda: CLIPTextModelWithProjection(CLIPTextConfig(**CLIP_G_CONFIG)),
    }
    with default_dtype(dtype), torch.device(device):
        module = builders[name]()
    return module.eval()


def sdxl_scheduler():
    from diffusers import EulerDiscreteScheduler

    from ..synthetic.sdxl_architecture import SDXL_SCHEDULER_CONFIG

    return EulerDiscreteScheduler(**SDXL_SCHEDULER_CONFIG)


def model_index() -> dict[str, Any]:
    import diffusers

    return {
        "_class_name": "StableDiffusionXLPipeline",
        "_diffusers_version": diffusers.__version__,
        "force_zeros_for_empty_prompt": True,
        "add_watermarker": None,
        "scheduler": ["diffusers", "EulerDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "tokenizer_2": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    }


def random_ti_rows(seed: int = 3) -> dict[str, Any]:
    """A two-row, two-encoder textual inversion in bf16, shaped like the owner's file."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    return {
        "clip_l": (torch.randn(TI_ROWS, 768, generator=generator) * 0.02).bfloat16(),
        "clip_g": (torch.randn(TI_ROWS, 1280, generator=generator) * 0.02).bfloat16(),
    }


@dataclass(frozen=True)
class BenchAssets:
    base: Path
    lora: Path
    embeddings: Path
    baked: Path

    @classmethod
    def under(cls, cache_dir: Path) -> BenchAssets:
        return cls(
            base=cache_dir / "sdxl-base",
            lora=cache_dir / f"eden-lora-r{LORA_RANK}.safetensors",
            embeddings=cache_dir / "embeddings-2x768-2x1280-bf16.safetensors",
            baked=cache_dir / "sdxl-baked",
        )

    def files(self, kind: str) -> list[Path]:
        """Every file a load of this kind reads."""
        if kind == "bare":
            return files_under(self.base)
        if kind == "runtime":
            return files_under(self.base) + [self.lora, self.embeddings]
        if kind == "baked":
            return files_under(self.baked)
        raise ValueError(f"unknown load kind {kind!r}; one of {LOAD_KINDS}")


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def gib(paths: Sequence[Path]) -> float:
    return sum(path.stat().st_size for path in paths) / GIB


def _base_is_complete(folder: Path) -> bool:
    return (folder / "model_index.json").is_file()  # written last, after every component


def write_random_base(folder: Path) -> None:
    """The full-size SDXL base with random fp16 weights as a diffusers folder (fp16 variant files),
    one component at a time so that at most the UNet (about 5 GB) is in memory."""
    import gc

    import torch

    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in ("tokenizer", "tokenizer_2"):
        padded_clip_tokenizer().save_pretrained(staging / name)
    sdxl_scheduler().save_pretrained(staging / "scheduler")
    for name in ("vae", "text_encoder", "text_encoder_2", "unet"):
        start = time.perf_counter()
        module = build_component(name, "cpu", torch.float16)
        module.save_pretrained(staging / name, variant="fp16")
        del module
        gc.collect()
        print(f"  {name}: built and saved in {time.perf_counter() - start:.0f} s", flush=True)
    (staging / "model_index.json").write_text(json.dumps(model_index(), indent=2) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)


def write_full_size_lora(base: Path, path: Path) -> None:
    """An r=32 Eden/kohya-format LoRA for the full-size UNet, written by synthetic/lora_files like the owner's trainer."""
    import gc

    import torch
    from diffusers import UNet2DConditionModel

    from ..synthetic.lora_files import LoraSpec, write_lora

    unet = UNet2DConditionModel.from_pretrained(base / "unet", variant="fp16", dtype=torch.float16)
    staging = path.with_name(path.name + ".partial")
    write_lora(unet, staging, LoraSpec(rank=LORA_RANK, alpha=LORA_RANK))
    del unet
    gc.collect()
    staging.rename(path)


def write_ti_file(path: Path) -> None:
    from safetensors.torch import save_file

    staging = path.with_name(path.name + ".partial")
    save_file(random_ti_rows(), staging)
    staging.rename(path)


def bake_assets(assets: BenchAssets) -> ChildRun:
    """scripts/bake_weights.py on the cached files, fp16 stored and fused in fp16 (fp32 would need about 14 GB)."""
    env = os.environ | {
        "TILE_MODEL_DIR": str(assets.base.parent),
        "TILE_BASE_MODEL": str(assets.base),
        "TILE_LORA": str(assets.lora),
        "TILE_EMBEDDINGS": str(assets.embeddings),
        "TILE_VAE": "",
    }
    command = [sys.executable, str(PROJECT_DIR / "scripts" / "bake_weights.py"), "--out", str(assets.baked)]
    command += ["--dtype", "fp16", "--fuse-dtype", "fp16"]
    return checked(run_child(command, env), "scripts/bake_weights.py")


def ensure_assets(cache_dir: Path) -> tuple[BenchAssets, tuple[str, ...]]:
    """Build what is missing in the cache (new base, LoRA or TI files invalidate the bake); say how each was made.

    How each file was made is kept in build-notes.json beside them, so a later run that reuses them still says it.
    """
    switch_hub_offline()  # before diffusers is imported; the bake inherits the switch
    assets = BenchAssets.under(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    notes_file = cache_dir / "build-notes.json"
    notes: dict[str, str] = json.loads(notes_file.read_text()) if notes_file.is_file() else {}
    today = datetime.date.today().isoformat()
    if not _base_is_complete(assets.base):
        print(f"cold start: writing the full-size random SDXL base to {assets.base} (once)", flush=True)
        start = time.perf_counter()
        shutil.rmtree(assets.baked, ignore_errors=True)
        write_random_base(assets.base)
        notes["base"] = f"base written {today} in {time.perf_counter() - start:.0f} s"
    if not assets.lora.is_file():
        print(f"cold start: writing the r={LORA_RANK} Eden LoRA to {assets.lora}", flush=True)
        shutil.rmtree(assets.baked, ignore_errors=True)
        write_full_size_lora(assets.base, assets.lora)
    if not assets.embeddings.is_file():
        shutil.rmtree(assets.baked, ignore_errors=True)
        write_ti_file(assets.embeddings)
    if not (assets.baked / BAKE_RECORD_NAME).is_file():
        print(f"cold start: baking {assets.baked} with scripts/bake_weights.py", flush=True)
        run = bake_assets(assets)
        notes["bake"] = (
            f"baked {today} by `scripts/bake_weights.py --dtype fp16 --fuse-dtype fp16` in {run.seconds:.0f} s, "
            f"peak RSS {run.peak_rss_gib:.1f} GiB ({run.stdout.strip()})"
        )
    notes_file.write_text(json.dumps(notes, indent=2) + "\n")
    return assets, tuple(notes.values())
