"""Check the preview renderer against its targets and write the numbers to docs/preview_quality.md.

    python scripts/eval/evaluate_preview.py [--seeds 3] [--photos ../shared/data/photos] [--no-speed]

Proportions: every test mix (2-4 colours, the mixes the owner asked the model for and the mixes
of the owner's photos), both framings, several seeds, measured back with the colour analyzer
(target: mean absolute error <= 1.5 pp) and with a plain nearest-palette count over the whole
face, gaps included (target: within 5 pp).
Realism: each colour's lit CIELAB measured on the render as scripts/eval/build_palette.py measures
the photos (target: deltaE <= 3 from the palette); the median visible granule area at the standard
grade against the owner's photos at the same scale (target: within 25%); the lightness
distribution of single-colour renders against the photos (for information).
Speed: scripts/bench/bench_preview.py at 512, 1024 and 2048 px.

The parts that need the owner's photos are skipped, with the reason, where they are absent.
Only numbers are written, never pixels. The generated part of docs/preview_quality.md sits
between two marker lines; the hand-written text around it is kept. The measurements are
rubber_tile_dev/evaluation/preview_*.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rubber_tile.colors.palette import load_palette
from rubber_tile_dev.evaluation.owner_data import DEFAULT_PHOTOS_DIR, PROJECT_DIR
from rubber_tile_dev.evaluation.preview_report import BEGIN_MARKER, END_MARKER, REPORT_TITLE, generated_lines
from rubber_tile_dev.evaluation.reports import write_generated_part

REPORT_PATH = PROJECT_DIR / "docs" / "preview_quality.md"


def progress(step: str) -> None:
    print(step, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per mix and framing (default 3)")
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS_DIR, help="the owner's photos, if present")
    parser.add_argument("--no-speed", action="store_true", help="skip the timing runs")
    parser.add_argument("--speed-repeats", type=int, default=9)
    parser.add_argument("--report", type=Path, default=REPORT_PATH, help="markdown file to update")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")

    speed_repeats = None if args.no_speed else args.speed_repeats
    generated = generated_lines(load_palette(), args.seeds, args.photos, speed_repeats, progress)
    print("\n".join(generated))
    try:
        write_generated_part(args.report, generated, begin=BEGIN_MARKER, end=END_MARKER, title=REPORT_TITLE)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"updated {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
