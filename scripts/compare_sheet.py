"""Side-by-side sheets of the owner's real tile photos and the preview renderer's image of the same mix.

    python scripts/compare_sheet.py [--photos ../shared/data/photos] [--out docs/images] [--seed 0]
                                    [--only BLACKp30_WHITEp70_top.jpg ...]

For every photo whose name encodes a mix (BLACKp30_WHITEp70_top.jpg = 30% black, 70% white;
PEARL_top.jpg = 100% pearl) it writes compare_<photo name>.jpg: the real photo and the preview
(product-photo framing, same size) side by side, and below them the centre of each enlarged 3x.
It also writes compare_overview.jpg (a few mixes, small) for a quick look.

The sheets contain the owner's photos: docs/images/.gitignore keeps compare_*.jpg out of git.
Never commit them. Without the photos the script says so and does nothing.

It also writes preview_examples.jpg, which holds previews only (no owner data), for the docs.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from preview_renderer import render_tile  # noqa: E402
from tile_colors import find_color  # noqa: E402

DEFAULT_PHOTOS_DIR = PROJECT_DIR.parent / "shared" / "data" / "photos"
DEFAULT_OUT_DIR = PROJECT_DIR / "docs" / "images"
PHOTO_NAME = re.compile(r"^(?P<parts>[A-Z]+(?:p\d+)?(?:_[A-Z]+p\d+)*)_top\.jpg$")
PART = re.compile(r"^(?P<code>[A-Z]+)(?:p(?P<percent>\d+))?$")
ZOOM = 3
CAPTION_HEIGHT = 28
EXAMPLE_MIXES = (
    {"red": 50.0, "black": 30.0, "pearl": 20.0},
    {"black": 30.0, "white": 70.0},
    {"blue": 25.0, "dark green": 25.0, "red": 25.0, "yellow": 25.0},
    {"sand": 40.0, "terracotta": 30.0, "khaki": 20.0, "brown": 10.0},
)


@dataclass(frozen=True)
class PhotoMix:
    path: Path
    shares: dict[str, float]

    def describe(self) -> str:
        return ", ".join(f"{share:g}% {name}" for name, share in self.shares.items())


def mix_from_photo_name(name: str) -> dict[str, float] | None:
    """The mix a photo's file name encodes, or None for a name that encodes none."""
    match = PHOTO_NAME.match(name)
    if match is None:
        return None
    parts = match.group("parts").split("_")
    shares: dict[str, float] = {}
    for part in parts:
        part_match = PART.match(part)
        color = find_color(part_match.group("code")) if part_match else None
        if color is None:
            return None
        percent = part_match.group("percent")
        if percent is None and len(parts) > 1:
            return None
        shares[color.name] = 100.0 if percent is None else float(percent)
    if abs(sum(shares.values()) - 100.0) > 0.01:
        return None
    return shares


def find_photo_mixes(photos_dir: Path, only: list[str] | None) -> list[PhotoMix]:
    mixes = []
    for path in sorted(photos_dir.glob("*_top.jpg")):
        if only and path.name not in only:
            continue
        shares = mix_from_photo_name(path.name)
        if shares is not None:
            mixes.append(PhotoMix(path, shares))
    return mixes


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def _captioned(image: Image.Image, caption: str) -> Image.Image:
    panel = Image.new("RGB", (image.width, image.height + CAPTION_HEIGHT), "white")
    panel.paste(image, (0, CAPTION_HEIGHT))
    ImageDraw.Draw(panel).text((6, 5), caption, fill=(0, 0, 0), font=_font(16))
    return panel


def _centre_zoom(image: Image.Image) -> Image.Image:
    side = image.width // ZOOM
    left, top = (image.width - side) // 2, (image.height - side) // 2
    crop = image.crop((left, top, left + side, top + side))
    return crop.resize((side * ZOOM, side * ZOOM), Image.Resampling.NEAREST)


