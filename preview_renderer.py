"""Procedural preview of an EPDM rubber-crumb tile seen from above, from a colour mix.

No model, no GPU: a fast stand-in for the SDXL image that shows what a mix looks like.

How it is drawn
- Geometry (independent of the mix): angular flakes (random star-shaped polygons of 3-6
  corners, stretched and turned at random, each with a second facet) sit on a jittered grid and
  are drawn in random order, so later flakes lie on top of earlier ones. Where none lands, dark
  binder shows. Everything is laid out in millimetres and only then scaled to pixels, so one seed
  gives the same layout at every size.
- Colour: each flake gets one mix colour so that the summed visible flake area of each colour
  hits its share (by area, not by flake count; to about a pixel), chosen at random otherwise, so
  colours mix as random packing mixes them.
- Light from the upper left: each pixel gets a surface class from how its flake lies against its
  neighbours (top, lit rim and band, dark rim and band, seam, cast shadow, gap). Each colour's
  classes take their colour from that colour's appearance in its real photo (data/palette.json):
  the lightness quantiles of the photo, dark classes to light, in proportion to their pixel
  counts. One table lookup per pixel then colours the image.

Scale: grades are sieve sizes in mm; a flake lying flat shows a face FLAKE_SIZE_FACTOR times
that. `RenderSettings.tile_mm` (default 140 mm) is the tile face width the owner's photos show
(about 40 granules across; a 500 mm tile would show 2-4 px granules at 640 px). A product photo
draws the whole face at `photo_face_fraction` of the image width like the photos (640 px =>
3.9 px/mm); a full frame shows FULL_FRAME_FIELD_SHARE of the face edge to edge, as close as the
SDXL outputs (1024 px => 9.1 px/mm). docs/preview_quality.md has the calibration.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from PIL import Image, ImageDraw
from scipy import special

from palette import Palette, PaletteColor, lab_to_srgb, load_palette, srgb_to_linear
from tile_colors import COLOR_NAMES, suggestion_hint

MIN_SIZE = 256
MAX_SIZE = 2048
FRAMINGS = ("full_frame", "product_photo")
# Shares are percentages; they must add up to 100 within this much.
SHARE_SUM_TOLERANCE = 0.01


@dataclass(frozen=True)
class GranuleGrade:
    """A crumb grade: granules pass a sieve between min_mm and max_mm."""

    name: str
    min_mm: float
    max_mm: float


GRADES: Mapping[str, GranuleGrade] = MappingProxyType(
    {
        "fine": GranuleGrade("fine", 1.0, 3.0),
        "standard": GranuleGrade("standard", 2.0, 4.0),
        "coarse": GranuleGrade("coarse", 3.0, 5.0),
    }
)

# Visible flake diameter / sieve size. Crumb is flaky: a flake lying flat shows a face longer
# than the mesh it passed. Calibrated so that the median visible flake area at the standard
# grade matches the owner's photos at their scale (scripts/evaluate_preview.py).
FLAKE_SIZE_FACTOR = 1.35
# Summed flake area over face area: enough overlap that binder shows only in thin gaps.
FLAKE_COVERAGE = 2.2
# Flake centres: one per grid cell, moved at random by up to this fraction of the cell. Less
# than a full cell keeps holes (binder showing) rare at low coverage.
GRID_JITTER = 0.3
# Flake shape: corners per flake and how likely each count is; stretch; corner radius spread.
FLAKE_CORNERS = (3, 4, 5, 6)
FLAKE_CORNER_ODDS = (0.15, 0.3, 0.3, 0.25)
FLAKE_MAX_STRETCH = 1.7
FLAKE_MIN_CORNER_RADIUS = 0.6
# Width of the rims, seams and gaps, in mm (at least one pixel).
RIM_MM = 0.25
# A full frame shows this share of the tile face's width: close-ups like the SDXL outputs, whose
# granules look this much larger than in the photos of the whole tile.
FULL_FRAME_FIELD_SHARE = 0.8
# Product photo: face width over image width, as in the owner's 640 px photos (547-553 px).
PHOTO_FACE_FRACTION = 0.86
# Product photo: the mould cuts the edge flakes this far outside the face square (mm), give or
# take a wobble, sampled at this many points along each edge.
EDGE_OVERHANG_MM = 0.4
EDGE_WOBBLE_MM = 0.5
EDGE_SAMPLES = 48
# Product photo: flakes this close to the tile's edge sit on the bevel (mm).
BEVEL_MM = 2.5
# Bottom layer: flakes this many times larger (and as many times further apart), in shadow by
# this much (CIELAB L).
BOTTOM_LAYER_SCALE = 3.0
BOTTOM_LAYER_LIGHTNESS = -20.0
# Each flake face is tilted its own way: its lightness differs by this much (CIELAB L, sigma).
FACE_LIGHTNESS_SIGMA = 4.0
# Each flake shows a second face: a fan from near its centre over about half its corners,
# whose apex sits up to this fraction of the flake radius off centre.
FACET_APEX_OFFSET = 0.35
# Share of a colour's measured spread (which includes shading within a flake) that goes into
# colour differences between flakes.
FLAKE_SPREAD_SHARE = 0.5
# Product photo bevel: lightness change (CIELAB L) at the left, top, right and bottom edge.
BEVEL_LIGHTNESS = (3.0, 3.0, -10.0, -10.0)

# Label numbers in the rasterised flake map.
LABEL_BACKGROUND = 0  # product photo: white background (full frame: binder)
LABEL_BINDER = 1  # binder between flakes on the tile face
FIRST_FLAKE_LABEL = 2

# A crevice shows between two flakes only where the upper one was laid down more than this
# share of all flakes later (so lies clearly higher); level neighbours meet without one.
GAP_DEPTH_SHARE = 0.3

# Surface classes: how a pixel of a flake is lit.
SURFACE_TOP = 0
SURFACE_LIT_RIM = 1
SURFACE_DARK_RIM = 2
SURFACE_SHADOW = 3
SURFACE_GAP = 4
SURFACE_SEAM = 5
SURFACE_LIT_BAND = 6  # just inside the lit rim
SURFACE_DARK_BAND = 7  # just inside the dark rim
SURFACE_CLASSES = 8
# Surface classes from darkest to lightest. Each colour's classes take their lightness from its
# appearance model (the lightness distribution of its real photo, data/palette.json) in this
# order and in proportion to their pixel counts, so a rendered colour spreads over light and
# shade as it does in the photo.
SURFACE_DARK_TO_LIGHT = (
    SURFACE_GAP,
    SURFACE_SHADOW,
    SURFACE_DARK_RIM,
    SURFACE_SEAM,
    SURFACE_DARK_BAND,
    SURFACE_TOP,
    SURFACE_LIT_BAND,
    SURFACE_LIT_RIM,
)
# Binder: the mix in deep shadow (linear-light factor) ...
BINDER_FACTOR = 0.08
# ... but no lighter than this share of the palette's gap lightness, so it reads as gap, not colour.
BINDER_GAP_SHARE = 0.6
LUMINANCE_WEIGHTS = np.array([0.2126729, 0.7151522, 0.0721750])  # linear sRGB -> Y
# Product photo: the white background, linear light, per surface class (a faint drop shadow
# where the tile's edge flakes lie to the upper left).
PHOTO_BACKGROUND_SHADE = (1.0, 1.0, 1.0, 0.9, 0.75, 0.85, 1.0, 1.0)


@dataclass(frozen=True)
class RenderSettings:
    """Everything a render depends on besides the mix."""

    size: int = 1024
    seed: int = 0
    framing: str = "full_frame"
    grade: str = "standard"
    tile_mm: float = 140.0
    photo_face_fraction: float = PHOTO_FACE_FRACTION
    crop: tuple[int, int] | None = None  # (width, height) of the centred part that is kept; shares count there

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise ValueError(f"size must be a whole number of pixels, got {self.size!r}")
        if not MIN_SIZE <= self.size <= MAX_SIZE:
            raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE} pixels, got {self.size}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a whole number >= 0, got {self.seed!r}")
        if self.framing not in FRAMINGS:
            raise ValueError(f"framing must be one of {', '.join(FRAMINGS)}, got {self.framing!r}")
        if self.grade not in GRADES:
            raise ValueError(f"grade must be one of {', '.join(GRADES)}, got {self.grade!r}")
        if not self.tile_mm > 0:
            raise ValueError(f"tile_mm must be positive, got {self.tile_mm!r}")
        if not 0.3 <= self.photo_face_fraction <= 1.0:
            raise ValueError(f"photo_face_fraction must be between 0.3 and 1, got {self.photo_face_fraction!r}")
        if self.crop is not None and not all(isinstance(n, int) and 1 <= n <= self.size for n in self.crop):
            raise ValueError(f"crop must be (width, height), each from 1 to size {self.size}, got {self.crop!r}")

    @property
    def kept(self) -> tuple[slice, slice]:
        """Rows and columns of the part of the square render that is kept (all of it without a crop)."""
        width, height = self.crop or (self.size, self.size)
        top, left = (self.size - height) // 2, (self.size - width) // 2
        return slice(top, top + height), slice(left, left + width)

    @property
    def face_px(self) -> int:
        """Width of the tile face in pixels."""
        if self.framing == "full_frame":
            return self.size
        return int(round(self.size * self.photo_face_fraction))

    @property
    def face_origin_px(self) -> int:
        """Pixel offset of the face's top-left corner from the image's."""
        return (self.size - self.face_px) // 2

    @property
    def field_mm(self) -> float:
        """Width of face the image shows: the whole tile in a photo, a crop of it in a full frame."""
        if self.framing == "full_frame":
            return self.tile_mm * FULL_FRAME_FIELD_SHARE
        return self.tile_mm

    @property
    def px_per_mm(self) -> float:
        return self.face_px / self.field_mm

    @property
    def rim_px(self) -> int:
        return max(1, int(round(RIM_MM * self.px_per_mm)))


@dataclass(frozen=True)
class Flakes:
    """Flake outlines and one facet per flake, in draw order (later ones on top), in pixels."""

    outlines: tuple[tuple[float, ...], ...]  # flat x0, y0, x1, y1, ... per flake
    facets: tuple[tuple[float, ...], ...]  # the part of each flake that faces another way
    centres_mm: np.ndarray  # (n, 2) x, y on the face
    # Product photo: where the moulded edge cuts the flakes, in mm outside the face square, along
    # the left, top, right and bottom edge (4, EDGE_SAMPLES), from the edge's start to its end.
    edge_mm: np.ndarray
    bottom_count: int  # the first flakes form the bottom layer, seen only through holes


@dataclass(frozen=True)
class RenderedTile:
    """A render and the maps it was made from (for tests and evaluation)."""

    image: Image.Image
    labels: np.ndarray  # HxW int32: LABEL_BACKGROUND, LABEL_BINDER, or flake_label(flake, facet)
    surface: np.ndarray  # HxW uint8 surface class
    color_of_label: np.ndarray  # per label: index into colors, -1 for background and binder
    colors: tuple[str, ...]

    def color_map(self) -> np.ndarray:
        """HxW int16: index into colors for flake pixels, -1 elsewhere."""
        return self.color_of_label[self.labels]

    def area_shares(self) -> dict[str, float]:
        """Percent of the flake area (all flake pixels, shaded ones included) per colour."""
        counts = np.bincount(self.color_map().ravel() + 1, minlength=len(self.colors) + 1)[1:]
        return {name: 100.0 * int(c) / int(counts.sum()) for name, c in zip(self.colors, counts)}


def validate_shares(shares: Mapping[str, float]) -> dict[str, float]:
    """The mix as canonical name -> percent (zero shares dropped); ValueError on anything else."""
    if not isinstance(shares, Mapping) or not shares:
        raise ValueError("shares must be a non-empty mapping of colour name to percent, e.g. {'red': 60, 'black': 40}")
    clean: dict[str, float] = {}
    for name, value in shares.items():
        if name not in COLOR_NAMES:
            hint = f" ({suggestion})" if (suggestion := suggestion_hint(str(name))) else ""
            raise ValueError(f"unknown colour {name!r}{hint}; use canonical names: {', '.join(COLOR_NAMES)}")
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise ValueError(f"share of {name!r} must be a number of percent, got {value!r}")
        if value < 0:
            raise ValueError(f"share of {name!r} is negative ({value}); shares are percent from 0 to 100")
        if value > 0:
            clean[name] = float(value)
    total = sum(float(v) for v in shares.values())
    if abs(total - 100.0) > SHARE_SUM_TOLERANCE:
        raise ValueError(f"shares must add up to 100 percent, these add up to {total:g}")
    return clean


def _flake_centres(settings: RenderSettings, spacing_mm: float, margin_mm: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) flake centres in mm on a jittered grid, in random (draw) order."""
    cells = int(math.ceil((settings.field_mm + 2.0 * margin_mm) / spacing_mm))
    grid = np.arange(cells) * spacing_mm - margin_mm
    grid_x, grid_y = np.meshgrid(grid, grid)
    corners = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
    jitter = rng.uniform(-0.5 * GRID_JITTER, 0.5 * GRID_JITTER, size=corners.shape)
    centres = corners + (0.5 + jitter) * spacing_mm
    if settings.framing == "product_photo":
        centres = centres[np.all((centres >= 0.0) & (centres <= settings.tile_mm), axis=1)]
    return centres[rng.permutation(len(centres))]  # random order: overlaps have no direction


