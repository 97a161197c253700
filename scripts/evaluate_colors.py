"""Run the colour analyzer over the owner's manifest and write a markdown accuracy report.

    python scripts/evaluate_colors.py [--data ../shared/data] [--out docs/color_accuracy.md]

Photos: the recipe in the file name is the truth (by mass). Model outputs: the mix that was
asked for; the report says how far the deployed model is from it.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from color_analyzer import as_rgb_array, classify_pixels, find_tile_face, measure_shares  # noqa: E402
from build_palette import measure_pixels, palette_document  # noqa: E402
from palette import Palette, load_palette, parse_palette, srgb_to_lab  # noqa: E402
from prompt_builder import MixError, parse_mix  # noqa: E402

DEFAULT_DATA_DIR = PROJECT_DIR.parent / "shared" / "data"
DEFAULT_REPORT = PROJECT_DIR / "docs" / "color_accuracy.md"
# A photo whose measured shares fit the recipe with its percentages moved between its own
# colours better than this (mean pp) than as named is flagged as probably mislabelled.
MISLABEL_MARGIN_PP = 5.0
# Confusable pair: a single-colour photo measured as a mix of its colour and the other takes
# at least this share for the other colour.
CONFUSION_SHARE = 5.0
# Palette colours whose typical colours are closer than this (CIELAB delta E 1976) are listed as near pairs.
NEAR_PAIR_DELTA_E = 15.0


@dataclass(frozen=True)
class ManifestEntry:
    file: str
    kind: str
    mix_text: str
    complete: bool


@dataclass(frozen=True)
class MixScore:
    measured: dict[str, float]
    requested: dict[str, float]
    errors: dict[str, float]  # measured - requested, pp
    best_permuted_mean: float  # mean error if the recipe's percentages were reassigned among its colours

    @property
    def mean_abs(self) -> float:
        return statistics.fmean(abs(e) for e in self.errors.values())

    @property
    def max_abs(self) -> float:
        return max(abs(e) for e in self.errors.values())

    @property
    def probably_mislabelled(self) -> bool:
        return self.mean_abs > self.best_permuted_mean + MISLABEL_MARGIN_PP


@dataclass(frozen=True)
class EntryResult:
    entry: ManifestEntry
    requested: dict[str, float] | None
    problem: str  # why the entry could not be scored against its mix; empty when it could
    given: MixScore | None
    baseline: MixScore | None
    open_shares: dict[str, float]
    right_fraction: float | None  # single-colour photos: share of granule pixels labelled right
    seconds: float


def read_manifest(path: Path) -> list[ManifestEntry]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            ManifestEntry(row["file"], row["kind"], row["mix"], row["complete"].strip().lower() == "yes")
            for row in csv.DictReader(handle)
        ]


def score_mix(measured: dict[str, float], requested: dict[str, float]) -> MixScore:
    errors = {name: measured.get(name, 0.0) - percent for name, percent in requested.items()}
    names = list(requested)
    best = min(
        statistics.fmean(abs(measured.get(name, 0.0) - percent) for name, percent in zip(names, permutation))
        for permutation in itertools.permutations(requested.values())
    )
    return MixScore(measured, requested, errors, best)


def nearest_color_baseline(rgb: np.ndarray, colors: list[str], palette: Palette) -> dict[str, float]:
    """The plain method: central half of the image, each pixel to the nearest typical colour (CIELAB)."""
    height, width = rgb.shape[:2]
    centre = rgb[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4].reshape(-1, 3)
    lab = srgb_to_lab(centre)
    distance = ((lab[:, None, :] - palette.lab_array(colors)[None, :, :]) ** 2).sum(axis=2)
    counts = np.bincount(distance.argmin(axis=1), minlength=len(colors))
    return {name: 100.0 * c / counts.sum() for name, c in zip(colors, counts)}


def evaluate_entry(entry: ManifestEntry, data_dir: Path, palette: Palette) -> EntryResult:
    rgb = as_rgb_array(Image.open(data_dir / entry.file))
    requested: dict[str, float] | None = None
    problem = ""
    if not entry.complete:
        problem = "label cut short"
    else:
        try:
            requested = parse_mix(entry.mix_text).normalized_shares()
        except MixError as error:
            problem = str(error).split(":")[0]
    started = time.perf_counter()
    open_result = measure_shares(rgb)
    seconds = time.perf_counter() - started
    given = baseline = None
    right_fraction = None
    if requested is not None:
        given = score_mix(measure_shares(rgb, list(requested)).shares, requested)
        baseline = score_mix(nearest_color_baseline(rgb, list(requested), palette), requested)
        if len(requested) == 1:
            labels, _ = classify_pixels(rgb)
            (name,) = requested
            granule = labels.labels >= 0
            right = labels.mask(name).sum() if name in labels.colors else 0
            right_fraction = float(right / granule.sum())
    return EntryResult(entry, requested, problem, given, baseline, open_result.shares, right_fraction, seconds)


@dataclass(frozen=True)
class HeldOutResult:
    """Single-colour photos split in two: appearance models fitted on the left half of every
    photo, the right halves measured with them (so no photo is measured with its own model)."""

    right_fraction: dict[str, float]  # colour -> share of its right half labelled with it, open mode
    open_shares: dict[str, dict[str, float]]  # colour -> open-mode shares of its right half
    pairs: list[tuple[str, str, float]]  # (colour, other, share the other takes in a two-colour fit)


def face_halves(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Left and right halves of the largest face-only rectangle of a photo (no background left)."""
    face = find_tile_face(rgb)
    rows, cols = np.flatnonzero(face.any(axis=1)), np.flatnonzero(face.any(axis=0))
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    while not face[top:bottom, left:right].all():
        top, bottom, left, right = top + 1, bottom - 1, left + 1, right - 1
        if bottom - top < 16 or right - left < 16:
            raise ValueError("no face-only rectangle found")
    box = rgb[top:bottom, left:right]
    middle = box.shape[1] // 2
    return box[:, :middle], box[:, middle:]


