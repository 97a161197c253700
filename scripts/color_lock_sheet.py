"""Before | after sheets of the proportion lock on the owner's model outputs, for people to judge.

    python scripts/color_lock_sheet.py [--data ../shared/data] [--out docs/images] [--only TEXT]

Writes docs/images/color_lock_<output>.jpg (the output before and after the lock, side by side,
with the asked mix and the analyzer's shares) and docs/images/color_lock_overview.jpg (all pairs,
smaller). The sheets hold the owner's images: docs/images/.gitignore keeps them out of git.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from PIL import Image, ImageDraw

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from color_lock import ColorLockError, LockResult, match_colors  # noqa: E402
from prompt_builder import MixError, parse_mix  # noqa: E402

DEFAULT_DATA_DIR = PROJECT_DIR.parent / "shared" / "data"
DEFAULT_OUT_DIR = PROJECT_DIR / "docs" / "images"
SHEET_PREFIX = "color_lock_"  # matched by docs/images/.gitignore
CAPTION_HEIGHT = 44
OVERVIEW_SIDE = 192
OVERVIEW_COLUMNS = 3


def shares_text(shares: dict[str, float]) -> str:
    return ", ".join(f"{percent:.0f}% {name}" for name, percent in shares.items())


def pair_sheet(before: Image.Image, result: LockResult, title: str) -> Image.Image:
    width, height = before.size
    sheet = Image.new("RGB", (2 * width, height + CAPTION_HEIGHT), "white")
    sheet.paste(before, (0, CAPTION_HEIGHT))
    sheet.paste(result.image, (width, CAPTION_HEIGHT))
    draw = ImageDraw.Draw(sheet)
    draw.text((6, 4), f"{title}   asked: {shares_text(result.asked)}", fill="black")
    draw.text((6, 24), f"before: {shares_text(result.shares_before)}", fill="black")
    after = f"after: {shares_text(result.shares_after)}"
    if result.unasked_before:
        after += "   recoloured unasked: " + ", ".join(f"{n} {p:.0f}%" for n, p in result.unasked_before.items() if p >= 0.5)
    draw.text((width + 6, 24), after, fill="black")
    return sheet


def overview(pairs: list[tuple[Image.Image, Image.Image]]) -> Image.Image:
    rows = (len(pairs) + OVERVIEW_COLUMNS - 1) // OVERVIEW_COLUMNS
    sheet = Image.new("RGB", (OVERVIEW_COLUMNS * (2 * OVERVIEW_SIDE + 8), rows * (OVERVIEW_SIDE + 8)), "white")
    for index, (before, after) in enumerate(pairs):
        x = (index % OVERVIEW_COLUMNS) * (2 * OVERVIEW_SIDE + 8)
        y = (index // OVERVIEW_COLUMNS) * (OVERVIEW_SIDE + 8)
        sheet.paste(before.resize((OVERVIEW_SIDE, OVERVIEW_SIDE), Image.LANCZOS), (x, y))
        sheet.paste(after.resize((OVERVIEW_SIDE, OVERVIEW_SIDE), Image.LANCZOS), (x + OVERVIEW_SIDE, y))
    return sheet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, help="folder holding manifest.csv")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR, help="folder for the sheets")
    parser.add_argument("--only", default="", help="only outputs whose file name contains this text")
    args = parser.parse_args(argv)
    manifest = args.data / "manifest.csv"
    if not manifest.is_file():
        print(f"error: manifest not found: {manifest} (the owner's data is not part of the repository)", file=sys.stderr)
        return 2
    if not args.out.is_dir():
        print(f"error: output folder {args.out} does not exist", file=sys.stderr)
        return 2
    with manifest.open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["file"].startswith("model_outputs/") and args.only in r["file"]]
    pairs = []
    for row in rows:
        if row["complete"].strip().lower() != "yes":
            print(f"skipped {row['file']}: label cut short", file=sys.stderr)
            continue
        try:
            mix = parse_mix(row["mix"]).normalized_shares()
        except MixError as error:
            print(f"skipped {row['file']}: {error}", file=sys.stderr)
            continue
        before = Image.open(args.data / row["file"]).convert("RGB")
        try:
            result = match_colors(before, mix)
        except ColorLockError as error:
            print(f"skipped {row['file']}: {error}", file=sys.stderr)
            continue
        stem = Path(row["file"]).stem
        path = args.out / f"{SHEET_PREFIX}{stem}.jpg"
        pair_sheet(before, result, stem).save(path, quality=92)
        pairs.append((before, result.image))
        print(f"wrote {path}", file=sys.stderr)
    if pairs and not args.only:
        path = args.out / f"{SHEET_PREFIX}overview.jpg"
        overview(pairs).save(path, quality=90)
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