def _flake_geometry(settings: RenderSettings, rng: np.random.Generator) -> Flakes:
    """Angular flakes on a jittered grid covering the face (and its surround in a full frame)."""
    grade = GRADES[settings.grade]
    mean_diameter_mm = 0.5 * (grade.min_mm + grade.max_mm) * FLAKE_SIZE_FACTOR
    mean_area_mm2 = _mean_flake_area_factor() * (0.5 * mean_diameter_mm) ** 2
    spacing_mm = math.sqrt(mean_area_mm2 / FLAKE_COVERAGE)
    max_radius_mm = 0.5 * grade.max_mm * FLAKE_SIZE_FACTOR * math.sqrt(FLAKE_MAX_STRETCH)
    # A full frame crops the face: lay flakes beyond it so its border is covered too. A product
    # photo keeps flake centres on the face; the moulded edge then cuts the ones that stick out.
    margin_mm = max_radius_mm if settings.framing == "full_frame" else 0.0
    # A bottom layer of large flakes, drawn first, fills the holes the top layer leaves: through
    # them one sees crumb in shadow, not bare binder.
    bottom = _flake_centres(settings, spacing_mm * BOTTOM_LAYER_SCALE, margin_mm * BOTTOM_LAYER_SCALE, rng)
    centres = np.concatenate([bottom, _flake_centres(settings, spacing_mm, margin_mm, rng)])
    count = len(centres)
    diameter_mm = rng.uniform(grade.min_mm, grade.max_mm, size=count) * FLAKE_SIZE_FACTOR
    diameter_mm[: len(bottom)] *= BOTTOM_LAYER_SCALE
    stretch = rng.uniform(1.0, FLAKE_MAX_STRETCH, size=count)
    turn = rng.uniform(0.0, math.pi, size=count)
    corners = rng.choice(FLAKE_CORNERS, size=count, p=FLAKE_CORNER_ODDS)

    scale, origin = settings.px_per_mm, settings.face_origin_px
    outlines: list[tuple[float, ...]] = [()] * count
    facets: list[tuple[float, ...]] = [()] * count
    for corner_count in FLAKE_CORNERS:
        chosen = np.flatnonzero(corners == corner_count)
        if chosen.size == 0:
            continue
        outline_mm, facet_mm = _star_flakes(corner_count, diameter_mm[chosen], stretch[chosen], turn[chosen], rng)
        outline_px = (outline_mm + centres[chosen, None, :]) * scale + origin
        facet_px = (facet_mm + centres[chosen, None, :]) * scale + origin
        for index, outline, facet in zip(
            chosen.tolist(), outline_px.reshape(chosen.size, -1).tolist(), facet_px.reshape(chosen.size, -1).tolist()
        ):
            outlines[index] = tuple(outline)
            facets[index] = tuple(facet)
    edge = rng.uniform(-EDGE_WOBBLE_MM, EDGE_WOBBLE_MM, size=(4, EDGE_SAMPLES))
    edge = EDGE_OVERHANG_MM + 0.5 * (edge + np.roll(edge, 1, axis=1))  # a little smoother
    return Flakes(
        outlines=tuple(outlines), facets=tuple(facets), centres_mm=centres, edge_mm=edge, bottom_count=len(bottom)
    )


