"""The preview renderer against the owner's photos and SDXL outputs: the proportion counts on the real
single-colour photos, granule size, and lightness spread. Each section is left out where the files are.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from rubber_tile.analyzer import find_tile_face, measure_shares
from rubber_tile.colors.colorspace import srgb_to_lab
from rubber_tile.colors.palette import Palette
from rubber_tile.colors.vocabulary import COLOR_NAMES, color_by_name
from rubber_tile.mix import ColorMix
from rubber_tile.preview.render import render_tile

from .preview_cases import (
    GRANULE_SIZE_PHOTOS,
    JPEG_QUALITY,
    LIGHTNESS_PERCENTILES,
    SDXL_SCALE_OUTPUTS,
    SIZE_TARGET_RATIO,
)
from .preview_proportions import ProportionResult, face_nearest_shares
from .scoring import nearest_color_index

# Patches of the minority colour smaller than this (px) are noise, not granules.
MIN_PATCH_PX = 6
# The face is shrunk by this much (px) first, so that its rim counts for no patch.
FACE_EROSION_PX = 4


def read_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def single_color_photo(photos_dir: Path, name: str) -> Path:
    return photos_dir / f"{color_by_name(name).code}_top.jpg"


def jpeg_bytes_round_trip(image: Image.Image, **save_options: object) -> np.ndarray:
    """The image saved as a JPEG with these options, read back."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", **save_options)
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"))


def jpeg_round_trip(image: Image.Image) -> np.ndarray:
    return jpeg_bytes_round_trip(image, quality=JPEG_QUALITY)


def jpeg_tables_of(path: Path) -> dict[int, list[int]]:
    """The quantisation tables a JPEG file was saved with."""
    with Image.open(path) as image:
        return {index: list(table) for index, table in image.quantization.items()}


def jpeg_round_trip_with(tables: dict[int, list[int]]) -> Callable[[Image.Image], np.ndarray]:
    """A JPEG round trip with these quantisation tables and 4:2:0 chroma, as the owner's photos are saved."""
    return functools.partial(jpeg_bytes_round_trip, qtables=tables, subsampling=2)


def minority_granule_areas(rgb: np.ndarray, names: list[str], minority: str, palette: Palette) -> np.ndarray:
    """Pixel areas of the connected patches of the minority colour on the face (nearest palette colour)."""
    face = ndimage.binary_erosion(find_tile_face(rgb), iterations=FACE_EROSION_PX)
    nearest = nearest_color_index(srgb_to_lab(rgb), palette.lab_array(names))
    patches = ndimage.binary_opening((nearest == names.index(minority)) & face)
    labels, _ = ndimage.label(patches)
    areas = np.bincount(labels.ravel())[1:]
    return areas[areas >= MIN_PATCH_PX]


def median_patch_px(rgb: np.ndarray, mix: ColorMix, minority: str, palette: Palette) -> float:
    return float(np.median(minority_granule_areas(rgb, list(mix), minority, palette)))


def photo_baseline_row(photos_dir: Path, mix: ColorMix, palette: Palette, preview_worst: float) -> str | None:
    """One mix's row of real_photo_baseline_section; None where a colour's photo is absent."""
    names = list(mix)
    expected = dict.fromkeys(names, 0.0)
    own_shares = []
    for name in names:
        path = single_color_photo(photos_dir, name)
        if not path.is_file():
            return None
        rgb = read_rgb(path)
        counted = face_nearest_shares(rgb, names, palette)
        for other in names:
            expected[other] += mix[name] / 100.0 * counted[other]
        own_shares.append(f"{name} {measure_shares(rgb, names, palette=palette).shares[name]:.1f}")
    worst_expected = max(abs(expected[n] - mix[n]) for n in names)
    return f"| {mix.describe()} | {preview_worst:.1f} | {worst_expected:.1f} | {', '.join(own_shares)} |"


def real_photo_baseline_section(
    photos_dir: Path, palette: Palette, mixes: Sequence[ColorMix], results: Sequence[ProportionResult]
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
        preview_worst = max(r.nearest_max_pp for r in results if r.mix == mix)
        row = photo_baseline_row(photos_dir, mix, palette, preview_worst)
        if row is not None:
            lines.append(row)
    return [*lines, ""]


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
        real_rgb = read_rgb(path)
        real = median_patch_px(real_rgb, mix, minority, palette)
        side = max(real_rgb.shape[:2])
        previews = [
            median_patch_px(
                jpeg_round_trip(render_tile(mix, size=side, seed=seed, framing="product_photo")), mix, minority, palette
            )
            for seed in range(seeds)
        ]
        ratios.append(float(np.mean(previews)) / real)
        lines.append(
            f"| {file_name} | {minority} | {real:.0f} | {', '.join(f'{p:.0f}' for p in previews)} | {ratios[-1]:.2f} |"
        )
    if ratios:
        within = sum(abs(r - 1.0) <= SIZE_TARGET_RATIO for r in ratios)
        lines += [
            "",
            f"- within {100 * SIZE_TARGET_RATIO:.0f}%: {within}/{len(ratios)}; mean ratio {np.mean(ratios):.2f}",
            "",
        ]
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
        real = [median_patch_px(read_rgb(path), mix, minority, palette) for path in paths]
        preview = [
            median_patch_px(jpeg_round_trip(render_tile(mix, size=512, seed=seed)), mix, minority, palette)
            for seed in range(seeds)
        ]
        ratio = float(np.mean(preview) / np.median(real))
        lines.append(f"| {pattern} | {len(paths)} | {np.median(real):.0f} | {np.mean(preview):.0f} | {ratio:.2f} |")
    return [*lines, ""]


def lightness_profile(rgb: np.ndarray) -> np.ndarray:
    """CIELAB L at LIGHTNESS_PERCENTILES over the tile face."""
    return np.percentile(srgb_to_lab(rgb[find_tile_face(rgb)])[:, 0], LIGHTNESS_PERCENTILES)


def lightness_section(photos_dir: Path) -> list[str]:
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
        path = single_color_photo(photos_dir, name)
        if not path.is_file():
            continue
        real = lightness_profile(read_rgb(path))
        preview = lightness_profile(
            jpeg_round_trip(render_tile(ColorMix({name: 100.0}), size=640, framing="product_photo"))
        )
        differences.append(float(np.mean(np.abs(real - preview))))
        lines.append(
            f"| {name} | {' '.join(f'{v:.0f}' for v in real)} | {' '.join(f'{v:.0f}' for v in preview)} | {differences[-1]:.1f} |"
        )
    if differences:
        lines += ["", f"- mean over colours: {np.mean(differences):.1f} L; worst {max(differences):.1f} L", ""]
    return lines
