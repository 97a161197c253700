"""Render every recipe of a CSV: images, a contact sheet with names and measured shares, a JSON and a CSV.

    python scripts/catalogue.py RECIPES.csv --out catalogue/                  # the preview renderer
    python scripts/catalogue.py RECIPES.csv --out catalogue/ --backend sdxl   # the trained model (model_files/)
    REPLICATE_API_TOKEN=... REPLICATE_MODEL_VERSION=... python scripts/catalogue.py RECIPES.csv --out c/ --backend replicate

RECIPES.csv: a header with name and mix, optionally seed, grade, framing, view, e.g.
    name,mix,seed,grade
    Осень,"45% terracotta, 35% sand, 20% black",42,standard
Bad rows are reported by line and skipped; the rest are rendered. Exit status 1 when any row was skipped.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tqdm import tqdm

from rubber_tile.backend import BackendError
from rubber_tile.catalogue import (
    CatalogueError,
    PreviewRenderer,
    ReplicateRenderer,
    SdxlRenderer,
    TileRenderer,
    contact_sheet,
    read_recipes,
    render_catalogue,
    write_tables,
)
from rubber_tile.request import SIZE_MAX, SIZE_MIN
from rubber_tile.sdxl.weight_files import WeightsError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recipes", type=Path, help="CSV with name and mix columns")
    parser.add_argument("--out", type=Path, required=True, help="folder for images/, contact_sheet.png, catalogue.json/.csv")
    parser.add_argument("--backend", choices=("preview", "sdxl", "replicate"), default="preview")
    parser.add_argument("--size", type=int, default=1024, help=f"image side in px, {SIZE_MIN}-{SIZE_MAX}, a multiple of 8")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs, CI)")
    args = parser.parse_args(argv)
    if not SIZE_MIN <= args.size <= SIZE_MAX or args.size % 8:
        parser.error(f"--size must be {SIZE_MIN}-{SIZE_MAX} and a multiple of 8, got {args.size}")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} is a file; give a folder")
    return args


def make_renderer(backend: str) -> TileRenderer:
    if backend == "preview":
        return PreviewRenderer()
    if backend == "sdxl":
        return SdxlRenderer(dict(os.environ))
    token, version = os.environ.get("REPLICATE_API_TOKEN", ""), os.environ.get("REPLICATE_MODEL_VERSION", "")
    if not token or not version:
        raise BackendError("--backend replicate needs REPLICATE_API_TOKEN and REPLICATE_MODEL_VERSION in the environment")
    import replicate

    return ReplicateRenderer(version, replicate.Client(api_token=token))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        recipes, problems = read_recipes(args.recipes)
        renderer = make_renderer(args.backend)
    except (CatalogueError, BackendError, WeightsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"skipped {problem}", file=sys.stderr)

    def progress(items):
        return tqdm(items, desc=f"{args.backend} {args.size}px", unit="recipe", disable=args.no_progress, file=sys.stderr)

    run = render_catalogue(recipes, renderer, args.out, args.size, progress=progress)
    run.problems[:0] = problems
    for problem in run.problems[len(problems):]:
        print(f"skipped {problem}", file=sys.stderr)
    json_path, csv_path = write_tables(run, args.out)
    print(f"{len(run.entries)} rendered, {len(run.problems)} skipped; {json_path}, {csv_path}")
    if run.entries:
        sheet_path = args.out / "contact_sheet.png"
        contact_sheet(run.entries).save(sheet_path)
        print(f"contact sheet: {sheet_path}")
    return 1 if run.problems else 0


if __name__ == "__main__":
    sys.exit(main())
