"""Before | after sheets of the colour lock on the owner's model outputs, for people to judge.

    python scripts/eval/color_lock_sheet.py [--data ../shared/data] [--out docs/images] [--only TEXT]

Writes docs/images/color_lock_<output>.jpg (the output before and after the lock, side by side,
with the asked mix and the analyzer's shares) and docs/images/color_lock_overview.jpg (all pairs,
smaller). The sheets hold the owner's images: docs/images/.gitignore keeps them out of git.
The drawing is rubber_tile_dev/evaluation/sheets.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

from rubber_tile.cli import UserError
from rubber_tile.lock import ColorLockError, LockResult, lock_colors
from rubber_tile.mix import MixError
from rubber_tile_dev.evaluation.owner_data import (
    DEFAULT_DATA_DIR,
    LABEL_CUT_SHORT,
    PROJECT_DIR,
    ManifestEntry,
    asked_mix,
    read_manifest,
)
from rubber_tile_dev.evaluation.sheets import lock_overview_sheet, lock_pair_sheet

DEFAULT_OUT_DIR = PROJECT_DIR / "docs" / "images"
SHEET_PREFIX = "color_lock_"  # matched by docs/images/.gitignore


def lock_entry(entry: ManifestEntry, data_dir: Path) -> tuple[Image.Image, LockResult]:
    """The output and its lock to the asked mix; UserError saying why it was skipped."""
    if not entry.complete:
        raise UserError(LABEL_CUT_SHORT)
    try:
        mix = asked_mix(entry)
    except MixError as error:
        raise UserError(str(error)) from None
    before = Image.open(data_dir / entry.file).convert("RGB")
    try:
        return before, lock_colors(before, mix)
    except ColorLockError as error:
        raise UserError(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, help="folder holding manifest.csv")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR, help="folder for the sheets")
    parser.add_argument("--only", default="", help="only outputs whose file name contains this text")
    args = parser.parse_args(argv)
    try:
        entries = [e for e in read_manifest(args.data) if e.is_model_output and args.only in e.file]
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not args.out.is_dir():
        print(f"error: output folder {args.out} does not exist", file=sys.stderr)
        return 2
    pairs = []
    for entry in entries:
        try:
            before, result = lock_entry(entry, args.data)
        except UserError as error:
            print(f"skipped {entry.file}: {error}", file=sys.stderr)
            continue
        stem = Path(entry.file).stem
        path = args.out / f"{SHEET_PREFIX}{stem}.jpg"
        lock_pair_sheet(before, result, stem).save(path, quality=92)
        pairs.append((before, result.image))
        print(f"wrote {path}", file=sys.stderr)
    if pairs and not args.only:
        path = args.out / f"{SHEET_PREFIX}overview.jpg"
        lock_overview_sheet(pairs).save(path, quality=90)
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
