"""Writing a tile image to a file, with what made it in the file's metadata.

PNG gets one text chunk per field; JPEG and WebP get the same fields as JSON in the EXIF
ImageDescription tag. The same image and metadata always give the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from .generator import TileImage

EXIF_IMAGE_DESCRIPTION = 0x010E
JPEG_QUALITY = 95
WEBP_QUALITY = 95
_PIL_FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}


def save_tile(tile: TileImage, path: Path, output_format: str) -> Path:
    """Save `tile` as `output_format` (png, jpg or webp) at `path`; returns the path."""
    if output_format not in _PIL_FORMATS:
        raise ValueError(f"output format must be one of {', '.join(_PIL_FORMATS)}, got {output_format!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    image = tile.image.convert("RGB")
    if output_format == "png":
        info = PngInfo()
        for key, value in tile.metadata.items():
            info.add_itxt(key, value)
        image.save(path, "PNG", pnginfo=info)
    else:
        exif = Image.Exif()
        exif[EXIF_IMAGE_DESCRIPTION] = json.dumps(tile.metadata, ensure_ascii=True, sort_keys=True)
        quality = JPEG_QUALITY if output_format == "jpg" else WEBP_QUALITY
        image.save(path, _PIL_FORMATS[output_format], quality=quality, exif=exif)
    return path


def read_tile_metadata(path: Path) -> dict[str, str]:
    """The metadata `save_tile` wrote, from any of the three formats."""
    with Image.open(path) as image:
        if image.format == "PNG":
            return {key: str(value) for key, value in image.text.items()}
        description = image.getexif().get(EXIF_IMAGE_DESCRIPTION)
        return json.loads(description) if description else {}
