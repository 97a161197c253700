"""Measure the colour lock on the owner's model outputs and write docs/color_lock.md.

    python scripts/eval/evaluate_color_lock.py [--data ../shared/data] [--out docs/color_lock.md]

For every model output whose label is complete and names known colours: the analyzer's shares
and a plain nearest-palette count (every pixel, gaps included, to the nearest asked colour's
palette colour) before and after the lock, SSIM of the CIELAB lightness between before and
after (and its structure term alone), how even the result is over a 4 x 4 grid of blocks, and
the lock's time (rubber_tile_dev/evaluation/lock_quality.py). The generated part of the report sits
between two marker lines; text outside them is kept when the report is written again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rubber_tile.cli import UserError
from rubber_tile.colors.palette import load_palette
from rubber_tile_dev.evaluation.lock_quality import lockable_outputs, score_lock
from rubber_tile_dev.evaluation.lock_report import BEGIN_MARKER, END_MARKER, REPORT_TITLE, render
from rubber_tile_dev.evaluation.owner_data import DEFAULT_DATA_DIR, PROJECT_DIR, read_manifest, require_files
from rubber_tile_dev.evaluation.reports import write_generated_part
from rubber_tile_dev.evaluation.scoring import mean_abs_error

DEFAULT_REPORT = PROJECT_DIR / "docs" / "color_lock.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, help="folder holding manifest.csv")
    parser.add_argument("--out", type=Path, default=DEFAULT_REPORT, help="markdown report to write")
    args = parser.parse_args(argv)
    try:
        lockable, skipped = lockable_outputs(read_manifest(args.data))
        require_files(args.data, [file for file, _ in lockable])
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    palette = load_palette()
    scored = []
    for file, mix in lockable:
        scored.append(score_lock(file, mix, args.data, palette))
        after = mean_abs_error(scored[-1].analyzer_after, scored[-1].asked)
        print(f"{Path(file).name}: {after:.2f} pp, SSIM {scored[-1].ssim:.3f}", file=sys.stderr)
    command = "python scripts/eval/evaluate_color_lock.py" + (
        "" if args.out == DEFAULT_REPORT else f" --out {args.out}"
    )
    try:
        write_generated_part(
            args.out, render(scored, skipped, command), begin=BEGIN_MARKER, end=END_MARKER, title=REPORT_TITLE
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
