"""Writing a tile image to a file, with what made it in the file's metadata.

PNG gets one text chunk per field; JPEG and WebP get the same fields as JSON in the EXIF
ImageDescription tag. The same image and metadata always give the same bytes.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from .generator import TileImage

EXIF_IMAGE_DESCRIPTION = 0x010E
# Chosen with scripts/bench/bench_encoding.py on a 1024 px preview and an SDXL output (README, "Output
# files"): PNG level 1 is 2.5-3.7x faster than Pillow's default 6 for 8-11% more bytes; WebP method 0 gives
# method 4's bytes (within 1%) in a third of the time; JPEG's optimize pass saves 5% for 3-5x the time.
ENCODER_OPTIONS: dict[str, dict[str, object]] = {
    "png": {"compress_level": 1},
    "jpg": {"quality": 95},
    "webp": {"quality": 95, "method": 0},
}
_PIL_FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}


def save_tile(tile: TileImage, path: Path, output_format: str) -> Path:
    """Save `tile` as `output_format` (png, jpg or webp) at `path`; returns the path."""
    _check_format(output_format)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(tile, path, output_format)
    return path


def encode_tile(tile: TileImage, output_format: str) -> bytes:
    """The bytes save_tile would write, without a file (the configurator answers with them)."""
    _check_format(output_format)
    buffer = io.BytesIO()
    _write(tile, buffer, output_format)
    return buffer.getvalue()


def _check_format(output_format: str) -> None:
    if output_format not in _PIL_FORMATS:
        raise ValueError(f"output format must be one of {', '.join(_PIL_FORMATS)}, got {output_format!r}")


def _write(tile: TileImage, target: Path | io.BytesIO, output_format: str) -> None:
    image = tile.image.convert("RGB")
    if output_format == "png":
        info = PngInfo()
        for key, value in tile.metadata.items():
            info.add_itxt(key, value)
        image.save(target, "PNG", pnginfo=info, **ENCODER_OPTIONS["png"])
    else:
        exif = Image.Exif()
        exif[EXIF_IMAGE_DESCRIPTION] = json.dumps(tile.metadata, ensure_ascii=True, sort_keys=True)
        image.save(target, _PIL_FORMATS[output_format], exif=exif, **ENCODER_OPTIONS[output_format])


def read_tile_metadata(path: Path) -> dict[str, str]:
    """The metadata `save_tile` wrote, from any of the three formats."""
    with Image.open(path) as image:
        if image.format == "PNG":
            return {key: str(value) for key, value in image.text.items()}
        description = image.getexif().get(EXIF_IMAGE_DESCRIPTION)
        return json.loads(description) if description else {}
