"""Measure the 29 tile colours from the owner's single-colour photos and write rubber_tile/data/palette.json.

    python scripts/eval/build_palette.py [--photos ../shared/data/photos] [--out rubber_tile/data/palette.json]

Each colour's photo is <CODE>_top.jpg (e.g. PEARL_top.jpg). Only numbers are written, never pixels.
The measurements are rubber_tile_dev/evaluation/palette_fit.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rubber_tile.colors.palette import PALETTE_PATH, parse_palette
from rubber_tile.colors.vocabulary import TILE_COLORS
from rubber_tile_dev.evaluation.owner_data import DEFAULT_PHOTOS_DIR
from rubber_tile_dev.evaluation.palette_fit import measure_color, palette_document


def build_palette(photos_dir: Path) -> dict:
    """The palette document, one entry per tile colour measured on its photo (progress on stderr)."""
    colors = []
    for tile_color in TILE_COLORS:
        photo_path = photos_dir / f"{tile_color.code}_top.jpg"
        if not photo_path.is_file():
            raise FileNotFoundError(f"single-colour photo for {tile_color.name!r} not found: {photo_path}")
        colors.append({"name": tile_color.name, "code": tile_color.code, **measure_color(photo_path)})
        print(f"{tile_color.name:12s} lab={colors[-1]['lab']} spread={colors[-1]['lab_spread']}", file=sys.stderr)
    return palette_document(colors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS_DIR, help="folder of <CODE>_top.jpg photos")
    parser.add_argument("--out", type=Path, default=PALETTE_PATH, help="where to write the palette JSON")
    args = parser.parse_args(argv)
    if not args.photos.is_dir():
        print(
            f"error: photo folder not found: {args.photos} (the owner's data is not part of the repository)",
            file=sys.stderr,
        )
        return 2
    try:
        document = build_palette(args.photos)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    parse_palette(document)  # refuse to write a file the loader would reject
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
