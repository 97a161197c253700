"""Recolour whole granules of a tile image so its colour shares match a mix (the colour lock).

    python scripts/lock_colors.py IMAGE --mix "60% red, 40% white" --out OUT.png [--json]

Prints the shares before and after (as the colour analyzer measures them), the granules moved,
and why the mix could not be reached where it could not. Exit status 2 on anything the user has
to fix (missing or unreadable image, bad mix, an image without granules, an unwritable output).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rubber_tile.cli import UserError, load_image, mix_option
from rubber_tile.lock import ColorLockError, LockResult, lock_colors

OUTPUT_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def check_output(path: Path) -> Path:
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise UserError(f"--out {path}: use one of {', '.join(OUTPUT_SUFFIXES)} (PNG keeps the pixels exactly)")
    if not path.parent.is_dir():
        raise UserError(f"--out {path}: folder {path.parent} does not exist")
    return path


def summary(image_path: Path, out_path: Path, result: LockResult, seconds: float) -> dict[str, object]:
    return {
        "image": str(image_path),
        "out": str(out_path),
        "asked": {name: round(p, 2) for name, p in result.asked.items()},
        "before": {name: round(p, 2) for name, p in result.shares_before.items()},
        "after": {name: round(p, 2) for name, p in result.shares_after.items()},
        "unasked_before": {name: round(p, 2) for name, p in result.unasked_before.items()},
        "corrected": list(result.corrected),
        "moves": [
            {"from": m.source, "to": m.target, "granules": m.granules, "percent": round(m.percent, 2)} for m in result.moves
        ],
        "granules": result.granule_count,
        "rounds": result.rounds,
        "matched": result.matched,
        "explanation": result.explanation,
        "seconds": round(seconds, 3),
    }


def format_text(document: dict[str, object]) -> str:
    asked: dict[str, float] = document["asked"]  # type: ignore[assignment]
    before: dict[str, float] = document["before"]  # type: ignore[assignment]
    after: dict[str, float] = document["after"]  # type: ignore[assignment]
    lines = [f"{document['image']} -> {document['out']} ({document['granules']} granules, {document['seconds']:.2f} s)"]
    lines.append(f"{'colour':<14}{'asked %':>9}{'before %':>10}{'after %':>9}")
    lines += [f"{name:<14}{asked[name]:>9.1f}{before[name]:>10.1f}{after[name]:>9.1f}" for name in asked]
    unasked: dict[str, float] = document["unasked_before"]  # type: ignore[assignment]
    if unasked:
        lines.append("colours not asked for, recoloured: " + ", ".join(f"{n} {p:.1f}%" for n, p in unasked.items()))
    if document["corrected"]:
        lines.append("drawn as another colour by the model, corrected: " + ", ".join(document["corrected"]))  # type: ignore[arg-type]
    for move in document["moves"]:  # type: ignore[union-attr]
        lines.append(f"moved {move['granules']} granules ({move['percent']:.1f}%) {move['from']} -> {move['to']}")
    if not document["matched"]:
        lines.append(f"not matched: {document['explanation']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", type=Path, help="tile image (a generated tile, full frame)")
    parser.add_argument("--mix", required=True, help='the mix to show, e.g. "60%% red, 40%% white"')
    parser.add_argument("--out", type=Path, required=True, help="where to write the recoloured image (.png)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        mix = mix_option(args.mix)
        out_path = check_output(args.out)
        image = load_image(args.image)
        started = time.perf_counter()
        try:
            result = lock_colors(image, mix)
        except ColorLockError as error:
            raise UserError(f"{args.image}: {error}") from None
        seconds = time.perf_counter() - started
        try:
            result.image.save(out_path)
        except OSError as error:
            raise UserError(f"cannot write {out_path}: {error}") from None
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    document = summary(args.image, out_path, result, seconds)
    print(json.dumps(document, ensure_ascii=False) if args.json else format_text(document))
    return 0


if __name__ == "__main__":
    sys.exit(main())