def _grid(panels: list[list[Image.Image]], gap: int = 8) -> Image.Image:
    width = max(sum(p.width for p in row) + gap * (len(row) - 1) for row in panels)
    height = sum(max(p.height for p in row) for row in panels) + gap * (len(panels) - 1)
    sheet = Image.new("RGB", (width, height), "white")
    y = 0
    for row in panels:
        x = 0
        for panel in row:
            sheet.paste(panel, (x, y))
            x += panel.width + gap
        y += max(p.height for p in row) + gap
    return sheet


def comparison_sheet(photo_mix: PhotoMix, seed: int) -> Image.Image:
    """Real photo | preview of the same mix, and their centres enlarged, for people to judge."""
    with Image.open(photo_mix.path) as opened:
        real = opened.convert("RGB")
    side = max(real.size)
    preview = render_tile(photo_mix.shares, size=side, seed=seed, framing="product_photo")
    preview = preview.crop((0, 0, real.width, real.height)) if preview.size != real.size else preview
    mix = photo_mix.describe()
    return _grid(
        [
            [_captioned(real, f"real photo: {mix}"), _captioned(preview, f"preview (seed {seed}): {mix}")],
            [_captioned(_centre_zoom(real), f"real, centre x{ZOOM}"), _captioned(_centre_zoom(preview), f"preview, centre x{ZOOM}")],
        ]
    )


def overview_sheet(sheets: list[Image.Image], width: int = 1280) -> Image.Image:
    """The first few sheets' top rows, shrunk, one under the other."""
    rows = []
    for sheet in sheets[:6]:
        top = sheet.crop((0, 0, sheet.width, sheet.height // 2))
        rows.append([top.resize((width, round(top.height * width / top.width)), Image.Resampling.LANCZOS)])
    return _grid(rows)


def examples_sheet(seed: int) -> Image.Image:
    """Previews only (no owner data): a few mixes in both framings, with a full-size detail."""
    rows = []
    for mix in EXAMPLE_MIXES:
        caption = ", ".join(f"{share:g}% {name}" for name, share in mix.items())
        photo = render_tile(mix, size=480, seed=seed, framing="product_photo")
        frame = render_tile(mix, size=1024, seed=seed, framing="full_frame")
        rows.append(
            [
                _captioned(photo, f"product photo: {caption}"),
                _captioned(frame.resize((480, 480), Image.Resampling.LANCZOS), "full frame, 1024 px shrunk"),
                _captioned(frame.crop((272, 272, 752, 752)), "full frame, 1024 px, centre 1:1"),
            ]
        )
    return _grid(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS_DIR, help="folder of <MIX>_top.jpg photos")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR, help="where to write the sheets")
    parser.add_argument("--seed", type=int, default=0, help="preview seed")
    parser.add_argument("--only", nargs="*", help="photo file names to compare (default: all with a mix)")
    parser.add_argument("--no-examples", action="store_true", help="do not write preview_examples.jpg")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    if not args.no_examples:
        examples_sheet(args.seed).save(args.out / "preview_examples.jpg", quality=82)
        print(f"wrote {args.out / 'preview_examples.jpg'} (previews only)")
    if not args.photos.is_dir():
        print(f"skipping the comparison sheets: the owner's photos are not at {args.photos} (never committed)")
        return 0
    photo_mixes = find_photo_mixes(args.photos, args.only)
    if not photo_mixes:
        print(f"error: no photo in {args.photos} has a mix in its name (like BLACKp30_WHITEp70_top.jpg)", file=sys.stderr)
        return 2
    sheets = []
    for photo_mix in photo_mixes:
        sheet = comparison_sheet(photo_mix, args.seed)
        target = args.out / f"compare_{photo_mix.path.stem}.jpg"
        sheet.save(target, quality=90)
        sheets.append(sheet)
        print(f"wrote {target}")
    overview_sheet(sheets).save(args.out / "compare_overview.jpg", quality=90)
    print(f"wrote {args.out / 'compare_overview.jpg'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
