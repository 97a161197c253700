"""Run the colour analyzer over the owner's manifest and write a markdown accuracy report.

    python scripts/eval/evaluate_colors.py [--data ../shared/data] [--out docs/color_accuracy.md]

Photos: the mix in the manifest is the truth (by mass). Model outputs: the mix that was asked;
the report says how far the deployed model is from it. The measurements are
rubber_tile_dev/evaluation/color_accuracy.py and held_out.py; the text is color_accuracy_report.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rubber_tile.cli import UserError
from rubber_tile.colors.palette import load_palette
from rubber_tile_dev.evaluation.color_accuracy import evaluate_entry
from rubber_tile_dev.evaluation.color_accuracy_report import render_report
from rubber_tile_dev.evaluation.held_out import held_out_check
from rubber_tile_dev.evaluation.owner_data import DEFAULT_DATA_DIR, PROJECT_DIR, read_manifest, require_files

DEFAULT_REPORT = PROJECT_DIR / "docs" / "color_accuracy.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, help="folder holding manifest.csv")
    parser.add_argument("--out", type=Path, default=DEFAULT_REPORT, help="markdown report to write")
    args = parser.parse_args(argv)
    try:
        entries = read_manifest(args.data)
        require_files(args.data, [entry.file for entry in entries])
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    palette = load_palette()
    results = [evaluate_entry(entry, args.data, palette) for entry in entries]
    held_out = held_out_check(args.data, entries)
    command = "python scripts/eval/evaluate_colors.py" + ("" if args.out == DEFAULT_REPORT else f" --out {args.out}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_report(results, held_out, palette, command), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
