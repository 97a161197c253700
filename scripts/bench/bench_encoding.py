"""Encoding a tile image: time and bytes of each format's settings, on a preview and on photo-like content.

    python scripts/bench/bench_encoding.py [--repeats 5] [--size 1024]

Photo-like content is the owner's SDXL outputs (../shared/data/model_outputs, 512 px, upscaled to
--size); without them only the preview is measured. rubber_tile/output.py's settings were chosen from
this table (README: "Output files").
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

from PIL import Image

from rubber_tile.mix import parse_mix
from rubber_tile.preview.render import render_tile
from rubber_tile_dev.evaluation.owner_data import DEFAULT_DATA_DIR

SETTINGS: dict[str, list[tuple[str, dict]]] = {
    "png": [(f"compress_level={level}", {"compress_level": level}) for level in (1, 3, 6, 9)],
    "jpg": [
        ("quality=95", {"quality": 95}),
        ("quality=95, optimize", {"quality": 95, "optimize": True}),
        ("quality=95, 4:4:4", {"quality": 95, "subsampling": 0}),
        ("quality=92, optimize", {"quality": 92, "optimize": True}),
        ("quality=90", {"quality": 90}),
    ],
    "webp": [
        ("quality=95, method=4", {"quality": 95, "method": 4}),
        ("quality=95, method=2", {"quality": 95, "method": 2}),
        ("quality=95, method=0", {"quality": 95, "method": 0}),
        ("quality=90, method=4", {"quality": 90, "method": 4}),
        ("quality=90, method=2", {"quality": 90, "method": 2}),
        ("quality=90, method=0", {"quality": 90, "method": 0}),
    ],
}
PIL_FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}


def encode(image: Image.Image, output_format: str, options: dict, repeats: int) -> tuple[float, int]:
    """(median seconds, bytes) of encoding `image` with these options."""
    times, size = [], 0
    for _ in range(repeats):
        buffer = io.BytesIO()
        started = time.perf_counter()
        image.save(buffer, PIL_FORMATS[output_format], **options)
        times.append(time.perf_counter() - started)
        size = buffer.tell()
    return statistics.median(times), size


def contents(size: int, data_dir: Path) -> dict[str, Image.Image]:
    images = {"preview": render_tile(parse_mix("50% red, 30% black, 20% pearl"), size=size, seed=1)}
    outputs = sorted((data_dir / "model_outputs").glob("*.jpg"))[:1] if data_dir.is_dir() else []
    for path in outputs:
        images["SDXL output"] = Image.open(path).convert("RGB").resize((size, size), Image.Resampling.LANCZOS)
    return images


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    images = contents(args.size, args.data)
    if "SDXL output" not in images:
        print(f"note: no model outputs under {args.data} (the owner's data is not in the repository): preview only")
    print(f"{'content':<13}{'format':<7}{'settings':<24}{'ms':>8}{'MB':>8}")
    for name, image in images.items():
        for output_format, variants in SETTINGS.items():
            for label, options in variants:
                seconds, size = encode(image, output_format, options, args.repeats)
                print(f"{name:<13}{output_format:<7}{label:<24}{1000 * seconds:>8.1f}{size / 1e6:>8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
