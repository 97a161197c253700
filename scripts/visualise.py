"""Lay a mix on a photo of a site, for catalogue and sales pictures (the page's visualiser, offline).

    python scripts/visualise.py PHOTO --corners x1,y1,x2,y2,x3,y3,x4,y4 --mix "50% red, 30% black, 20% pearl" --out result.png
    python scripts/visualise.py yard.jpg --corners 310,1880,3650,1910,2900,1020,1050,1000 --mix "100% green" \\
        --width-m 6 --depth-m 4 --seamless --seed 7 --grade coarse --out yard_green.png

The corners are the area's four corners in the photo's pixels (as the photo shows upright: its EXIF
orientation applied), in order round the area: corner 1 -> 2 is the area's width (--width-m),
corner 2 -> 3 its depth (--depth-m). Without the size, it is estimated from the corners for a phone
camera held at standing height. --mask PNG (the photo's size, white where an object stands in the
area and the photo should stay) keeps benches and posts. The texture is the preview renderer's top
view of the mix; 500 x 500 mm tiles with seams, or --seamless for a poured surface. The result has
the photo's size (--max-side scales a larger photo down first, 0 keeps it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from rubber_tile.mix import MixError, parse_mix
from rubber_tile.request import GRADES
from rubber_tile.visualise import AreaError, mix_texture, visualise

DEFAULT_MAX_SIDE = 4096


def parse_corners(text: str) -> list[tuple[float, float]]:
    """x1,y1,...,x4,y4 -> four points; AreaError saying what is wrong otherwise."""
    try:
        numbers = [float(part) for part in text.replace(" ", "").split(",") if part != ""]
    except ValueError:
        raise AreaError(f"--corners must be numbers separated by commas (x1,y1,...,x4,y4), got {text!r}") from None
    if len(numbers) != 8:
        raise AreaError(f"--corners needs 4 corners: 8 numbers x1,y1,...,x4,y4, got {len(numbers)} numbers")
    return [(numbers[k], numbers[k + 1]) for k in range(0, 8, 2)]


def read_photo(path: Path, max_side: int) -> tuple[Image.Image, float]:
    """The photo upright (EXIF orientation applied) as RGB, scaled so its long side is at most max_side
    (0: as it is), and the scale applied; ValueError saying what to do when it cannot be read."""
    if not path.is_file():
        raise ValueError(f"no photo at {path}")
    try:
        with Image.open(path) as opened:
            photo = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError) as error:
        hint = " (HEIC: save it as JPEG first)" if path.suffix.lower() in (".heic", ".heif") else ""
        raise ValueError(f"cannot read {path} as an image{hint}: {error}") from None
    scale = 1.0
    if max_side and max(photo.size) > max_side:
        scale = max_side / max(photo.size)
        photo = photo.resize((round(photo.width * scale), round(photo.height * scale)), Image.Resampling.LANCZOS)
    return photo, scale


def read_mask(path: Path | None, size: tuple[int, int]) -> np.ndarray | None:
    if path is None:
        return None
    try:
        with Image.open(path) as opened:
            mask = opened.convert("L")
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"cannot read the mask {path}: {error}") from None
    return np.asarray(mask.resize(size, Image.Resampling.BILINEAR))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photo", type=Path, help="photo of the site (JPEG, PNG, WebP)")
    parser.add_argument("--corners", required=True, help="x1,y1,x2,y2,x3,y3,x4,y4 in the photo's pixels")
    parser.add_argument("--mix", required=True, help="e.g. '50%% red, 30%% black, 20%% pearl'")
    parser.add_argument("--width-m", type=float, help="the area's width (corner 1 -> 2), metres")
    parser.add_argument("--depth-m", type=float, help="the area's depth (corner 2 -> 3), metres")
    parser.add_argument("--seamless", action="store_true", help="a poured surface instead of 500 x 500 mm tiles")
    parser.add_argument("--seed", type=int, default=0, help="granule layout and tile draw (default 0)")
    parser.add_argument("--grade", choices=list(GRADES), default="standard")
    parser.add_argument("--mask", type=Path, help="PNG, white where the photo stays (objects in the area)")
    parser.add_argument("--max-side", type=int, default=DEFAULT_MAX_SIDE, help=f"scale larger photos down (default {DEFAULT_MAX_SIDE}; 0 keeps the size)")
    parser.add_argument("--out", type=Path, required=True, help="the result, .png")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> Path:
    if args.out.suffix.lower() != ".png":
        raise ValueError(f"--out {args.out}: the result is a PNG; give a name ending in .png")
    if (args.width_m is None) != (args.depth_m is None):
        raise AreaError("give both --width-m and --depth-m, or neither (then the size is estimated)")
    if args.seed < 0:
        raise ValueError(f"--seed must be a whole number >= 0, got {args.seed}")
    corners = parse_corners(args.corners)
    mix = parse_mix(args.mix)
    photo, scale = read_photo(args.photo, args.max_side)
    size = (args.width_m, args.depth_m) if args.width_m is not None else None
    texture = mix_texture(mix, grade=args.grade, seed=args.seed)
    result = visualise(
        photo,
        [(x * scale, y * scale) for x, y in corners],
        texture,
        size_m=size,
        seamless=args.seamless,
        seed=args.seed,
        mask=read_mask(args.mask, photo.size),
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result.save(args.out, "PNG")
    return args.out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        out = run(args)
    except MixError as error:
        print(f"error: the mix: {error}", file=sys.stderr)
        return 2
    except (AreaError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
