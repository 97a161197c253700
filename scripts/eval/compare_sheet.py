"""Side-by-side sheets of the owner's real tile photos and the preview renderer's image of the same mix.

    python scripts/eval/compare_sheet.py [--photos ../shared/data/photos] [--out docs/images] [--seed 0]
                                         [--only BLACKp30_WHITEp70_top.jpg ...]

For every photo in the data folder's manifest.csv (beside --photos), with the mix of its `mix`
column (the corrected labels, never the file name), it writes compare_<photo name>.jpg: the real
photo and the preview (product-photo framing, same size) side by side, and below them the centre
of each enlarged 3x.
It also writes compare_overview.jpg (a few mixes, small) for a quick look.

The sheets contain the owner's photos: docs/images/.gitignore keeps compare_*.jpg out of git.
Never commit them. Without the photos the script says so and does nothing.

It also writes preview_examples.jpg, which holds previews only (no owner data), for the docs.
The drawing is rubber_tile_dev/evaluation/sheets.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rubber_tile.cli import UserError
from rubber_tile_dev.evaluation.owner_data import DEFAULT_PHOTOS_DIR, PROJECT_DIR, PhotoMix, asked_mix, read_manifest
from rubber_tile_dev.evaluation.sheets import comparison_sheet, examples_sheet, overview_sheet

DEFAULT_OUT_DIR = PROJECT_DIR / "docs" / "images"


def manifest_photo_mixes(photos_dir: Path, only: list[str] | None) -> list[PhotoMix]:
    """The manifest's photos (in its order) that lie in photos_dir, with the manifest's mix; `only` keeps those names."""
    found = []
    for entry in read_manifest(photos_dir.parent):
        path = photos_dir / entry.name
        if entry.is_model_output or not entry.complete or not path.is_file() or (only and entry.name not in only):
            continue
        found.append(PhotoMix(path, asked_mix(entry)))
    return found


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
    try:
        photo_mixes = manifest_photo_mixes(args.photos, args.only)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not photo_mixes:
        print(f"error: the manifest beside {args.photos} lists none of these photos", file=sys.stderr)
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
