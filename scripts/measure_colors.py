"""Measure the colour shares of a tile image.

    python scripts/measure_colors.py IMAGE [--mix "50% red, 30% black, 20% white"] [--json]

With --mix the shares of those colours are measured and compared with the mix; without it the
palette colours present are found. --json prints one JSON object instead of a table.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rubber_tile.analyzer import ColorShares, measure_shares
from rubber_tile.cli import UserError, load_image, mix_option


def comparison(measured: dict[str, float], asked: dict[str, float]) -> dict[str, object]:
    errors = {name: measured.get(name, 0.0) - percent for name, percent in asked.items()}
    absolute = [abs(e) for e in errors.values()]
    return {
        "asked": asked,
        "error_pp": errors,
        "mean_abs_error_pp": sum(absolute) / len(absolute),
        "max_abs_error_pp": max(absolute),
    }


def report(
    image_path: Path, result: ColorShares, asked: dict[str, float] | None, found: ColorShares | None = None
) -> dict[str, object]:
    document: dict[str, object] = {
        "image": str(image_path),
        "measured": {name: round(percent, 2) for name, percent in result.shares.items()},
        "face_fraction": round(result.face_fraction, 4),
        "gap_fraction": round(result.gap_fraction, 4),
    }
    if asked is not None:
        compared = comparison(result.shares, asked)
        document["asked"] = compared["asked"]
        document["error_pp"] = {name: round(e, 2) for name, e in compared["error_pp"].items()}
        document["mean_abs_error_pp"] = round(compared["mean_abs_error_pp"], 2)
        document["max_abs_error_pp"] = round(compared["max_abs_error_pp"], 2)
        if found is not None:
            # Given a list, the analyzer gives every granule to one of its colours; say what else is there.
            document["found_outside_mix"] = {
                name: round(percent, 2) for name, percent in found.shares.items() if name not in asked
            }
    return document


def format_table(document: dict[str, object]) -> str:
    measured: dict[str, float] = document["measured"]  # type: ignore[assignment]
    asked: dict[str, float] | None = document.get("asked")  # type: ignore[assignment]
    lines = [f"{document['image']}: tile face {document['face_fraction']:.0%} of the image, gaps {document['gap_fraction']:.0%} of the face"]
    if asked is None:
        lines.append(f"{'colour':<14}{'measured %':>11}")
        lines += [f"{name:<14}{percent:>11.1f}" for name, percent in measured.items()]
    else:
        lines.append(f"{'colour':<14}{'asked %':>9}{'measured %':>12}{'error pp':>10}")
        errors: dict[str, float] = document["error_pp"]  # type: ignore[assignment]
        for name, percent in asked.items():
            lines.append(f"{name:<14}{percent:>9.1f}{measured.get(name, 0.0):>12.1f}{errors[name]:>+10.1f}")
        lines.append(
            f"mean absolute error {document['mean_abs_error_pp']:.1f} pp, largest {document['max_abs_error_pp']:.1f} pp"
        )
        outside: dict[str, float] = document.get("found_outside_mix") or {}  # type: ignore[assignment]
        if outside:
            found = ", ".join(f"{name} {percent:.0f}%" for name, percent in outside.items())
            lines.append(
                f"warning: the image also shows colours not in --mix ({found}, measured without a list); "
                "the shares above count them as the nearest listed colour"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", type=Path, help="tile image (photo or generated)")
    parser.add_argument("--mix", help='the mix the tile should show, e.g. "50%% red, 30%% black, 20%% white"')
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        asked = None if args.mix is None else dict(mix_option(args.mix).normalized)
        image = load_image(args.image)
        try:
            result = measure_shares(image, asked)
            found = None if asked is None else measure_shares(image)
        except ValueError as error:
            raise UserError(f"{args.image}: {error}") from None
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    document = report(args.image, result, asked, found)
    print(json.dumps(document, ensure_ascii=False) if args.json else format_table(document))
    return 0


if __name__ == "__main__":
    sys.exit(main())