def single_color_photos(entries: list[ManifestEntry]) -> list[tuple[str, ManifestEntry]]:
    photos = []
    for entry in entries:
        if entry.kind != "photo":
            continue
        try:
            requested = parse_mix(entry.mix_text).shares
        except MixError:
            continue
        if len(requested) == 1:
            photos.append((next(iter(requested)), entry))
    return photos


def held_out_check(data_dir: Path, entries: list[ManifestEntry]) -> HeldOutResult | None:
    photos = single_color_photos(entries)
    if {name for name, _ in photos} != set(load_palette().names):
        return None  # the palette needs every colour's photo
    left_entries, right_halves = [], {}
    for name, entry in photos:
        left, right = face_halves(as_rgb_array(Image.open(data_dir / entry.file)))
        left_entries.append({"name": name, "code": "", **measure_pixels(srgb_to_lab(left.reshape(-1, 3)))})
        right_halves[name] = right
    held_out = parse_palette(palette_document(left_entries))
    right_fraction, open_shares, pairs = {}, {}, []
    for name, right in right_halves.items():
        labels, shares = classify_pixels(right, palette=held_out)
        granule = labels.labels >= 0
        right_fraction[name] = float(labels.mask(name).sum() / granule.sum()) if name in labels.colors else 0.0
        open_shares[name] = shares.shares
        for other in held_out.names:
            if other != name:
                share = measure_shares(right, [name, other], palette=held_out).shares[other]
                if share >= CONFUSION_SHARE:
                    pairs.append((name, other, share))
    return HeldOutResult(right_fraction, open_shares, sorted(pairs, key=lambda pair: -pair[2]))


def format_shares(shares: dict[str, float]) -> str:
    return ", ".join(f"{percent:.0f}% {name}" for name, percent in shares.items())


def format_errors(score: MixScore) -> str:
    return ", ".join(f"{name} {error:+.1f}" for name, error in score.errors.items())


def open_mode_counts(results: list[EntryResult]) -> tuple[int, int, int, dict[str, int], dict[str, int]]:
    true_positive = false_positive = false_negative = 0
    extra: dict[str, int] = {}
    missed: dict[str, int] = {}
    for result in results:
        found = set(result.open_shares)
        truth = set(result.requested or {})
        true_positive += len(found & truth)
        false_positive += len(found - truth)
        false_negative += len(truth - found)
        for name in found - truth:
            extra[name] = extra.get(name, 0) + 1
        for name in truth - found:
            missed[name] = missed.get(name, 0) + 1
    return true_positive, false_positive, false_negative, extra, missed


def ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else float("nan")


def per_colour_mean_abs(scores: list[MixScore]) -> float:
    return statistics.fmean(abs(e) for score in scores for e in score.errors.values()) if scores else float("nan")


def render_report(results: list[EntryResult], held_out: HeldOutResult | None, command: str) -> str:
    photos = [r for r in results if r.entry.kind == "photo" and r.given is not None]
    multi = [r for r in photos if len(r.requested or {}) > 1]
    single = [r for r in photos if len(r.requested or {}) == 1]
    outputs = [r for r in results if r.entry.kind != "photo"]
    scored_outputs = [r for r in outputs if r.given is not None]
    flagged = [r for r in multi if r.given.probably_mislabelled]
    clean = [r for r in multi if not r.given.probably_mislabelled]
    tp, fp, fn, extra, missed = open_mode_counts(multi)
    right_at_95 = [r for r in single if r.right_fraction is not None and r.right_fraction >= 0.95]
    timings = [r.seconds * 1000 for r in results]

    def summary_row(label: str, rows: list[EntryResult]) -> str:
        if not rows:
            return f"| {label} | 0 | - | - | - | - |"
        given = [r.given for r in rows]
        baseline = [r.baseline for r in rows]
        worst = max(rows, key=lambda r: r.given.mean_abs)
        return (
            f"| {label} | {len(rows)} | {per_colour_mean_abs(given):.2f} | {worst.given.mean_abs:.2f} "
            f"({Path(worst.entry.file).name}) | {sum(r.given.mean_abs > 6 for r in rows)} | {per_colour_mean_abs(baseline):.2f} |"
        )

    lines = [
        "# Colour accuracy of the analyzer",
        "",
        f"Generated by `{command}` (scripts/evaluate_colors.py); re-run it to refresh. "
        "Percentages are shares of the tile's granule area; errors are measured minus asked, in percentage points (pp).",
        "",
        "## Summary",
        "",
        "Multi-colour photos, colours given (truth = the maker's recipe in the file name):",
        "",
        "| images | n | mean abs error per colour (pp) | worst image mean (pp) | images with mean > 6 pp | nearest-colour baseline, central crop (pp) |",
        "|---|---|---|---|---|---|",
        summary_row("all, as named", multi),
        summary_row(f"not flagged as mislabelled (flag: named error > best reassignment + {MISLABEL_MARGIN_PP:g} pp)", clean),
        summary_row("flagged as probably mislabelled", flagged),
        "",
        f"Open mode on the same photos (no colour list): precision {ratio(tp, tp + fp):.2f}, recall {ratio(tp, tp + fn):.2f} "
        f"({tp} right, {fp} extra, {fn} missed colour reports).",
        f"Extra colours reported: {', '.join(f'{k} x{v}' for k, v in sorted(extra.items(), key=lambda i: -i[1])) or 'none'}. "
        f"Colours missed: {', '.join(f'{k} x{v}' for k, v in sorted(missed.items(), key=lambda i: -i[1])) or 'none'}.",
        "",
        f"Single-colour photos, open mode: {len(right_at_95)} of {len(single)} colours have >= 95% of the granule pixels "
        "labelled with the right colour in-sample (palette measured on these photos); held out (palette from the left "
        "halves, right halves measured): "
        + (
            "not measured"
            if held_out is None
            else f"{sum(f >= 0.95 for f in held_out.right_fraction.values())} of {len(held_out.right_fraction)}"
        )
        + ".",
        "",
        f"Model outputs (complete labels that name known colours): {len(scored_outputs)} scored, "
        f"mean abs error per colour {per_colour_mean_abs([r.given for r in scored_outputs]):.1f} pp; "
        f"{len(outputs) - len(scored_outputs)} not scored (label cut short or not a known colour).",
        "",
        f"Analyzer time per image in open mode on this machine: median {statistics.median(timings):.0f} ms "
        f"(photos 640 px, outputs 512 px); see scripts/bench_analyzer.py for 1024 px.",
        "",
        "## Multi-colour photos, colours given",
        "",
        "| photo | recipe | measured | error pp | mean abs pp | baseline mean pp | flag |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in multi:
        flag = "probably mislabelled" if r.given.probably_mislabelled else ""
        lines.append(
            f"| {Path(r.entry.file).name} | {format_shares(r.requested)} | {format_shares(r.given.measured)} | "
            f"{format_errors(r.given)} | {r.given.mean_abs:.1f} | {r.baseline.mean_abs:.1f} | {flag} |"
        )
    lines += [
        "",
        "## Open mode on the multi-colour photos",
        "",
        "| photo | recipe | found (open mode) |",
        "|---|---|---|",
    ]
    lines += [f"| {Path(r.entry.file).name} | {format_shares(r.requested)} | {format_shares(r.open_shares)} |" for r in multi]
    lines += [
        "",
        "## Single-colour photos, open mode",
        "",
        "In-sample: the palette was measured on these very photos. Held out: every photo cut in two, the palette "
        "fitted on the left halves and the right halves measured with it.",
        "",
        "| photo | colour | pixels labelled right (in-sample) | found (in-sample) | pixels labelled right (held out) | found (held out) |",
        "|---|---|---|---|---|---|",
    ]
    for r in single:
        (name,) = r.requested
        held = "-" if held_out is None else f"{100 * held_out.right_fraction[name]:.1f}%"
        held_found = "-" if held_out is None else format_shares(held_out.open_shares[name])
        lines.append(
            f"| {Path(r.entry.file).name} | {name} | {100 * r.right_fraction:.1f}% | {format_shares(r.open_shares)} | "
            f"{held} | {held_found} |"
        )
    lines += [
        "",
        "## Confusable pairs",
        "",
        "Held out as above: the right half of each single-colour photo measured as a two-colour mix of its own colour "
        f"and each other palette colour, listed where the other colour takes >= {CONFUSION_SHARE:g}% "
        "(asked for a mix of the two, the analyzer would misread a tile of the first colour by that much).",
        "",
        "| photo colour | other colour | share given to the other |",
        "|---|---|---|",
    ]
    if held_out is None:
        lines.append("| not measured: the manifest lacks some single-colour photo | | |")
    else:
        lines += [f"| {a} | {b} | {share:.0f}% |" for a, b, share in held_out.pairs] or ["| none | | |"]
    lines += [
        "",
        "## Model outputs: how far the deployed SDXL model is from the asked mix",
        "",
        "| output | asked | measured (colours given) | error pp | mean abs pp | found (open mode) |",
        "|---|---|---|---|---|---|",
    ]
    for r in outputs:
        if r.given is None:
            lines.append(f"| {Path(r.entry.file).name} | {r.entry.mix_text} | not scored: {r.problem} | | | {format_shares(r.open_shares)} |")
        else:
            lines.append(
                f"| {Path(r.entry.file).name} | {format_shares(r.requested)} | {format_shares(r.given.measured)} | "
                f"{format_errors(r.given)} | {r.given.mean_abs:.1f} | {format_shares(r.open_shares)} |"
            )
    lines += near_pairs_section(load_palette())
    lines += findings_section(multi, flagged, scored_outputs)
    return "\n".join(lines) + "\n"


def near_pairs_section(palette: Palette) -> list[str]:
    lab = palette.lab_array()
    distance = np.linalg.norm(lab[:, None, :] - lab[None, :, :], axis=2)
    pairs = sorted(
        (distance[i, j], palette.names[i], palette.names[j])
        for i in range(len(lab))
        for j in range(i + 1, len(lab))
        if distance[i, j] < NEAR_PAIR_DELTA_E
    )
    return [
        "",
        "## Near colours in the palette",
        "",
        f"Palette colours whose typical colours lie closer than delta E {NEAR_PAIR_DELTA_E:g} (CIELAB 1976). Their "
        "granules overlap in colour (shading spreads each colour over 10-20 units of lightness), so a mix of two of "
        "them is measured statistically rather than granule by granule, and a change of lighting between photos "
        "moves shares between them:",
        "",
        "| colour | colour | delta E |",
        "|---|---|---|",
        *[f"| {a} | {b} | {d:.1f} |" for d, a, b in pairs],
    ]


def findings_section(multi: list[EntryResult], flagged: list[EntryResult], outputs: list[EntryResult]) -> list[str]:
    tp, fp, fn, extra, missed = open_mode_counts(multi)
    relabelled = min(extra.get("green apple", 0), missed.get("dark green", 0))
    asked = [(name, percent, r.given.measured.get(name, 0.0)) for r in outputs for name, percent in r.requested.items()]
    dropped = [item for item in asked if item[1] >= 10.0 and item[2] < 2.0]
    multi_colour_outputs = [r for r in outputs if len(r.requested) > 1]
    return [
        "",
        "## What the numbers say",
        "",
        f"- Recipe versus area. The truth for the photos is the maker's recipe by mass. On the {len(multi) - len(flagged)} "
        f"photos not flagged the analyzer is within {per_colour_mean_abs([r.given for r in multi if r not in flagged]):.1f} pp "
        "per colour on average. In the black/white series black reads about 2-3 pp above its recipe share between 15% and 75% "
        "black: white granules that are denser than black ones (more filler) would do that, and so would shaded white "
        "facets read as black; these photos cannot tell the two apart.",
        f"- Mislabelled photos. {len(flagged)} photos of the blue / dark green / red series read as their recipe with two "
        "colours' percentages exchanged (flag column). Looking at them confirms it where the swap is large: "
        "BLUEp10_DKGREENp80_REDp10_top.jpg is visibly mostly blue and BLUEp60_DKGREENp10_REDp30_top.jpg mostly green. "
        "These are data errors, not analyzer errors, and they also sit in the model's training set.",
        "- 'Dark green' in the mix photos is another green. In every blue / dark green / red (/ yellow) photo the granules "
        "named DKGREEN are a bright green (about L 73, a -50, b 32) that matches the GRNAPL (green apple) photo, not the "
        "DKGREEN photo (L 54, a -26, b 7). Given the colour list the analyzer still counts them as dark green (the nearest "
        "listed colour, allowed to shift); open mode calls them green apple: "
        f"{extra.get('green apple', 0)} of the extra reports are green apple and {missed.get('dark green', 0)} of the "
        f"missed ones dark green. Counting those as right, open mode's precision would be "
        f"{ratio(tp + relabelled, tp + fp):.2f} and its recall {ratio(tp + relabelled, tp + fn):.2f}.",
        "- The mix photos are rendered differently from the single-colour photos: brighter (red, yellow and blue about "
        "+7 to +10 L) and their blue sits between the blue and sky blue photos (closer to sky blue in CIELAB). Open mode "
        "therefore often names it sky blue. Colours given, the per-image colour shift absorbs this. Near pairs "
        "(listed above) move the same way: white in the black/white series sometimes reads as pearl.",
        f"- The deployed model. Over {len(outputs)} scored outputs ({len(multi_colour_outputs)} with two or more colours) "
        f"the mean error per colour is {per_colour_mean_abs([r.given for r in outputs]):.1f} pp "
        f"(single-colour asks score 0 by construction; {per_colour_mean_abs([r.given for r in multi_colour_outputs]):.1f} pp "
        f"over the multi-colour asks). {len(dropped)} of the {sum(1 for a in asked if a[1] >= 10.0)} colours asked for at "
        "10% or more are practically absent (< 2%), and some outputs are not granule textures at all (paving slabs, "
        "smooth surfaces). This is the baseline a proportion lock has to beat.",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, help="folder holding manifest.csv")
    parser.add_argument("--out", type=Path, default=DEFAULT_REPORT, help="markdown report to write")
    args = parser.parse_args(argv)
    manifest = args.data / "manifest.csv"
    if not manifest.is_file():
        print(f"error: manifest not found: {manifest} (the owner's data is not part of the repository)", file=sys.stderr)
        return 2
    palette = load_palette()
    entries = read_manifest(manifest)
    results = []
    for entry in entries:
        if not (args.data / entry.file).is_file():
            print(f"error: {entry.file} is in the manifest but not in {args.data}", file=sys.stderr)
            return 2
        results.append(evaluate_entry(entry, args.data, palette))
    held_out = held_out_check(args.data, entries)
    command = "python scripts/evaluate_colors.py" + ("" if args.out == DEFAULT_REPORT else f" --out {args.out}")
    report = render_report(results, held_out, command)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
