"""Check the preview renderer against its targets and write the numbers to docs/preview_quality.md.

    python scripts/evaluate_preview.py [--seeds 3] [--photos ../shared/data/photos] [--no-speed]

Proportions: every test mix (2-4 colours, the mixes the owner asked the model for and the mixes
of the owner's photos), both framings, several seeds, measured back with the colour analyzer
(target: mean absolute error <= 1.5 pp) and with a plain nearest-palette count over the whole
face, gaps included (target: within 5 pp).
Realism: each colour's lit CIELAB measured on the render as scripts/build_palette.py measures the
photos (target: deltaE <= 3 from the palette); the median visible granule area at the standard
grade against the owner's photos at the same scale (target: within 25%); the lightness
distribution of single-colour renders against the photos (for information).
Speed: scripts/bench_preview.py at 512, 1024 and 2048 px.

The parts that need the owner's photos are skipped, with the reason, where they are absent.
Only numbers are written, never pixels. The generated part of docs/preview_quality.md sits
between two marker lines; the hand-written text around it is kept.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
sys.path.insert(0, str(PROJECT_DIR / "scripts"))

from color_analyzer import find_tile_face, measure_shares  # noqa: E402
from palette import Palette, load_palette, srgb_to_lab  # noqa: E402
from preview_renderer import FIRST_FLAKE_LABEL, FRAMINGS, RenderSettings, render_layers, render_tile  # noqa: E402
from tile_colors import COLOR_NAMES, color_by_name  # noqa: E402

DEFAULT_PHOTOS_DIR = PROJECT_DIR.parent / "shared" / "data" / "photos"
REPORT_PATH = PROJECT_DIR / "docs" / "preview_quality.md"
BEGIN_MARKER = "<!-- evaluate_preview.py: generated part begins -->"
END_MARKER = "<!-- evaluate_preview.py: generated part ends -->"

ANALYZER_TARGET_PP = 1.5
NEAREST_TARGET_PP = 5.0
DELTA_E_TARGET = 3.0
SIZE_TARGET_RATIO = 0.25
# Sizes: the full frame at the model's output size, the product photo at the photos' size.
FRAMING_SIZES = {"full_frame": 1024, "product_photo": 640}
# Measured like scripts/build_palette.py: lit granule pixels are the 25th-95th lightness percentiles.
LIT_PERCENTILES = (25.0, 95.0)
LIGHTNESS_PERCENTILES = (5, 10, 25, 50, 75, 95)
JPEG_QUALITY = 90  # the owner's photos are JPEGs; renders go through JPEG before granule sizing

# The mixes the owner asked the model for (data/model_outputs names) and the mixes of the photos.
TEST_MIXES: tuple[dict[str, float], ...] = (
    {"black": 30, "white": 70},
    {"black": 15, "white": 85},
    {"black": 5, "white": 95},
    {"red": 60, "white": 40},
    {"red": 50, "white": 50},
    {"red": 30, "blue": 70},
    {"red": 85, "blue": 15},
    {"grass green": 60, "yellow": 40},
    {"light green": 60, "blue": 40},
    {"dark green": 60, "light green": 40},
    {"red": 50, "black": 30, "pearl": 20},
    {"red": 60, "black": 20, "white": 20},
    {"blue": 10, "dark green": 30, "red": 60},
    {"blue": 33, "dark green": 33, "red": 34},
    {"brown": 50, "gray": 30, "white": 20},
    {"pearl": 50, "salmon": 30, "light gray": 20},
    {"salmon": 50, "orange": 30, "pink": 20},
    {"blue": 25, "dark green": 25, "red": 25, "yellow": 25},
    {"blue": 10, "dark green": 10, "red": 10, "yellow": 70},
    {"red": 40, "blue": 30, "grass green": 20, "white": 10},
    {"blue": 40, "light green": 30, "yellow": 20, "black": 10},
    {"dark green": 50, "yellow": 30, "blue": 10, "white": 10},
    {"beige": 40, "turquoise": 30, "sky blue": 20, "pearl": 10},
    {"sand": 40, "terracotta": 30, "khaki": 20, "brown": 10},
)
# Mixes of near neighbours in the palette, reported apart: they test the analyzer's limits as much
# as the renderer.
HARD_MIXES: tuple[dict[str, float], ...] = (
    {"dark gray": 50, "gray": 30, "light gray": 20},
    {"blue": 40, "sky blue": 30, "turquoise": 30},
    {"green apple": 70, "lime green": 30},
)
# SDXL outputs of one mix (data/model_outputs), for the full-frame scale: (glob, mix, minority colour)
SDXL_SCALE_OUTPUTS = (
    ("*_60pct_red_40pct_white_final_*.jpg", {"red": 60, "white": 40}, "white"),
    ("*_50pct_red_30pct_black_20pct_white_final_*.jpg", {"red": 50, "black": 30, "white": 20}, "white"),
)
# Photos with a colour in a small share: its granules mostly lie apart, so connected patches of it
# are single granules. (photo file, mix, the minority colour)
GRANULE_SIZE_PHOTOS = (
    ("BLACKp95_WHITEp5_top.jpg", {"black": 95, "white": 5}, "white"),
    ("BLACKp85_WHITEp15_top.jpg", {"black": 85, "white": 15}, "white"),
    ("REDp95_BLUEp5_top.jpg", {"red": 95, "blue": 5}, "blue"),
    ("REDp85_BLUEp15_top.jpg", {"red": 85, "blue": 15}, "blue"),
    ("REDp15_BLUEp85_top.jpg", {"red": 15, "blue": 85}, "red"),
)


def describe(mix: dict[str, float]) -> str:
    return ", ".join(f"{share:g}% {name}" for name, share in mix.items())


# ---------------------------------------------------------------------------------- proportions


@dataclass(frozen=True)
class ProportionResult:
    mix: dict[str, float]
    framing: str
    seed: int
    area_max_error_pp: float  # the renderer's own flake areas
    analyzer_mae_pp: float
    analyzer_max_pp: float
    nearest_mae_pp: float
    nearest_max_pp: float


def nearest_palette_shares(rgb: np.ndarray, names: list[str], palette: Palette) -> dict[str, float]:
    """Percent of the face's pixels (gaps included) nearest in CIELAB to each of the mix's colours."""
    face = find_tile_face(rgb)
    lab = srgb_to_lab(rgb[face])
    reference = palette.lab_array(names)
    nearest = np.argmin(((lab[:, None, :] - reference[None, :, :]) ** 2).sum(axis=2), axis=1)
    counts = np.bincount(nearest, minlength=len(names))
    return {name: 100.0 * counts[i] / counts.sum() for i, name in enumerate(names)}


def evaluate_proportions(mix: dict[str, float], framing: str, seed: int, palette: Palette) -> ProportionResult:
    rendered = render_layers(mix, RenderSettings(size=FRAMING_SIZES[framing], seed=seed, framing=framing), palette)
    rgb = np.asarray(rendered.image)
    names = list(mix)
    area = rendered.area_shares()
    measured = measure_shares(rgb, names, palette=palette).shares
    nearest = nearest_palette_shares(rgb, names, palette)
    analyzer_errors = [abs(measured[name] - mix[name]) for name in names]
    nearest_errors = [abs(nearest[name] - mix[name]) for name in names]
    return ProportionResult(
        mix=mix,
        framing=framing,
        seed=seed,
        area_max_error_pp=max(abs(area[name] - mix[name]) for name in names),
        analyzer_mae_pp=float(np.mean(analyzer_errors)),
        analyzer_max_pp=max(analyzer_errors),
        nearest_mae_pp=float(np.mean(nearest_errors)),
        nearest_max_pp=max(nearest_errors),
    )


def proportions_section(title: str, results: list[ProportionResult], mixes: tuple[dict[str, float], ...]) -> list[str]:
    lines = [
        f"### {title}",
        "",
        "Per mix: worst over framings and seeds. Analyzer: `measure_shares(image, colours)`, mean absolute "
        "error over the mix's colours. Nearest: plain nearest-palette count (CIELAB) of every face pixel, "
        "gaps included. Area: the renderer's own flake areas.",
        "",
        "| mix | area, max pp | analyzer MAE pp (full frame / photo) | nearest max pp (full frame / photo) |",
        "|---|---:|---:|---:|",
    ]
    for mix in mixes:
        rows = [r for r in results if r.mix == mix]
        by_framing = {f: [r for r in rows if r.framing == f] for f in FRAMINGS}
        analyzer = " / ".join(f"{max(r.analyzer_mae_pp for r in by_framing[f]):.2f}" for f in FRAMINGS)
        nearest = " / ".join(f"{max(r.nearest_max_pp for r in by_framing[f]):.1f}" for f in FRAMINGS)
        lines.append(f"| {describe(mix)} | {max(r.area_max_error_pp for r in rows):.3f} | {analyzer} | {nearest} |")
    analyzer_ok = sum(r.analyzer_mae_pp <= ANALYZER_TARGET_PP for r in results)
    nearest_ok = sum(r.nearest_max_pp <= NEAREST_TARGET_PP for r in results)
    nearest_mae_ok = sum(r.nearest_mae_pp <= NEAREST_TARGET_PP for r in results)
    lines += [
        "",
        f"- renders: {len(results)}; analyzer MAE <= {ANALYZER_TARGET_PP} pp: {analyzer_ok}/{len(results)} "
        f"(worst {max(r.analyzer_mae_pp for r in results):.2f} pp, mean {np.mean([r.analyzer_mae_pp for r in results]):.2f} pp)",
        f"- nearest-palette count, every colour within {NEAREST_TARGET_PP:g} pp: {nearest_ok}/{len(results)} "
        f"(worst colour {max(r.nearest_max_pp for r in results):.1f} pp); mean error within {NEAREST_TARGET_PP:g} pp: "
        f"{nearest_mae_ok}/{len(results)}",
        f"- flake areas: worst {max(r.area_max_error_pp for r in results):.4f} pp off the requested share",
        "",
    ]
    return lines


# ------------------------------------------------------------------------------------- colour


def lit_lab(lab: np.ndarray, gap_lightness: float) -> np.ndarray:
    """Median CIELAB of the lit granule pixels, as scripts/build_palette.py measures a photo."""
    granules = lab[lab[:, 0] >= gap_lightness]
    low, high = np.percentile(granules[:, 0], LIT_PERCENTILES)
    lit = granules[(granules[:, 0] >= low) & (granules[:, 0] <= high)]
    return np.median(lit, axis=0)


def colour_section(palette: Palette, seeds: int) -> list[str]:
    lines = [
        "### Colour: lit CIELAB of the rendered granules against the palette",
        "",
        "Single-colour product photos (640 px) and every colour inside the test mixes (its own flakes, "
        "full frame 1024 px), measured like the palette itself: median CIELAB of the granule pixels in the "
        "25th-95th lightness percentiles. Target deltaE (CIE76) <= 3.",
        "",
        "| colour | palette L, a, b | single colour: deltaE | in mixes: worst deltaE |",
        "|---|---|---:|---:|",
    ]
    in_mixes: dict[str, list[float]] = {}
    for mix in TEST_MIXES:
        for seed in range(seeds):
            rendered = render_layers(mix, RenderSettings(size=1024, seed=seed), palette)
            lab = srgb_to_lab(np.asarray(rendered.image))
            colour_map = rendered.color_map()
            for index, name in enumerate(rendered.colors):
                measured = lit_lab(lab[colour_map == index], palette.gap_lightness)
                in_mixes.setdefault(name, []).append(float(np.linalg.norm(measured - np.array(palette[name].lab))))
    singles = []
    for name in COLOR_NAMES:
        rendered = render_layers({name: 100.0}, RenderSettings(size=640, framing="product_photo"), palette)
        lab = srgb_to_lab(np.asarray(rendered.image)[rendered.labels >= FIRST_FLAKE_LABEL])
        delta_e = float(np.linalg.norm(lit_lab(lab, palette.gap_lightness) - np.array(palette[name].lab)))
        singles.append(delta_e)
        reference = ", ".join(f"{v:.1f}" for v in palette[name].lab)
        mixed = f"{max(in_mixes[name]):.2f}" if name in in_mixes else "-"
        lines.append(f"| {name} | {reference} | {delta_e:.2f} | {mixed} |")
    worst_mixed = max(max(v) for v in in_mixes.values())
    lines += [
        "",
        f"- single colours within deltaE {DELTA_E_TARGET:g}: {sum(d <= DELTA_E_TARGET for d in singles)}/{len(singles)} "
        f"(worst {max(singles):.2f}); colours in mixes: worst {worst_mixed:.2f}",
        "",
    ]
    return lines


# ------------------------------------------------------------------------------- the photos


def jpeg_round_trip(image: Image.Image) -> np.ndarray:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"))


def minority_granule_areas(rgb: np.ndarray, names: list[str], minority: str, palette: Palette) -> np.ndarray:
    """Pixel areas of the connected patches of the minority colour on the face (nearest palette colour)."""
    face = ndimage.binary_erosion(find_tile_face(rgb), iterations=4)
    lab = srgb_to_lab(rgb)
    reference = palette.lab_array(names)
    nearest = np.argmin(((lab[:, :, None, :] - reference[None, None]) ** 2).sum(axis=3), axis=2)
    patches = ndimage.binary_opening((nearest == names.index(minority)) & face)
    labels, _ = ndimage.label(patches)
    areas = np.bincount(labels.ravel())[1:]
    return areas[areas >= 6]


def real_photo_baseline_section(
    photos_dir: Path, palette: Palette, mixes: list[dict[str, float]], results: list[ProportionResult]
) -> list[str]:
    """How the two counts read the owner's single-colour photos, for the mixes that miss a target.

    Nearest: each colour's real photo counted against the mix's colours, weighted by the shares,
    gives the error a photo-faithful render of that mix would show. Analyzer: the share each colour's
    own photo gets when measured against the mix's colours (100 would be perfect).
    """
    lines = [
        "### The same counts on the owner's single-colour photos",
        "",
        "For the mixes above that miss a target. Nearest, expected from photos: the nearest-palette count of "
        "each colour's real single-colour photo against the mix's colours, combined in the mix's shares: "
        "the worst colour's error a render that looked exactly like the photos would get. Analyzer on "
        "photos: the share `measure_shares` gives each colour's own photo against the mix's colours.",
        "",
        "| mix | preview nearest max pp | nearest, expected from photos, max pp | analyzer on photos (own share %) |",
        "|---|---:|---:|---|",
    ]
    for mix in mixes:
        names = list(mix)
        expected = dict.fromkeys(names, 0.0)
        own_shares = []
        for name in names:
            path = photos_dir / f"{color_by_name(name).code}_top.jpg"
            if not path.is_file():
                break
            with Image.open(path) as photo:
                rgb = np.asarray(photo.convert("RGB"))
            counted = nearest_palette_shares(rgb, names, palette)
            for other in names:
                expected[other] += mix[name] / 100.0 * counted[other]
            own_shares.append(f"{name} {measure_shares(rgb, names, palette=palette).shares[name]:.1f}")
        else:
            worst_expected = max(abs(expected[n] - mix[n]) for n in names)
            worst_preview = max(r.nearest_max_pp for r in results if r.mix == mix)
            lines.append(f"| {describe(mix)} | {worst_preview:.1f} | {worst_expected:.1f} | {', '.join(own_shares)} |")
    lines.append("")
    return lines


def granule_size_section(photos_dir: Path, palette: Palette, seeds: int) -> list[str]:
    lines = [
        "### Granule size at the standard grade against the photos",
        "",
        "Connected patches of the minority colour (nearest palette colour, opened once, at least 6 px) on "
        "the face of each photo and of a 640 px product-photo render of the same mix (through JPEG "
        f"quality {JPEG_QUALITY} like the photos): median patch area in px. Target: within "
        f"{100 * SIZE_TARGET_RATIO:.0f}%.",
        "",
        "| photo | minority colour | real median px | preview median px (seeds) | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    ratios = []
    for file_name, mix, minority in GRANULE_SIZE_PHOTOS:
        path = photos_dir / file_name
        if not path.is_file():
            lines.append(f"| {file_name} | {minority} | photo absent | | |")
            continue
        names = list(mix)
        with Image.open(path) as photo:
            real_rgb = np.asarray(photo.convert("RGB"))
        real = float(np.median(minority_granule_areas(real_rgb, names, minority, palette)))
        previews = [
            float(np.median(minority_granule_areas(
                jpeg_round_trip(render_tile(mix, size=max(real_rgb.shape[:2]), seed=seed, framing="product_photo")),
                names, minority, palette,
            )))
            for seed in range(seeds)
        ]
        ratio = float(np.mean(previews)) / real
        ratios.append(ratio)
        lines.append(
            f"| {file_name} | {minority} | {real:.0f} | {', '.join(f'{p:.0f}' for p in previews)} | {ratio:.2f} |"
        )
    if ratios:
        within = sum(abs(r - 1.0) <= SIZE_TARGET_RATIO for r in ratios)
        lines += ["", f"- within {100 * SIZE_TARGET_RATIO:.0f}%: {within}/{len(ratios)}; mean ratio {np.mean(ratios):.2f}", ""]
    return lines


def sdxl_scale_section(outputs_dir: Path, palette: Palette, seeds: int) -> list[str]:
    """Full-frame granule size against the SDXL outputs (information: how close the close-up is)."""
    lines = [
        "### Full-frame granule size against the SDXL outputs (information)",
        "",
        "Same patch measure on the owner's SDXL outputs (512 px) and on 512 px full-frame previews of the "
        "same mix. The SDXL outputs follow the mix loosely, so their patches merge more or less than the "
        "preview's: read this as a scale check only.",
        "",
        "| SDXL outputs | files | SDXL median px | preview median px | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for pattern, mix, minority in SDXL_SCALE_OUTPUTS:
        paths = sorted(outputs_dir.glob(pattern))
        if not paths:
            continue
        names = list(mix)
        real = []
        for path in paths:
            with Image.open(path) as output:
                real.append(float(np.median(minority_granule_areas(np.asarray(output.convert("RGB")), names, minority, palette))))
        preview = [
            float(np.median(minority_granule_areas(jpeg_round_trip(render_tile(mix, size=512, seed=seed)), names, minority, palette)))
            for seed in range(seeds)
        ]
        ratio = float(np.mean(preview) / np.median(real))
        lines.append(f"| {pattern} | {len(paths)} | {np.median(real):.0f} | {np.mean(preview):.0f} | {ratio:.2f} |")
    lines.append("")
    return lines


def lightness_section(photos_dir: Path, palette: Palette) -> list[str]:
    lines = [
        "### Lightness spread of single colours against the photos (information)",
        "",
        "CIELAB L percentiles (5, 10, 25, 50, 75, 95) over the tile face: the photo, then a 640 px "
        "product-photo render of the same colour.",
        "",
        "| colour | photo | preview | mean abs difference |",
        "|---|---|---|---:|",
    ]
    differences = []
    for name in COLOR_NAMES:
        path = photos_dir / f"{color_by_name(name).code}_top.jpg"
        if not path.is_file():
            continue
        with Image.open(path) as photo:
            real_rgb = np.asarray(photo.convert("RGB"))
        preview_rgb = jpeg_round_trip(render_tile({name: 100.0}, size=640, framing="product_photo"))
        profiles = []
        for rgb in (real_rgb, preview_rgb):
            lightness = srgb_to_lab(rgb[find_tile_face(rgb)])[:, 0]
            profiles.append(np.percentile(lightness, LIGHTNESS_PERCENTILES))
        difference = float(np.mean(np.abs(profiles[0] - profiles[1])))
        differences.append(difference)
        lines.append(
            f"| {name} | {' '.join(f'{v:.0f}' for v in profiles[0])} | {' '.join(f'{v:.0f}' for v in profiles[1])} | {difference:.1f} |"
        )
    if differences:
        lines += ["", f"- mean over colours: {np.mean(differences):.1f} L; worst {max(differences):.1f} L", ""]
    return lines


# ------------------------------------------------------------------------------------ report


def speed_section(repeats: int) -> list[str]:
    import bench_preview

    note = bench_preview.machine_note()
    timings = [bench_preview.time_size(size, repeats, "full_frame") for size in bench_preview.DEFAULT_SIZES]
    return [
        "### Speed (scripts/bench_preview.py)",
        "",
        f"Full frame, mix {describe(bench_preview.BENCH_MIX)}, {repeats} renders per size with new seeds; "
        f"machine: {note}.",
        "",
        bench_preview.timings_table(timings),
        "",
        f"- {bench_preview.cost_split(timings)}",
        f"- {bench_preview.verdict(timings)}",
        "",
    ]


def write_report(path: Path, generated: list[str]) -> None:
    block = "\n".join([BEGIN_MARKER, *generated, END_MARKER])
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        if BEGIN_MARKER in text and END_MARKER in text:
            head, rest = text.split(BEGIN_MARKER, 1)
            _, tail = rest.split(END_MARKER, 1)
            path.write_text(head + block + tail, encoding="utf-8")
            return
        raise ValueError(f"{path} exists without the generated-part markers; add them or move the file")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Preview renderer: quality\n\n" + block + "\n", encoding="utf-8")


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

    palette = load_palette()
    started = time.perf_counter()
    generated = [f"Generated by `python scripts/evaluate_preview.py --seeds {args.seeds}`.", ""]

    results: list[ProportionResult] = []
    hard: list[ProportionResult] = []
    for mixes, target in ((TEST_MIXES, results), (HARD_MIXES, hard)):
        for mix in mixes:
            for framing in FRAMINGS:
                for seed in range(args.seeds):
                    target.append(evaluate_proportions(mix, framing, seed, palette))
            print(f"proportions: {describe(mix)}", flush=True)
    generated += proportions_section(
        f"Proportions: test mixes ({FRAMING_SIZES['full_frame']} px full frame, {FRAMING_SIZES['product_photo']} px product photo)",
        results,
        TEST_MIXES,
    )
    generated += proportions_section("Proportions: mixes of palette neighbours", hard, HARD_MIXES)
    print("colour ...", flush=True)
    generated += colour_section(palette, args.seeds)
    if args.photos.is_dir():
        print("granule size and lightness against the photos ...", flush=True)
        missing = [
            mix
            for mix in (*TEST_MIXES, *HARD_MIXES)
            if any(
                r.mix == mix and (r.nearest_max_pp > NEAREST_TARGET_PP or r.analyzer_mae_pp > ANALYZER_TARGET_PP)
                for r in (*results, *hard)
            )
        ]
        generated += real_photo_baseline_section(args.photos, palette, missing, [*results, *hard])
        generated += granule_size_section(args.photos, palette, args.seeds)
        generated += lightness_section(args.photos, palette)
        generated += sdxl_scale_section(args.photos.parent / "model_outputs", palette, args.seeds)
    else:
        generated += [f"Granule size and lightness against the photos: skipped, the owner's photos are not at {args.photos}.", ""]
    if not args.no_speed:
        print("speed ...", flush=True)
        generated += speed_section(args.speed_repeats)
    generated.append(f"Evaluation took {time.perf_counter() - started:.0f} s.")

    print("\n".join(generated))
    write_report(args.report, generated)
    print(f"updated {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