def _star_flakes(
    corner_count: int, diameter_mm: np.ndarray, stretch: np.ndarray, turn: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Outlines (n, corners, 2) and second facets (n, corners // 2 + 2, 2) in mm around (0, 0).

    Corners at irregular angles and radii (so star-shaped, never self-crossing); the facet is a
    fan from a point near the centre over about half the corners, like a ridge across the flake.
    """
    n = len(diameter_mm)
    radius = (0.5 * diameter_mm)[:, None]
    steps = 1.0 + rng.uniform(-0.45, 0.45, size=(n, corner_count))
    angles = np.cumsum(steps, axis=1) / steps.sum(axis=1, keepdims=True) * 2.0 * math.pi
    angles += rng.uniform(0.0, 2.0 * math.pi, size=(n, 1))
    radii = rng.uniform(FLAKE_MIN_CORNER_RADIUS, 1.0, size=(n, corner_count)) * radius
    apex_radius = rng.uniform(0.0, FACET_APEX_OFFSET, size=(n, 1)) * radius
    apex_angle = rng.uniform(0.0, 2.0 * math.pi, size=(n, 1))
    all_radii = np.concatenate([radii, apex_radius], axis=1)  # the corners, then the apex
    all_angles = np.concatenate([angles, apex_angle], axis=1)
    root = np.sqrt(stretch)[:, None]
    along, across = all_radii * np.cos(all_angles) * root, all_radii * np.sin(all_angles) / root
    cos_t, sin_t = np.cos(turn)[:, None], np.sin(turn)[:, None]
    points = np.stack([along * cos_t - across * sin_t, along * sin_t + across * cos_t], axis=2)
    first = rng.integers(0, corner_count, size=(n, 1))
    facet_corners = (first + np.arange(corner_count // 2 + 1)[None, :]) % corner_count
    facet = np.concatenate(
        [points[:, corner_count:], np.take_along_axis(points, facet_corners[..., None], axis=1)], axis=1
    )
    return points[:, :corner_count], facet


def _mean_flake_area_factor() -> float:
    """Mean polygon area over radius^2 for the flake shapes drawn (stretch keeps area)."""
    mean_radius_sq = (1.0 + FLAKE_MIN_CORNER_RADIUS + FLAKE_MIN_CORNER_RADIUS**2) / 3.0
    mean_corners = float(np.dot(FLAKE_CORNERS, FLAKE_CORNER_ODDS))
    # Area of a polygon with corners at radius r and equal angles: k/2 * r^2 * sin(2 pi / k).
    return 0.5 * mean_corners * math.sin(2.0 * math.pi / mean_corners) * mean_radius_sq


def flake_label(index: int, facet: int) -> int:
    """Label of flake `index` (draw order) in the label map; facet 1 is its second face."""
    return FIRST_FLAKE_LABEL + 2 * index + facet


def _rasterise(flakes: Flakes, settings: RenderSettings) -> np.ndarray:
    """HxW int32 label map: flakes painted in order over binder (and white, for a photo).

    label >> 1 is the depth: 0 for background and binder, 1 + draw index for a flake.
    """
    size = settings.size
    canvas = Image.new("I", (size, size), LABEL_BINDER if settings.framing == "full_frame" else LABEL_BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    if settings.framing == "product_photo":
        inset = 0.5 * GRADES[settings.grade].min_mm * settings.px_per_mm
        near = settings.face_origin_px + inset
        far = settings.face_origin_px + settings.face_px - 1 - inset
        draw.rectangle((near, near, far, far), fill=LABEL_BINDER)
    label = flake_label(0, 0)
    for outline, facet in zip(flakes.outlines, flakes.facets):
        draw.polygon(outline, fill=label)
        draw.polygon(facet, fill=label + 1)
        label += 2
    labels = np.asarray(canvas)
    if settings.framing == "product_photo":
        labels = np.where(_outside_cut_edge(flakes.edge_mm, settings), LABEL_BACKGROUND, labels)
    return labels


def _outside_cut_edge(edge_mm: np.ndarray, settings: RenderSettings) -> np.ndarray:
    """HxW bool: beyond the tile's moulded edge (the face square plus a slight wobble)."""
    size, scale = settings.size, settings.px_per_mm
    near = settings.face_origin_px
    far = near + settings.face_px
    along = (np.arange(size) - near) / max(1, settings.face_px) * (edge_mm.shape[1] - 1)
    samples = np.arange(edge_mm.shape[1])
    left, top, right, bottom = (np.interp(along, samples, profile) * scale for profile in edge_mm)
    columns = np.arange(size)[None, :]
    rows = np.arange(size)[:, None]
    return (
        (columns < near - left[:, None])
        | (columns >= far + right[:, None])
        | (rows < near - top[None, :])
        | (rows >= far + bottom[None, :])
    )


def _neighbour_compare(depth: np.ndarray, dy: int, dx: int, reference: np.ndarray, higher: bool) -> np.ndarray:
    """HxW bool: depth[y + dy, x + dx] > reference[y, x] (higher) or < it; False off the image."""
    height, width = depth.shape
    result = np.zeros(depth.shape, dtype=bool)
    here = (slice(max(0, -dy), height - max(0, dy)), slice(max(0, -dx), width - max(0, dx)))
    there = (slice(max(0, dy), height + min(0, dy)), slice(max(0, dx), width + min(0, dx)))
    (np.greater if higher else np.less)(depth[there], reference[here], out=result[here])
    return result


def _highest_of_four(depth: np.ndarray, step: int) -> np.ndarray:
    """HxW: the highest depth among the pixels `step` away up, down, left and right (and itself)."""
    height, width = depth.shape
    highest = depth.copy()
    np.maximum(highest[step:], depth[: height - step], out=highest[step:])
    np.maximum(highest[: height - step], depth[step:], out=highest[: height - step])
    np.maximum(highest[:, step:], depth[:, : width - step], out=highest[:, step:])
    np.maximum(highest[:, : width - step], depth[:, step:], out=highest[:, : width - step])
    return highest


def _surface_classes(depth: np.ndarray, rim_px: int, gap_depth: int) -> np.ndarray:
    """HxW uint8 surface class from where each flake lies against its neighbours.

    depth: HxW, higher lies on top (0: binder or background). Light comes from the upper left.
    A gap or cast shadow shows only where the flake on top lies more than gap_depth higher: flakes
    that lie about level meet with a faint seam only. Later classes overrule earlier ones.
    """
    r = rim_px
    raised = depth + gap_depth
    highest_beside = _highest_of_four(depth, r)
    surface = np.zeros(depth.shape, dtype=np.uint8)
    for value, where in (
        (SURFACE_LIT_BAND, _neighbour_compare(depth, -2 * r, -2 * r, depth, higher=False)),
        (SURFACE_DARK_BAND, _neighbour_compare(depth, 2 * r, 2 * r, depth, higher=False)),
        (SURFACE_LIT_RIM, _neighbour_compare(depth, -r, -r, depth, higher=False)),
        (SURFACE_DARK_RIM, _neighbour_compare(depth, r, r, depth, higher=False)),
        (SURFACE_SEAM, highest_beside > depth),
        (SURFACE_SHADOW, _neighbour_compare(depth, -2 * r, -2 * r, raised, higher=True)),
        (SURFACE_GAP, highest_beside > raised),
    ):
        np.copyto(surface, value, where=where)
    return surface


def assign_colors(areas: np.ndarray, fractions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A colour index per flake such that summed areas per colour hit fractions * total area.

    Starts from an independent random draw (well mixed, as random packing mixes) and then
    recolours randomly chosen flakes from the colour most over its target to the one most under,
    finishing with the flake whose area best fits the rest. With many flakes of all visible
    sizes the result is exact to about a pixel; it is never off by more than one flake.
    """
    colour_count = len(fractions)
    colours = rng.choice(colour_count, size=len(areas), p=fractions)
    if colour_count == 1:
        return colours
    areas = areas.astype(np.float64)
    targets = fractions * areas.sum()
    order = rng.permutation(len(areas))
    for _ in range(50 * colour_count):
        totals = np.bincount(colours, weights=areas, minlength=colour_count)
        shortfall = targets - totals
        over, under = int(np.argmin(shortfall)), int(np.argmax(shortfall))
        need = min(-shortfall[over], shortfall[under])
        if need < 0.5:
            break
        candidates = order[(colours[order] == over) & (areas[order] > 0)]
        running = np.cumsum(areas[candidates])
        taken = int(np.searchsorted(running, need, side="right"))
        colours[candidates[:taken]] = under
        rest = need - (running[taken - 1] if taken else 0.0)
        remaining = candidates[taken:]
        moved_last = False
        if rest >= 0.5 and remaining.size:
            best = remaining[int(np.argmin(np.abs(areas[remaining] - rest)))]
            if abs(areas[best] - rest) < rest:
                colours[best] = under
                moved_last = True
        if taken == 0 and not moved_last:
            break
    return colours


def _bevel_lightness(centres_mm: np.ndarray, tile_mm: float) -> np.ndarray:
    """Per-flake CIELAB L offset on the bevelled edge of a product photo: the upper-left sides
    face the light, the lower-right sides turn away from it."""
    offset = np.zeros(len(centres_mm))
    distances = (centres_mm[:, 0], centres_mm[:, 1], tile_mm - centres_mm[:, 0], tile_mm - centres_mm[:, 1])
    for distance, change in zip(distances, BEVEL_LIGHTNESS):
        offset += change * np.clip(1.0 - distance / BEVEL_MM, 0.0, 1.0)
    return offset


def _linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """Linear 0-1 -> sRGB 0-255 (float) through a 4096-step table."""
    steps = 4096
    levels = np.linspace(0.0, 1.0, steps)
    table = np.where(levels <= 0.0031308, 12.92 * levels, 1.055 * levels ** (1.0 / 2.4) - 0.055) * 255.0
    return table[np.rint(np.clip(linear, 0.0, 1.0) * (steps - 1)).astype(np.intp)]


def _pack_rgba(srgb: np.ndarray) -> np.ndarray:
    """sRGB 0-255 (..., 3) -> uint32 words that read as bytes R, G, B, 255 (little-endian)."""
    rgb = np.clip(np.rint(srgb), 0, 255).astype(np.uint32)
    return rgb[..., 0] | (rgb[..., 1] << 8) | (rgb[..., 2] << 16) | np.uint32(0xFF000000)


def _binder_linear(mix_linear: np.ndarray, gap_lightness: float) -> np.ndarray:
    """Binder colour: the mix in deep shadow, kept darker than the palette's gap lightness."""
    binder = BINDER_FACTOR * mix_linear
    luminance = float(binder @ LUMINANCE_WEIGHTS)
    # CIELAB L below 8 is Y = L / 903.3 (the linear part of the L* curve).
    darkest_allowed = BINDER_GAP_SHARE * gap_lightness / 903.3
    if luminance > darkest_allowed:
        binder *= darkest_allowed / luminance
    return binder


def appearance_lab_at_quantiles(color: PaletteColor, probabilities: np.ndarray, gap_lightness: float) -> np.ndarray:
    """(n, 3) CIELAB a colour shows at these lightness quantiles of its real photo.

    L: the quantile of the lightness distribution of the colour's appearance model (all granule
    pixels of its photo, lit and shaded, not darker than gap_lightness, as the model was fitted);
    a, b: their expected value at that lightness, so shade keeps the chroma it has in the photo.
    """
    weights = np.array([g.weight for g in color.appearance])
    means = np.array([g.mean for g in color.appearance])
    covariances = np.array([g.covariance for g in color.appearance])
    sigmas = np.sqrt(covariances[:, 0, 0])
    grid = np.linspace(gap_lightness, 100.0, 2001)
    cdf = (weights[:, None] * special.ndtr((grid[None, :] - means[:, 0:1]) / sigmas[:, None])).sum(axis=0)
    lightness = np.interp(probabilities, (cdf - cdf[0]) / (cdf[-1] - cdf[0]), grid)
    z = (lightness[:, None] - means[None, :, 0]) / sigmas[None, :]
    density = weights[None, :] * np.exp(-0.5 * z**2) / sigmas[None, :]
    responsibility = density / np.maximum(density.sum(axis=1, keepdims=True), 1e-300)
    slope = covariances[:, 1:, 0] / covariances[:, 0:1, 0]  # (k, 2): d(a, b) / dL per component
    conditional = means[None, :, 1:] + slope[None] * (lightness[:, None, None] - means[None, :, 0:1])
    chroma = (responsibility[..., None] * conditional).sum(axis=1)
    return np.column_stack([lightness, chroma])


def _surface_lab(colors: tuple[str, ...], palette: Palette, class_pixels: np.ndarray) -> np.ndarray:
    """(colours, SURFACE_CLASSES, 3) CIELAB of each colour under each surface class.

    The classes, darkest first, take the lightness quantiles of the colour's photo in proportion
    to how many flake pixels each class has in this render (class_pixels).
    """
    order = np.array(SURFACE_DARK_TO_LIGHT)
    counts = class_pixels[order].astype(np.float64) + 1.0
    middle = (np.cumsum(counts) - 0.5 * counts) / counts.sum()
    lab = np.zeros((len(colors), SURFACE_CLASSES, 3))
    for index, name in enumerate(colors):
        lab[index, order] = appearance_lab_at_quantiles(palette[name], middle, palette.gap_lightness)
    return lab


def _face_lab_offsets(
    settings: RenderSettings,
    flakes: Flakes,
    colors: tuple[str, ...],
    color_of_flake: np.ndarray,
    palette: Palette,
    rng: np.random.Generator,
) -> np.ndarray:
    """(2 * flakes, 3) CIELAB offset of each flake face from its colour, in label order.

    Flakes of one colour differ a little in colour (a share of the colour's measured spread) and
    each face in lightness (it is tilted its own way); the bottom layer lies in shadow.
    """
    spreads = FLAKE_SPREAD_SHARE * np.array([palette[name].lab_spread for name in colors])
    flake_offsets = rng.standard_normal((len(color_of_flake), 3)) * spreads[color_of_flake]
    if settings.framing == "product_photo":
        flake_offsets[:, 0] += _bevel_lightness(flakes.centres_mm, settings.tile_mm)
    flake_offsets[: flakes.bottom_count, 0] += BOTTOM_LAYER_LIGHTNESS
    face_offsets = np.repeat(flake_offsets, 2, axis=0)
    face_offsets[:, 0] += FACE_LIGHTNESS_SIGMA * rng.standard_normal(len(face_offsets))
    return face_offsets


def _color_table(settings: RenderSettings, face_lab: np.ndarray, binder_linear: np.ndarray) -> np.ndarray:
    """uint32 RGBA word for every (label, surface class), indexed label * SURFACE_CLASSES + class.

    face_lab: (labels - FIRST_FLAKE_LABEL, SURFACE_CLASSES, 3) CIELAB of each flake face's classes.
    """
    binder = np.repeat(binder_linear[None, :], SURFACE_CLASSES, axis=0)
    if settings.framing == "product_photo":
        background = np.array(PHOTO_BACKGROUND_SHADE)[:, None] * np.ones(3)
    else:
        background = binder
    fixed = _linear_to_srgb(np.stack([background, binder]))
    table = np.concatenate([_pack_rgba(fixed), _pack_rgba(lab_to_srgb(face_lab))], axis=0)
    return table.reshape(-1)


def render_layers(
    shares: Mapping[str, float], settings: RenderSettings, palette: Palette | None = None
) -> RenderedTile:
    """The render with its label, surface and colour maps. See render_tile."""
    mix = validate_shares(shares)
    palette = load_palette() if palette is None else palette
    colors = tuple(mix)
    fractions = np.array([mix[name] for name in colors]) / sum(mix.values())

    # Geometry has its own random stream: one seed gives one layout whatever the mix.
    flakes = _flake_geometry(settings, np.random.default_rng([settings.seed, 0]))
    color_rng = np.random.default_rng([settings.seed, 1])
    labels = _rasterise(flakes, settings)
    surface = _surface_classes(labels >> 1, settings.rim_px, int(GAP_DEPTH_SHARE * len(flakes.outlines)))

    flake_count = len(flakes.outlines)
    # Shares are of what is seen: a wide or tall image keeps only part of the square layout.
    label_areas = np.bincount(labels[settings.kept].ravel(), minlength=FIRST_FLAKE_LABEL + 2 * flake_count)
    flake_areas = label_areas[FIRST_FLAKE_LABEL:].reshape(flake_count, 2).sum(axis=1)
    color_of_flake = assign_colors(flake_areas, fractions, color_rng)
    sample = (slice(None, None, 4), slice(None, None, 4))
    on_flakes = labels[sample] >= FIRST_FLAKE_LABEL
    class_pixels = np.bincount(surface[sample][on_flakes], minlength=SURFACE_CLASSES)
    face_colors = np.repeat(color_of_flake, 2)
    face_lab = _surface_lab(colors, palette, class_pixels)[face_colors]
    face_lab += _face_lab_offsets(settings, flakes, colors, color_of_flake, palette, color_rng)[:, None, :]
    # A flake is never as dark as a gap: the analyzer would count its pixels for no colour.
    np.clip(face_lab[..., 0], palette.gap_lightness + 1.0, 100.0, out=face_lab[..., 0])
    binder_linear = _binder_linear(fractions @ srgb_to_linear(palette.srgb_array(list(colors))), palette.gap_lightness)
    table = _color_table(settings, face_lab, binder_linear)

    index = labels * SURFACE_CLASSES
    index += surface
    words = np.take(table, index)
    image = Image.frombuffer("RGBA", (settings.size, settings.size), words, "raw", "RGBA", 0, 1).convert("RGB")
    color_of_label = np.concatenate([[-1, -1], face_colors]).astype(np.int16)
    return RenderedTile(image=image, labels=labels, surface=surface, color_of_label=color_of_label, colors=colors)


def render_tile(
    shares: Mapping[str, float],
    *,
    size: int = 1024,
    seed: int = 0,
    framing: str = "full_frame",
    grade: str = "standard",
    crop: tuple[int, int] | None = None,
) -> Image.Image:
    """An RGB preview of a tile with this mix, `size` x `size` pixels (256-2048), or the centred
    `crop` = (width, height) of it, with the shares exact in what is kept.

    shares: canonical colour name (tile_colors.COLOR_NAMES) -> percent, adding up to 100; the
    visible flake area of each colour matches its share to about a pixel.
    framing: "full_frame" (a close-up of the face edge to edge, like the SDXL outputs: 9.1 px/mm
    at 1024 px) or "product_photo" (the whole 140 mm tile with its edge on a white background,
    like the owner's photos: 3.9 px/mm at 640 px).
    grade: crumb sieve size, "fine" (1-3 mm), "standard" (2-4 mm) or "coarse" (3-5 mm).
    seed: a whole number >= 0; the same arguments always give the same image, and one seed gives
    one flake layout whatever the mix.
    ValueError, with what to fix, on an unknown colour, shares that do not add up to 100, a size
    outside 256-2048, an unknown framing or grade, or a bad seed.
    """
    settings = RenderSettings(size=size, seed=seed, framing=framing, grade=grade, crop=crop)
    image = render_layers(shares, settings).image
    if crop is None:
        return image
    rows, columns = settings.kept
    return image.crop((columns.start, rows.start, columns.stop, rows.stop))
