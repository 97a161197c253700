"""Hashes of a fixed set of outputs, to show a refactor changed no byte.

    python scripts/eval/output_hashes.py --write      # record the hashes of this checkout
    python scripts/eval/output_hashes.py              # compare with the recorded ones (exit 1 on a difference)

The set: preview renders (mixes, seeds, sizes, framings, grades, a wide crop), saved files in each
format, built prompts, analyzer shares, colour-lock results on synthetic granules and on the owner's
model outputs (when ../shared/data is there), and one tiny-SDXL image with its colour lock.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rubber_tile.analyzer import measure_shares
from rubber_tile.generator import TileGenerator
from rubber_tile.lock import lock_colors
from rubber_tile.mix import ColorMix, parse_mix
from rubber_tile.output import save_tile
from rubber_tile.preview.backend import PreviewBackend
from rubber_tile.preview.render import render_tile
from rubber_tile.prompt import build_prompt
from rubber_tile.request import TileRequest, make_request
from rubber_tile_dev.evaluation.owner_data import DEFAULT_DATA_DIR, MANIFEST_NAME, read_manifest
from rubber_tile_dev.synthetic.granules import granule_image

RECORD = Path(__file__).with_suffix(".json")
MIXES = (
    "100% red",
    "50% red, 30% black, 20% pearl",
    "33.3% red, 33.3% blue, 33.3% white",
    "40% sand, 30% terracotta, 20% khaki, 10% brown",
    "60% grass green, 40% yellow",
)


ARRAYS_DIR: list[Path] = []  # set by --arrays: every hashed image is also saved there, to diff two checkouts


def image_hash(image) -> str:
    array = np.asarray(image.convert("RGB") if hasattr(image, "convert") else image)
    digest = hashlib.sha256(array.tobytes() + str(array.shape).encode()).hexdigest()[:16]
    if ARRAYS_DIR:
        np.save(ARRAYS_DIR[0] / f"{digest}.npy", array)
    return digest


def shares_text(shares: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.9f}" for name, value in shares.items())


def previews() -> dict[str, str]:
    out = {}
    for mix_text in MIXES:
        mix = parse_mix(mix_text)
        for seed in (0, 7):
            out[f"preview {mix_text} seed {seed}"] = image_hash(render_tile(mix, size=512, seed=seed))
    shares = parse_mix(MIXES[1])
    for framing in ("full_frame", "product_photo"):
        for grade in ("fine", "standard", "coarse"):
            out[f"preview {framing} {grade}"] = image_hash(render_tile(shares, size=384, seed=3, framing=framing, grade=grade))
    out["preview 1024"] = image_hash(render_tile(shares, size=1024, seed=1))
    out["preview crop 1024x512"] = image_hash(render_tile(shares, size=1024, seed=2, crop=(1024, 512)))
    return out


def saved_files() -> dict[str, str]:
    out = {}
    generator = TileGenerator(PreviewBackend(""))
    with tempfile.TemporaryDirectory() as folder:
        for output_format in ("png", "jpg", "webp"):
            request = make_request(MIXES[1], seed=5, width=512, height=512, output_format=output_format)
            path = save_tile(generator.generate(request), Path(folder) / f"tile.{output_format}", output_format)
            out[f"file {output_format}"] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        request = make_request(MIXES[2], seed=9, width=768, height=512)
        out["generate 768x512"] = image_hash(generator.generate(request).image)
        request = make_request(MIXES[1], seed=5, width=640, height=512, view="installed", grade="coarse")
        out["generate installed 640x512"] = tile_hash(generator.generate(request))
    return out


def tile_hash(tile) -> str:
    """The image's hash and the metadata, in key order (the file writes them in its own order)."""
    return f"{image_hash(tile.image)} {sorted(tile.metadata.items())}"


def prompts() -> dict[str, str]:
    texts = (*MIXES, "Красный 60%, белый 40%", "ohwx_rubber_tile <s0><s1>, 70% red, 30% blue, custom")
    return {f"prompt {text}": build_prompt(text) for text in texts}


def analyzer_and_lock() -> dict[str, str]:
    out = {}
    cases = (
        ({"red": 0.8, "white": 0.2}, {"red": 60.0, "white": 40.0}),
        ({"red": 0.5, "black": 0.3, "white": 0.2}, {"red": 50.0, "black": 30.0, "pearl": 20.0}),
        ({"blue": 0.25, "yellow": 0.75}, {"blue": 50.0, "yellow": 50.0}),
    )
    for index, (drawn, asked) in enumerate(cases):
        rgb, _ = granule_image(drawn, side=256, seed=index)
        out[f"shares given {index}"] = shares_text(measure_shares(rgb, list(asked)).shares)
        out[f"shares open {index}"] = shares_text(measure_shares(rgb).shares)
        result = lock_colors(rgb, ColorMix(asked))
        out[f"lock {index}"] = f"{image_hash(result.image)} {shares_text(result.shares_after)}"
    return out


def owner_outputs() -> dict[str, str]:
    from PIL import Image

    if not (DEFAULT_DATA_DIR / MANIFEST_NAME).is_file():
        return {}
    out = {}
    entries = [entry for entry in read_manifest(DEFAULT_DATA_DIR) if entry.is_model_output][:6]
    for entry in entries:
        image = Image.open(DEFAULT_DATA_DIR / entry.file).convert("RGB")
        result = lock_colors(image, parse_mix(entry.mix_text))
        out[f"owner lock {entry.file}"] = f"{image_hash(result.image)} {shares_text(result.shares_after)}"
    return out


def tiny_sdxl() -> dict[str, str]:
    import torch
    from diffusers import UNet2DConditionModel
    from safetensors.torch import save_file

    from rubber_tile.sdxl.backend import SdxlBackend
    from rubber_tile.sdxl.paths import SdxlWeights
    from rubber_tile.sdxl.pipeline import MODEL_NAME, assemble_pipeline
    from rubber_tile_dev.synthetic.lora_files import LoraSpec, write_lora
    from rubber_tile_dev.synthetic.tiny_sdxl import build_tiny_sdxl_pipeline

    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "base"
        build_tiny_sdxl_pipeline().save_pretrained(base)
        lora = write_lora(UNet2DConditionModel.from_pretrained(base / "unet"), Path(folder) / "lora.safetensors", LoraSpec())
        generator = torch.Generator().manual_seed(3)
        embeddings = Path(folder) / "ti.safetensors"
        save_file({"clip_l": torch.randn(2, 32, generator=generator).bfloat16(),
                   "clip_g": torch.randn(2, 32, generator=generator).bfloat16()}, embeddings)
        pipe, report = assemble_pipeline(SdxlWeights(base=base, lora=lora, embeddings=embeddings), torch.device("cpu"), torch.float32)
        tile_generator = TileGenerator(SdxlBackend(pipe, report.tokens, MODEL_NAME))
        request = TileRequest(
            prompt=MIXES[1], mix=parse_mix(MIXES[1]), negative_prompt="blurry", seed=42, num_inference_steps=3, width=128, height=128
        )
        tile = tile_generator.generate(request)
        floor = tile_generator.generate(dataclasses.replace(request, view="installed", width=192, height=128))
        return {
            "tiny sdxl + lock": f"{image_hash(tile.image)} {tile.metadata.get('color_lock')} {tile.metadata.get('shares_after')}",
            "tiny sdxl installed": tile_hash(floor),
        }


SECTIONS: tuple[Callable[[], dict[str, str]], ...] = (previews, saved_files, prompts, analyzer_and_lock, owner_outputs, tiny_sdxl)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help=f"record the hashes in {RECORD.name}")
    parser.add_argument("--arrays", type=Path, help="also save every hashed image as DIR/<hash>.npy")
    args = parser.parse_args(argv)
    if args.arrays is not None:
        args.arrays.mkdir(parents=True, exist_ok=True)
        ARRAYS_DIR.append(args.arrays)
    hashes: dict[str, str] = {}
    for section in SECTIONS:
        hashes.update(section())
        print(f"{section.__name__}: done", flush=True)
    if args.write:
        RECORD.write_text(json.dumps(hashes, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {len(hashes)} hashes to {RECORD}")
        return 0
    recorded = json.loads(RECORD.read_text())
    differ = sorted(key for key in recorded.keys() | hashes.keys() if recorded.get(key) != hashes.get(key))
    for key in differ:
        print(f"DIFFERS {key}:\n  recorded {recorded.get(key)}\n  now      {hashes.get(key)}")
    print(f"{len(recorded) - len(differ)} of {len(recorded)} recorded outputs identical")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
