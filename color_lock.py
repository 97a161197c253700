"""Proportion lock: recolour whole granules of a tile image so its colour shares match the mix.

`match_colors(image, {"red": 60, "white": 40})` classifies the pixels with the colour analyzer,
splits the granule area into granules (connected regions of one colour class, cut at the dark
crevices between granules; gaps belong to none), and recolours whole granules from
over-represented colours to under-represented ones until the analyzer measures the asked
shares (up to three rounds, each checked by the analyzer). Granules of colours that were not
asked for (the model sometimes invents a hue) all go to asked colours; an asked colour the
model drew as another palette colour (a mauve "brown") is redrawn as itself.

Which granules move: a deterministic pseudo-random order (a real crumb mix is random), pushed
towards places where the target colour is locally scarce and the source colour abundant, so
the result stays evenly mixed and no region turns one colour.

How a granule is recoloured, in CIELAB: each pixel's lightness relative to its colour's typical
lit lightness is carried over (shade scales L + 16, highlights add and are compressed below
L = 100), so shading, edges and highlights survive; chroma is the target's, fading with shade
and highlights as on a matte surface. The old colour's tint that bled into neighbouring
granules' rims (JPEG chroma, VAE decoding) is replaced by the new colour's.

Errors: MixError (prompt_builder) for an unusable mix; NoGranulesError when the image has no
granules to recolour. A mix the lock cannot reach within MATCH_TOLERANCE_PP comes back as the
closest result with `matched` False and an `explanation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from color_analyzer import ColorShares, as_rgb_array, classify_pixels, measure_shares
from palette import Palette, load_palette, srgb_to_linear
from prompt_builder import SUM_TOLERANCE_PP, MixError
from tile_colors import COLOR_NAMES, ambiguous_choices, find_color, suggestion_hint

# The lock has done its job when every colour is this close to the mix (percentage points of
# the granule area, as the analyzer measures it).
MATCH_TOLERANCE_PP = 2.0
# Correction rounds stop once every colour is this close; each round re-measures with the analyzer.
_ROUND_TOLERANCE_PP = 1.0
_MAX_ROUNDS = 3
# Granules are found at about this resolution (shorter side, px); larger images are sampled.
_WORK_SIDE = 512
# Crevices between granules are 2-4 px wide in a 512 px output; the closing that finds them
# scales with the image.
_CREVICE_WIDTH_PER_512 = 4.0
# A pixel at least this much darker (CIELAB L) than the closing of its neighbourhood lies in a
# crevice or on a granule's shaded rim: granule cores are cut apart there.
_CREVICE_DEPTH_L = 6.0
# Breaks in the crevice lines up to about twice this wide (px at 512) are closed when cores are split.
_NECK_WIDTH_PER_512 = 1.5
# Cores smaller than this (pixels, at 512 px) are specks: they join the granule next to them.
_MIN_CORE_AREA_PER_512 = 4.0
# Cores larger than this many typical granules are several granules the crevices did not
# separate (or a flat region); they are cut into granule-sized cells.
_MAX_CORE_GRANULES = 6.0
# No granule is wider than this share of the image's shorter side; wider regions are cut into cells.
_MAX_GRANULE_WIDTH_SHARE = 1.0 / 16.0
# ...but cells are never cut narrower than this (px), whatever the image size.
_MIN_SPLIT_WIDTH_PX = 8.0
# Fewer granules than this means the image has no crumb texture to recolour.
MIN_GRANULES = 20
# A granule belongs to an unasked colour when its mean colour is farther than this (CIELAB)
# from every asked colour, lit or shaded...
_UNASKED_MIN_DISTANCE = 15.0
# ...and at most this fraction of that distance from an unasked palette colour.
_UNASKED_DISTANCE_RATIO = 0.5
# A colour the analyzer finds present but was not asked for is classified as itself (not forced into an
# asked one) when its palette colour is this far (CIELAB, lit or shaded) from every asked colour: black in
# a red / white ask. Nearer ones (terracotta next to red, pink next to red) are the asked colour drawn
# lighter or darker, and stay with it.
_INVENTED_MIN_DISTANCE = 25.0
# ...and covers at least this share of the granule area (percent): below it, highlights and rims of
# the asked colours (white glints on red and blue) would be counted as a colour that is not there.
_INVENTED_MIN_SHARE = 5.0
_PRESENCE_SIDE = 256  # px; enough to find a colour that covers 5% of the tile
# A granule's mean colour is its lit colour times a shade factor in this range (on L + 16, a, b).
_SHADE_RANGE = (0.6, 1.2)
# A colour covering at least this share of the granule area has a reliable in-image appearance.
_PRESENT_SHARE = 0.03
# A present colour is redrawn in its palette colour when it looks nearer to another palette
# colour and at least this far (CIELAB) from its own: close neighbours (white and pearl, 10
# apart) swap places under a small change of exposure, which is no reason to redraw a tile.
_MIN_CORRECTION_DISTANCE = 12.0
# Colour bleeds this far (px) into the next granule (JPEG chroma, VAE decoding): the rim of a
# granule next to a recoloured one loses the old colour's tint there.
_HALO_WIDTH_PX = 2
# A recoloured pixel keeps its own chroma detail (its a, b minus its granule's) up to this length.
_MAX_CHROMA_DETAIL = 6.0
# Two colours closer than this (CIELAB a, b) give no reliable direction to measure a tint along.
_MIN_TINT_CONTRAST_AB = 15.0
# Selection: local colour shares are read on cells this many granules wide...
_LOCAL_CELL_GRANULES = 4.0
# ...and weigh this much against the random order (which spans 0-1).
_LOCAL_SHARE_WEIGHT = 2.0


class ColorLockError(ValueError):
    """The lock cannot be applied to this image or mix; the message says why and what to do."""


class NoGranulesError(ColorLockError):
    """The image has no granules to recolour (no tile face, all gap, or a flat image)."""


@dataclass(frozen=True)
class ColorMove:
    """Granules recoloured from one colour to another."""

    source: str  # palette colour the granules had (asked or not)
    target: str
    granules: int
    percent: float  # of the granule area


@dataclass(frozen=True)
class LockResult:
    """What the lock did.

    image: the recoloured image (RGB).
    asked: colour -> percent asked, normalised to sum to 100.
    shares_before / shares_after: the analyzer's shares of the asked colours, before and after.
    unasked_before: colours found that were not asked for -> percent of the granule area they
    covered (all of it is recoloured to asked colours).
    corrected: asked colours the model drew as another palette colour; all their granules were
    redrawn in the colour's palette appearance.
    moves: granules recoloured, by source and target colour.
    granule_count: granules found in the image.
    rounds: recolouring rounds run (each checked by the analyzer).
    explanation: empty when every colour is within MATCH_TOLERANCE_PP; otherwise why not.
    """

    image: Image.Image
    asked: dict[str, float]
    shares_before: dict[str, float]
    shares_after: dict[str, float]
    unasked_before: dict[str, float]
    corrected: tuple[str, ...]
    moves: tuple[ColorMove, ...]
    granule_count: int
    rounds: int
    explanation: str

    @property
    def errors_after(self) -> dict[str, float]:
        """Measured minus asked, percentage points."""
        return {name: self.shares_after[name] - percent for name, percent in self.asked.items()}

    @property
    def matched(self) -> bool:
        return all(abs(error) <= MATCH_TOLERANCE_PP for error in self.errors_after.values())


# ---------------------------------------------------------------------------------------------
# Mix
# ---------------------------------------------------------------------------------------------
def asked_shares(mix: Mapping[str, float]) -> dict[str, float]:
    """Canonical colour names -> percent, scaled to sum to 100; MixError for anything unusable."""
    if not isinstance(mix, Mapping) or not mix:
        raise MixError(f"the mix must be a non-empty mapping of colour -> percent, got {mix!r}")
    shares: dict[str, float] = {}
    for text, percent in mix.items():
        color = find_color(str(text))
        if color is None:
            choices = ambiguous_choices(str(text))
            if choices:
                raise MixError(f"{text!r} could be several tile colours: use one of {', '.join(choices)}")
            hint = f" ({suggestion})" if (suggestion := suggestion_hint(str(text))) else ""
            raise MixError(f"unknown colour {text!r}{hint}; known colours: {', '.join(COLOR_NAMES)}")
        if color.name in shares:
            raise MixError(f"{color.name!r} is in the mix twice: give each colour once")
        try:
            value = float(percent)
        except (TypeError, ValueError):
            raise MixError(f"{color.name!r} has a share of {percent!r}: give a number of percent") from None
        if not np.isfinite(value) or value <= 0.0 or value > 100.0:
            raise MixError(f"{color.name!r} has a share of {percent!r}: every share must be above 0 and at most 100")
        shares[color.name] = value
    total = sum(shares.values())
    if abs(total - 100.0) > SUM_TOLERANCE_PP:
        raise MixError(f"the shares add up to {total:g}%, not 100%: adjust them so they sum to 100")
    return {name: value * 100.0 / total for name, value in shares.items()}


# ---------------------------------------------------------------------------------------------
# Fast colour conversion (float32, look-up tables): the lock converts up to a million pixels.
# ---------------------------------------------------------------------------------------------
_SRGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_D65_WHITE = np.array([0.95047, 1.0, 1.08883])
_LINEAR_TO_XYZN = (_SRGB_TO_XYZ / _D65_WHITE[:, None]).T.astype(np.float32)
_XYZN_TO_LINEAR = np.linalg.inv(_SRGB_TO_XYZ / _D65_WHITE[:, None]).T.astype(np.float32)
_LINEAR_LUT = srgb_to_linear(np.arange(256)).astype(np.float32)
_ENCODE_STEPS = 65535
_ENCODE_LUT = np.clip(
    np.rint(255.0 * np.where(
        (s := np.arange(_ENCODE_STEPS + 1) / _ENCODE_STEPS) <= 0.0031308, 12.92 * s, 1.055 * s ** (1.0 / 2.4) - 0.055
    )),
    0,
    255,
).astype(np.uint8)
_LAB_EPSILON = 216.0 / 24389.0
_LAB_KAPPA = 24389.0 / 27.0


def _lab_f(t: np.ndarray) -> np.ndarray:
    return np.where(t > _LAB_EPSILON, np.cbrt(t), (_LAB_KAPPA * t + 16.0) / 116.0)


def _lab_f_inverse(f: np.ndarray) -> np.ndarray:
    cubed = f * f * f
    return np.where(cubed > _LAB_EPSILON, cubed, (116.0 * f - 16.0) / _LAB_KAPPA)


def _mix_channels(channels: tuple[np.ndarray, ...], matrix: np.ndarray, column: int) -> np.ndarray:
    # Channel by channel: numpy's (N, 3) @ (3, 3) is several times slower than this.
    return channels[0] * matrix[0, column] + channels[1] * matrix[1, column] + channels[2] * matrix[2, column]


def srgb_to_lab_fast(rgb: np.ndarray) -> np.ndarray:
    """uint8 sRGB (..., 3) -> CIELAB (..., 3) float32; agrees with palette.srgb_to_lab to 0.01."""
    linear = (_LINEAR_LUT[rgb[..., 0]], _LINEAR_LUT[rgb[..., 1]], _LINEAR_LUT[rgb[..., 2]])
    fx, fy, fz = (_lab_f(_mix_channels(linear, _LINEAR_TO_XYZN, column)) for column in range(3))
    return np.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)


def lightness_fast(rgb: np.ndarray) -> np.ndarray:
    """uint8 sRGB (..., 3) -> CIELAB L (...) float32."""
    linear = (_LINEAR_LUT[rgb[..., 0]], _LINEAR_LUT[rgb[..., 1]], _LINEAR_LUT[rgb[..., 2]])
    return 116.0 * _lab_f(_mix_channels(linear, _LINEAR_TO_XYZN, 1)) - 16.0


def lab_to_srgb_fast(lab: np.ndarray) -> np.ndarray:
    """CIELAB (..., 3) -> uint8 sRGB, clipped to the gamut box; within 1 level of palette.lab_to_srgb_uint8."""
    lab = lab.astype(np.float32, copy=False)
    fy = (lab[..., 0] + 16.0) / 116.0
    xyzn = (_lab_f_inverse(fy + lab[..., 1] / 500.0), _lab_f_inverse(fy), _lab_f_inverse(fy - lab[..., 2] / 200.0))
    encoded = []
    for column in range(3):
        linear = _mix_channels(xyzn, _XYZN_TO_LINEAR, column)
        encoded.append(_ENCODE_LUT[np.clip(linear * _ENCODE_STEPS + 0.5, 0, _ENCODE_STEPS).astype(np.int32)])
    return np.stack(encoded, axis=-1)


# ---------------------------------------------------------------------------------------------
# Granules
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Granules:
    """The granules of an image.

    ids: HxW int32, granule number 1..count, 0 where no granule (gaps, background, stray pixels).
    color: (count + 1,) palette index of each granule's colour class (entry 0 unused, -1).
    area: (count + 1,) pixels; centroid: (count + 1, 2) row, column; mean_lab: (count + 1, 3).
    natural_count: granules the crevices separated, before large regions were cut into cells.
    """

    ids: np.ndarray
    color: np.ndarray
    area: np.ndarray
    centroid: np.ndarray
    mean_lab: np.ndarray
    natural_count: int

    @property
    def count(self) -> int:
        return len(self.area) - 1


def _scale(shape: tuple[int, ...]) -> float:
    return min(shape[0], shape[1]) / 512.0


def crevice_pixels(lightness: np.ndarray) -> np.ndarray:
    """HxW bool: pixels clearly darker than a closing of their neighbourhood (crevices, rims)."""
    width = 1 + 2 * max(1, round(_CREVICE_WIDTH_PER_512 * _scale(lightness.shape) / 2))
    coded = np.clip(lightness * 2.5, 0, 255).astype(np.uint8)
    closed = ndimage.grey_closing(coded, size=(width, width))
    return (closed.astype(np.int16) - coded) > round(_CREVICE_DEPTH_L * 2.5)


def majority_classes(classes: np.ndarray) -> np.ndarray:
    """Each granule pixel's most common label in its 3 x 3 neighbourhood; gaps (negative) stay."""
    present = np.unique(classes[classes >= 0])
    if present.size <= 1:
        return classes
    votes = np.stack([ndimage.uniform_filter((classes == c).astype(np.float32), size=3) for c in present])
    return np.where(classes >= 0, present[np.argmax(votes, axis=0)], classes)


def _class_edges(classes: np.ndarray) -> np.ndarray:
    """HxW bool: pixels with a 4-neighbour of another class."""
    edge = np.zeros(classes.shape, dtype=bool)
    vertical = classes[1:] != classes[:-1]
    horizontal = classes[:, 1:] != classes[:, :-1]
    edge[1:] |= vertical
    edge[:-1] |= vertical
    edge[:, 1:] |= horizontal
    edge[:, :-1] |= horizontal
    return edge


def _cell_grid(shape: tuple[int, int], cell: float) -> np.ndarray:
    """HxW int32 cell number of a grid of irregular cells about `cell` px wide.

    The grid coordinates are bent by a smooth deterministic wave so cell borders wander like
    granule outlines instead of running straight.
    """
    rows = np.arange(shape[0], dtype=np.float32)[:, None]
    cols = np.arange(shape[1], dtype=np.float32)[None, :]
    phase = 2.0 * np.pi / (2.3 * cell)
    bend_rows = 0.35 * cell * (np.sin(cols * phase + 1.3) + np.sin(rows * phase * 0.7 + 0.4))
    bend_cols = 0.35 * cell * (np.sin(rows * phase + 2.1) + np.sin(cols * phase * 0.8 + 5.0))
    cell_row = np.floor((rows + bend_rows) / cell).astype(np.int32) + 2
    cell_col = np.floor((cols + bend_cols) / cell).astype(np.int32) + 2
    return cell_row * (int(shape[1] / cell) + 6) + cell_col


def area_weighted_median(areas: np.ndarray) -> float:
    """The granule area at which half the total area lies in smaller granules (specks barely count)."""
    ordered = np.sort(areas)
    cumulative = np.cumsum(ordered)
    return float(ordered[np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def _seeds(core: np.ndarray, neck: int, min_area: int) -> tuple[np.ndarray, int]:
    """One seed per granule core: HxW int32 seed numbers 1..count (0 elsewhere) and the count.

    Crevice lines have small breaks through which neighbouring granules join: eroding the cores
    by `neck` px opens those breaks and each eroded piece seeds a granule. Cores too small to
    survive the erosion seed a granule of their own unless they are specks under `min_area` px.
    """
    core_ids, core_count = ndimage.label(core)
    core_area = np.bincount(core_ids.ravel(), minlength=core_count + 1)
    eroded = ndimage.binary_erosion(core, iterations=neck)
    seeds, seed_count = ndimage.label(eroded)
    seeded = np.zeros(core_count + 1, dtype=bool)
    seeded[core_ids[eroded]] = True
    own = ~seeded & (core_area >= min_area)
    own[0] = False
    own_number = np.cumsum(own).astype(np.int32)
    own_pixels = own[core_ids]
    seeds[own_pixels] = seed_count + own_number[core_ids[own_pixels]]
    return seeds.astype(np.int32, copy=False), seed_count + int(own_number[-1])


def _nearest_seed(seeds: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Each allowed pixel gets the number of its nearest seed.

    Euclidean: city-block distances tie over whole areas and leave straight spikes of one
    granule inside another.
    """
    nearest = ndimage.distance_transform_edt(seeds == 0, return_distances=False, return_indices=True)
    ids = seeds[nearest[0], nearest[1]]
    ids[~allowed] = 0
    return ids


def _match_classes(ids: np.ndarray, classes: np.ndarray, granule_class: np.ndarray, passes: int) -> np.ndarray:
    """Move pixels given to a granule of another class to a neighbouring granule of their own class.

    A granule's dark rim is cut off its core (it is a crevice) and may lie nearer to the next
    granule's core; its colour class says where it belongs.
    """
    height, width = ids.shape
    flat_ids = ids.ravel().copy()
    flat_classes = classes.ravel()
    index = np.flatnonzero((flat_classes >= 0) & (granule_class[flat_ids] != flat_classes))
    for _ in range(passes):
        if index.size == 0:
            break
        wanted = flat_classes[index]
        column = index % width
        for offset, inside in (
            (-width, index >= width),
            (width, index < (height - 1) * width),
            (-1, column > 0),
            (1, column < width - 1),
        ):
            neighbour = flat_ids[np.where(inside, index + offset, index)]
            fits = inside & (granule_class[neighbour] == wanted) & (granule_class[flat_ids[index]] != wanted)
            flat_ids[index[fits]] = neighbour[fits]
        index = index[granule_class[flat_ids[index]] != wanted]
    return flat_ids.reshape(height, width)


def _split_large(ids: np.ndarray, granule_class: np.ndarray, max_area: float, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """Cut granules larger than `max_area` px into cells about `cell` px wide; new ids and classes."""
    area = np.bincount(ids.ravel(), minlength=len(granule_class))
    area[0] = 0
    large = area > max_area
    if not large.any():
        return ids, granule_class
    in_large = large[ids]
    cells = _cell_grid(ids.shape, cell)
    cell_count = int(cells.max()) + 1
    key = ids[in_large].astype(np.int64) * cell_count + cells[in_large]
    pieces, piece_of_pixel = np.unique(key, return_inverse=True)
    first_new = len(granule_class)
    ids = ids.copy()
    ids[in_large] = first_new + piece_of_pixel.astype(np.int32)
    granule_class = np.concatenate([granule_class, granule_class[pieces // cell_count]])
    # Renumber so every id in use is 1..count and the split granules' old ids are gone.
    used = np.flatnonzero(np.bincount(ids.ravel(), minlength=len(granule_class)))
    used = used[used > 0]
    renumber = np.zeros(len(granule_class), dtype=np.int32)
    renumber[used] = np.arange(1, used.size + 1, dtype=np.int32)
    return renumber[ids], np.concatenate([[-1], granule_class[used]])


def find_granules(rgb: np.ndarray, classes: np.ndarray) -> Granules:
    """Granules: connected regions of one colour class, cut at crevices, specks merged, large regions split.

    classes: HxW palette index per pixel, negative where no granule colour (gaps, background).
    Granules are found on every `step`-th pixel of a large image (a 1024 px output has granules
    twice as wide as a 512 px one, so nothing is lost) and carried back to full size, where
    each pixel is matched to a granule of its own colour class.
    """
    step = max(1, min(classes.shape) // _WORK_SIDE)
    # Where the model drew a colour between two asked ones the labels flicker from pixel to
    # pixel; cutting granules at every flicker would leave only specks. The majority label of
    # each 3 x 3 neighbourhood keeps real colour boundaries and drops the flicker.
    work_classes = majority_classes(classes[::step, ::step])
    scale = _scale(work_classes.shape)
    granule_pixels = work_classes >= 0
    core = granule_pixels & ~crevice_pixels(lightness_fast(rgb[::step, ::step])) & ~_class_edges(work_classes)
    min_area = max(2, round(_MIN_CORE_AREA_PER_512 * scale * scale))
    seeds, natural_count = _seeds(core, max(1, round(_NECK_WIDTH_PER_512 * scale)), min_area)
    if natural_count < MIN_GRANULES:
        raise NoGranulesError(
            f"found {natural_count} granules (at least {MIN_GRANULES} needed): the image has no crumb texture "
            "to recolour. The lock recolours whole granules; it works on images of rubber-crumb tiles"
        )
    granule_class = np.full(natural_count + 1, -1, dtype=np.int64)
    seeded = seeds > 0
    granule_class[seeds[seeded]] = work_classes[seeded]
    ids = _nearest_seed(seeds, granule_pixels)
    area = np.bincount(ids.ravel(), minlength=natural_count + 1)[1:]
    typical_area = area_weighted_median(area[area > 0])
    widest = max(_MIN_SPLIT_WIDTH_PX, _MAX_GRANULE_WIDTH_SHARE * min(work_classes.shape))
    ids, granule_class = _split_large(
        ids,
        granule_class,
        max_area=min(_MAX_CORE_GRANULES * typical_area, widest * widest),
        cell=min(1.2 * np.sqrt(typical_area), 0.5 * widest),
    )
    if step > 1:
        ids = np.repeat(np.repeat(ids, step, axis=0), step, axis=1)[: classes.shape[0], : classes.shape[1]]
    ids = np.where(classes >= 0, ids, 0)
    settled = classes
    if step > 1:
        settled = np.repeat(np.repeat(work_classes, step, axis=0), step, axis=1)[: classes.shape[0], : classes.shape[1]]
    # Only pixels whose label the neighbourhood agrees with move to a granule of that colour.
    ids = _match_classes(ids, np.where(settled == classes, classes, -1), granule_class, passes=step + 1)
    return _granule_table(rgb, ids, granule_class, natural_count)


def _granule_table(rgb: np.ndarray, ids: np.ndarray, granule_class: np.ndarray, natural_count: int) -> Granules:
    count = len(granule_class) - 1
    area = np.bincount(ids.ravel(), minlength=count + 1).astype(np.float64)
    area[0] = 0.0
    # Centroids and mean colours need no more than every other pixel of a large image.
    step = max(1, min(ids.shape) // 512)
    sample_ids = ids[::step, ::step].ravel()
    sample_area = np.maximum(np.bincount(sample_ids, minlength=count + 1), 1.0)
    rows, cols = np.indices(ids[::step, ::step].shape)
    centroid = step * np.stack(
        [np.bincount(sample_ids, weights=rows.ravel(), minlength=count + 1) / sample_area,
         np.bincount(sample_ids, weights=cols.ravel(), minlength=count + 1) / sample_area],
        axis=1,
    )
    sample_rgb = rgb[::step, ::step].reshape(-1, 3)
    mean_rgb = np.stack(
        [np.bincount(sample_ids, weights=sample_rgb[:, channel], minlength=count + 1) / sample_area for channel in range(3)],
        axis=1,
    )
    mean_lab = srgb_to_lab_fast(np.clip(np.rint(mean_rgb), 0, 255).astype(np.uint8)).astype(np.float64)
    return Granules(ids=ids, color=granule_class, area=area, centroid=centroid, mean_lab=mean_lab, natural_count=natural_count)


# ---------------------------------------------------------------------------------------------
# Colour references
# ---------------------------------------------------------------------------------------------
def _colour_references(rgb: np.ndarray, ids: np.ndarray, granule_color: np.ndarray, palette_size: int) -> dict[int, np.ndarray]:
    """Palette index -> how that colour looks in this image: per-channel median Lab of its lit pixels.

    Lit = lightness percentiles 25-95 of the colour's pixels, as the palette's typical colours
    were measured.
    """
    step = max(1, min(rgb.shape[:2]) // 256)
    colors = granule_color[ids[::step, ::step]]
    lab = srgb_to_lab_fast(rgb[::step, ::step])
    references: dict[int, np.ndarray] = {}
    for color in range(palette_size):
        pixels = lab[colors == color]
        if len(pixels) < 16:
            continue
        low, high = np.percentile(pixels[:, 0], [25.0, 95.0])
        lit = pixels[(pixels[:, 0] >= low) & (pixels[:, 0] <= high)]
        references[color] = np.median(lit if len(lit) else pixels, axis=0).astype(np.float64)
    return references


def shading_distance(lab: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """(N, M) CIELAB distance from each colour in `lab` to each of `colors` lit or shaded.

    Shade scales L + 16, a and b together, so a colour in shade lies on the segment from the
    origin (L = -16) through the lit colour; the distance is to that segment between
    _SHADE_RANGE[0] and _SHADE_RANGE[1] times the lit colour. A red granule in shadow is then
    red, not terracotta.
    """
    points = np.asarray(lab, dtype=np.float64) + np.array([16.0, 0.0, 0.0])
    lit = np.asarray(colors, dtype=np.float64) + np.array([16.0, 0.0, 0.0])
    along = (points @ lit.T) / (lit * lit).sum(axis=1)[None, :]
    along = np.clip(along, *_SHADE_RANGE)
    nearest = along[:, :, None] * lit[None, :, :]
    return np.sqrt(((points[:, None, :] - nearest) ** 2).sum(axis=2))


def unasked_granule_colors(
    mean_lab: np.ndarray, asked_index: np.ndarray, asked_lab: np.ndarray, palette_lab: np.ndarray
) -> np.ndarray:
    """Per granule: the palette index of the unasked colour it shows, or -1 where it shows an asked one.

    asked_lab: how the asked colours look in this image; palette_lab: all palette colours.
    A granule shows an unasked colour when, lit or shaded, it is far from every asked colour
    and much nearer to that one.
    """
    others = np.setdiff1d(np.arange(len(palette_lab)), asked_index)
    if others.size == 0:
        return np.full(len(mean_lab), -1)
    to_asked = shading_distance(mean_lab, asked_lab).min(axis=1)
    to_others = shading_distance(mean_lab, palette_lab[others])
    nearest_other = to_others.argmin(axis=1)
    unasked = (to_asked > _UNASKED_MIN_DISTANCE) & (
        to_others[np.arange(len(mean_lab)), nearest_other] <= _UNASKED_DISTANCE_RATIO * to_asked
    )
    return np.where(unasked, others[nearest_other], -1)


# ---------------------------------------------------------------------------------------------
# Which granules move
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Layout:
    """Where granules are, for reading local colour shares on a coarse grid."""

    cell_of_granule: np.ndarray  # (count + 1,) cell number
    grid_shape: tuple[int, int]
    random_order: np.ndarray  # (count + 1,) deterministic uniform 0-1 per granule


def _layout(granules: Granules, shape: tuple[int, int]) -> _Layout:
    typical_width = float(np.sqrt(area_weighted_median(granules.area[1:])))
    cell = max(4.0, _LOCAL_CELL_GRANULES * typical_width)
    grid_shape = (max(1, int(np.ceil(shape[0] / cell))), max(1, int(np.ceil(shape[1] / cell))))
    cell_row = np.minimum((granules.centroid[:, 0] / cell).astype(int), grid_shape[0] - 1)
    cell_col = np.minimum((granules.centroid[:, 1] / cell).astype(int), grid_shape[1] - 1)
    random_order = np.random.default_rng(20250902).random(granules.count + 1)
    return _Layout(cell_row * grid_shape[1] + cell_col, grid_shape, random_order)


def _local_shares(layout: _Layout, area: np.ndarray, color: np.ndarray, colors: tuple[int, ...]) -> dict[int, np.ndarray]:
    """Colour -> (count + 1,) share of that colour in the neighbourhood of each granule."""
    cells = layout.grid_shape[0] * layout.grid_shape[1]

    def smoothed(weights: np.ndarray) -> np.ndarray:
        grid = np.bincount(layout.cell_of_granule, weights=weights, minlength=cells).reshape(layout.grid_shape)
        return ndimage.gaussian_filter(grid, sigma=1.0, mode="nearest").ravel()

    total = np.maximum(smoothed(area), 1e-9)
    return {c: (smoothed(area * (color == c)) / total)[layout.cell_of_granule] for c in colors}


def _pick(candidates: np.ndarray, priority: np.ndarray, area: np.ndarray, needed: float) -> np.ndarray:
    """The candidates of lowest priority whose total area comes closest to `needed`."""
    if candidates.size == 0 or needed <= 0.0:
        return candidates[:0]
    ordered = candidates[np.argsort(priority, kind="stable")]
    cumulative = np.cumsum(area[ordered])
    take = int(np.searchsorted(cumulative, needed))
    if take < len(ordered) and (take == 0 or abs(cumulative[take] - needed) < abs(cumulative[take - 1] - needed)):
        take += 1
    return ordered[:take]


def _flows(change: dict[int, float]) -> list[tuple[int, int, float]]:
    """(source, target, area) from colour -> area to gain (negative: to give), spread proportionally."""
    give = {c: -a for c, a in change.items() if a < 0}
    gain = {c: a for c, a in change.items() if a > 0}
    total_gain = sum(gain.values())
    if total_gain <= 0.0:
        return []
    flows = [(s, t, amount * wanted / total_gain) for s, amount in give.items() for t, wanted in gain.items()]
    return sorted(flows, key=lambda flow: -flow[2])


def _reassign(
    color: np.ndarray,
    granules: Granules,
    layout: _Layout,
    change: dict[int, float],
    want: dict[int, float],
) -> np.ndarray:
    """New colour per granule after moving `change` (colour -> area to gain) between colours."""
    color = color.copy()
    for source, target, amount in _flows(change):
        local = _local_shares(layout, granules.area, color, (source, target))
        candidates = np.flatnonzero(color == source)
        imbalance = (local[target] - want.get(target, 0.0)) - (local[source] - want.get(source, 0.0))
        priority = layout.random_order + _LOCAL_SHARE_WEIGHT * imbalance
        chosen = _pick(candidates, priority[candidates], granules.area, amount)
        color[chosen] = target
    return color


# ---------------------------------------------------------------------------------------------
# Recolouring pixels
# ---------------------------------------------------------------------------------------------
def chroma_detail_weight(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """How much of a pixel's own chroma detail (its a, b minus its granule's) a recoloured pixel keeps.

    All of it where the target colour has at least the source's chroma; less towards a neutral
    target, so a red granule turned white keeps no red speckle.
    """
    source_chroma = np.hypot(source[..., 1], source[..., 2])
    target_chroma = np.hypot(target[..., 1], target[..., 2])
    return np.clip(target_chroma / np.maximum(source_chroma, 1.0), 0.0, 1.0)


def recolor_pixels(
    lab: np.ndarray, source: np.ndarray, target: np.ndarray, granule_ab: np.ndarray, detail: np.ndarray
) -> np.ndarray:
    """New CIELAB for pixels of granules moving from the `source` colour to the `target` colour.

    lab: (N, 3) the pixels; source, target: (N, 3) how the two colours look (typical lit colour);
    granule_ab: (N, 2) mean a, b of each pixel's granule; detail: (N,) chroma_detail_weight.
    Below the source's typical lightness the pixel is in shade: L + 16 scales by the target's
    over the source's (a shade factor on light is a factor on L + 16 in CIELAB). Above it, a
    highlight: the same L is added, compressed softly into the room left below L = 100. Chroma
    is the target's, scaled down in shade (in proportion, as on a matte surface) and towards
    white in highlights, plus the pixel's own chroma detail.
    """
    lightness, source_l, target_l = lab[:, 0], source[:, 0], target[:, 0]
    shaded = (target_l + 16.0) * (lightness + 16.0) / (source_l + 16.0) - 16.0
    new_l = np.maximum(np.where(lightness < source_l, shaded, target_l + (lightness - source_l)), 0.0)
    # Compress highlights into the headroom left above the target instead of clipping them flat.
    knee = target_l + 0.5 * (100.0 - target_l)
    headroom = np.maximum(100.0 - knee, 1e-3)
    compressed = knee + headroom * (1.0 - np.exp(-(new_l - knee) / headroom))
    new_l = np.where(new_l > knee, compressed, new_l)
    chroma_scale = np.where(
        new_l < target_l, (new_l + 16.0) / (target_l + 16.0), (100.0 - new_l) / np.maximum(100.0 - target_l, 1e-3)
    )
    np.clip(chroma_scale, 0.0, 1.0, out=chroma_scale)
    detail_a = lab[:, 1] - granule_ab[:, 0]
    detail_b = lab[:, 2] - granule_ab[:, 1]
    # A granule cut across two colours has pixels far from its mean: their offset is another
    # colour, not detail, and would tint the new colour (cyan on white), so it is capped.
    cap = _MAX_CHROMA_DETAIL / np.maximum(np.hypot(detail_a, detail_b), _MAX_CHROMA_DETAIL)
    new_a = target[:, 1] * chroma_scale + detail * cap * detail_a
    new_b = target[:, 2] * chroma_scale + detail * cap * detail_b
    return np.stack([new_l, new_a, new_b], axis=1)


@dataclass(frozen=True)
class Appearance:
    """How each palette colour is drawn: (palette size, 3) CIELAB tables and flags.

    source: how the colour looks in this image (its granules' lit pixels), or its palette colour
    where it is absent. target: what granules recoloured to it are given: its look here when it
    is present and looks like itself, else its palette colour. corrected: present colours that
    look like another palette colour here and are far from their own (the model drew a
    different colour under this name); their granules are redrawn in the target colour even
    where they keep their colour.
    """

    source: np.ndarray
    target: np.ndarray
    corrected: np.ndarray


def appearance(references: dict[int, np.ndarray], area: np.ndarray, palette_lab: np.ndarray) -> Appearance:
    source = palette_lab.astype(np.float64).copy()
    target = palette_lab.astype(np.float64).copy()
    corrected = np.zeros(len(palette_lab), dtype=bool)
    total = area.sum()
    for color, reference in references.items():
        source[color] = reference
        if area[color] < _PRESENT_SHARE * total:
            continue
        distance = np.sqrt(((palette_lab - reference) ** 2).sum(axis=1))
        if int(np.argmin(distance)) != color and distance[color] > _MIN_CORRECTION_DISTANCE:
            corrected[color] = True
        else:
            target[color] = reference
    return Appearance(source=source, target=target, corrected=corrected)


def _render(
    original: np.ndarray,
    out: np.ndarray,
    granules: Granules,
    changed: np.ndarray,
    color: np.ndarray,
    looks: Appearance,
) -> None:
    """Redraw the `changed` granules into `out` from the original pixels, in their colour `color`."""
    redraw = np.zeros(granules.count + 1, dtype=bool)
    redraw[changed] = True
    flat_ids = granules.ids.ravel()
    index = np.flatnonzero(redraw[flat_ids])
    ids = flat_ids[index]
    flat_original = original.reshape(-1, 3)
    flat_out = out.reshape(-1, 3)
    redrawn = _redrawn(granules, color, looks)[ids]
    restored = index[~redrawn]
    flat_out[restored] = np.take(flat_original, restored, axis=0)
    moving, moving_ids = index[redrawn], ids[redrawn]
    if moving.size == 0:
        return
    # Tables per granule, then one np.take per pixel (fancy indexing of rows is several times slower).
    granule_source = looks.source[granules.color].astype(np.float32)
    granule_target = looks.target[np.maximum(color, 0)].astype(np.float32)
    granule_ab = granules.mean_lab[:, 1:].astype(np.float32)
    granule_detail = chroma_detail_weight(granule_source, granule_target)
    new_lab = recolor_pixels(
        srgb_to_lab_fast(np.take(flat_original, moving, axis=0)),
        np.take(granule_source, moving_ids, axis=0),
        np.take(granule_target, moving_ids, axis=0),
        np.take(granule_ab, moving_ids, axis=0),
        np.take(granule_detail, moving_ids),
    )
    flat_out[moving] = lab_to_srgb_fast(new_lab)


def _redrawn(granules: Granules, color: np.ndarray, looks: Appearance) -> np.ndarray:
    """(count + 1,) bool: granules drawn in a new colour (moved, or of a corrected colour)."""
    redrawn = (color != granules.color) | looks.corrected[np.maximum(granules.color, 0)]
    redrawn[0] = False
    return redrawn


def _spread_max(values: np.ndarray, steps: int) -> np.ndarray:
    """Largest value within `steps` 4-neighbour steps (a diamond); several times faster than maximum_filter."""
    spread = values.copy()
    for _ in range(steps):
        grown = spread.copy()
        np.maximum(grown[1:], spread[:-1], out=grown[1:])
        np.maximum(grown[:-1], spread[1:], out=grown[:-1])
        np.maximum(grown[:, 1:], spread[:, :-1], out=grown[:, 1:])
        np.maximum(grown[:, :-1], spread[:, 1:], out=grown[:, :-1])
        spread = grown
    return spread


def _remove_halos(
    original: np.ndarray, out: np.ndarray, granules: Granules, color: np.ndarray, looks: Appearance, width: int
) -> np.ndarray:
    """Take the old colour's tint off the rims of granules next to redrawn ones; the flat indices changed.

    A rim pixel p of a granule with mean colour O next to a redrawn granule that was S and is
    now T holds a share w of S (w from projecting p - O on S - O in a, b); that share becomes T.
    """
    redrawn = _redrawn(granules, color, looks)
    redrawn_pixel = redrawn[granules.ids]
    nearby = _spread_max(granules.ids * redrawn_pixel, width)
    index = np.flatnonzero((nearby > 0) & (granules.ids > 0) & ~redrawn_pixel)
    if index.size == 0:
        return index
    own = np.take(granules.ids.ravel(), index)
    neighbour = np.take(nearby.ravel(), index)
    lab = srgb_to_lab_fast(np.take(original.reshape(-1, 3), index, axis=0))
    own_ab = np.take(granules.mean_lab[:, 1:].astype(np.float32), own, axis=0)
    was = np.take(looks.source[granules.color, 1:].astype(np.float32), neighbour, axis=0)
    now = np.take(looks.target[np.maximum(color, 0), 1:].astype(np.float32), neighbour, axis=0)
    direction = was - own_ab
    offset = lab[:, 1:] - own_ab
    contrast = (direction * direction).sum(axis=1)
    share = (offset * direction).sum(axis=1) / np.maximum(contrast, 1e-6)
    across = (offset * offset).sum(axis=1) - share * share * contrast
    # Only pixels that lie between the two colours are a blend of them; anything else (a
    # highlight, a third colour) is left alone.
    blend = (contrast >= _MIN_TINT_CONTRAST_AB**2) & (share > 0.0) & (share <= 1.25) & (across <= 0.25 * contrast)
    lab[:, 1:] += np.where(blend, np.minimum(share, 1.0), 0.0)[:, None] * (now - was)
    out.reshape(-1, 3)[index] = lab_to_srgb_fast(lab)
    return index


# ---------------------------------------------------------------------------------------------
# The lock
# ---------------------------------------------------------------------------------------------
def _area_by_color(granules: Granules, color: np.ndarray, palette_size: int) -> np.ndarray:
    return np.bincount(color[1:], weights=granules.area[1:], minlength=palette_size)


def _moves(granules: Granules, color: np.ndarray, names: tuple[str, ...]) -> tuple[ColorMove, ...]:
    total = granules.area.sum()
    moved = np.flatnonzero(color != granules.color)
    pairs: dict[tuple[int, int], list[int]] = {}
    for granule in moved:
        pairs.setdefault((int(granules.color[granule]), int(color[granule])), []).append(int(granule))
    return tuple(
        ColorMove(names[s], names[t], len(members), float(100.0 * granules.area[members].sum() / total))
        for (s, t), members in sorted(pairs.items(), key=lambda item: -granules.area[item[1]].sum())
    )


def _explain(asked: dict[str, float], after: dict[str, float], granules: Granules) -> str:
    off = {name: after[name] - percent for name, percent in asked.items() if abs(after[name] - percent) > MATCH_TOLERANCE_PP}
    if not off:
        return ""
    largest = 100.0 * granules.area.max() / granules.area.sum()
    detail = ", ".join(f"{name} {error:+.1f} pp" for name, error in off.items())
    return (
        f"could not reach the mix within {MATCH_TOLERANCE_PP:g} pp: {detail} after {_MAX_ROUNDS} rounds "
        f"over {granules.count} granules (the largest is {largest:.1f}% of the granule area). "
        "Whole granules are recoloured, so an image with few or very uneven granules cannot hit every share"
    )


@dataclass(frozen=True)
class _Scene:
    """An image read for the lock: its granules (unasked colours marked) and how colours look in it."""

    rgb: np.ndarray
    names: tuple[str, ...]
    asked_index: np.ndarray  # palette index of each asked colour
    granules: Granules
    looks: Appearance
    before: ColorShares


def _invented_colors(present: Mapping[str, float], asked: tuple[str, ...], palette: Palette) -> tuple[str, ...]:
    """Colours found present (open mode) that the model drew instead of asked ones: see _INVENTED_MIN_*."""
    candidates = [name for name, share in present.items() if name not in asked and share >= _INVENTED_MIN_SHARE]
    if not candidates:
        return ()
    palette_lab = palette.lab_array()
    asked_lab = palette_lab[[palette.names.index(name) for name in asked]]
    candidate_lab = palette_lab[[palette.names.index(name) for name in candidates]]
    far = shading_distance(candidate_lab, asked_lab).min(axis=1) > _INVENTED_MIN_DISTANCE
    return tuple(name for name, keep in zip(candidates, far) if keep)


def _read_scene(rgb: np.ndarray, names: tuple[str, ...], palette: Palette) -> _Scene:
    step = max(1, min(rgb.shape[:2]) // _PRESENCE_SIDE)
    try:
        # Pixels are classified with the colours present as well as the asked ones: fitted to the asked
        # colours alone, a colour the model invented is read as one of them (black granules as shaded white).
        present = measure_shares(rgb[::step, ::step], palette=palette).shares
        invented = _invented_colors(present, names, palette)
        pixel_labels, before = classify_pixels(rgb, [*names, *invented], palette=palette)
    except ValueError as error:
        raise NoGranulesError(f"no granules to recolour: {error}") from error
    palette_lab = palette.lab_array()
    asked_index = np.array([palette.names.index(name) for name in names])
    class_index = np.array([palette.names.index(name) for name in pixel_labels.colors])
    classes = np.where(pixel_labels.labels >= 0, class_index[np.maximum(pixel_labels.labels, 0)], -1)
    granules = find_granules(rgb, classes)
    # Unasked colours, judged against the asked colours as the analyzer fitted them here.
    fitted = np.array([palette_lab[i] + np.array(before.shifts[name]) for i, name in zip(asked_index, names)])
    unasked = unasked_granule_colors(granules.mean_lab, asked_index, fitted, palette_lab)
    unasked[0] = -1
    color = np.where(unasked >= 0, unasked, granules.color)
    granules = Granules(granules.ids, color, granules.area, granules.centroid, granules.mean_lab, granules.natural_count)
    references = _colour_references(rgb, granules.ids, color, len(palette_lab))
    looks = appearance(references, _area_by_color(granules, color, len(palette_lab)), palette_lab)
    return _Scene(rgb, names, asked_index, granules, looks, before)


def match_colors(image: object, mix: Mapping[str, float], *, palette: Palette | None = None) -> LockResult:
    """Recolour whole granules of `image` so the analyzer measures the shares in `mix`.

    image: PIL image or HxWx3 uint8 array. mix: colour -> percent (names, codes or aliases;
    shares summing to 100). Raises MixError for an unusable mix and NoGranulesError when the
    image has no granules to recolour. A mix the granules cannot reach returns the closest
    result, with `matched` False and `explanation` saying why.
    """
    asked = asked_shares(mix)
    palette = load_palette() if palette is None else palette
    rgb = as_rgb_array(image)
    scene = _read_scene(rgb, tuple(asked), palette)
    granules, palette_size = scene.granules, len(palette.names)
    area = _area_by_color(granules, granules.color, palette_size)
    total = area.sum()
    want = {int(i): asked[name] / 100.0 for i, name in zip(scene.asked_index, scene.names)}
    layout = _layout(granules, rgb.shape[:2])
    # Checking every other pixel of a large image measures the same shares in a quarter of the time.
    step = max(1, min(rgb.shape[:2]) // _WORK_SIDE)

    color = granules.color.copy()
    out = rgb.copy()
    halo = np.zeros(0, dtype=np.int64)
    pending = np.flatnonzero(_redrawn(granules, color, scene.looks))  # granules of corrected colours
    change = {c: want.get(c, 0.0) * total - area[c] for c in range(palette_size) if area[c] > 0 or c in want}
    shares_after = dict(scene.before.shares)
    rounds = 0
    for round_number in range(1, _MAX_ROUNDS + 1):
        new_color = _reassign(color, granules, layout, change, want)
        changed = np.union1d(np.flatnonzero(new_color != color), pending)
        pending = pending[:0]
        if changed.size == 0:
            break
        rounds = round_number
        color = new_color
        out.reshape(-1, 3)[halo] = np.take(rgb.reshape(-1, 3), halo, axis=0)
        _render(rgb, out, granules, changed, color, scene.looks)
        halo = _remove_halos(rgb, out, granules, color, scene.looks, _HALO_WIDTH_PX)
        shares_after = measure_shares(out[::step, ::step], list(scene.names), palette=palette).shares
        errors = {name: shares_after[name] - asked[name] for name in scene.names}
        if max(abs(e) for e in errors.values()) <= _ROUND_TOLERANCE_PP:
            break
        change = {int(i): -errors[name] / 100.0 * total for i, name in zip(scene.asked_index, scene.names)}

    return LockResult(
        image=Image.fromarray(out),
        asked=asked,
        shares_before=dict(scene.before.shares),
        shares_after=dict(shares_after),
        unasked_before={
            palette.names[c]: float(100.0 * area[c] / total)
            for c in np.argsort(-area, kind="stable")
            if area[c] > 0 and c not in scene.asked_index
        },
        corrected=tuple(palette.names[c] for c in np.flatnonzero(scene.looks.corrected)),
        moves=_moves(granules, color, palette.names),
        granule_count=granules.count,
        rounds=rounds,
        explanation=_explain(asked, shares_after, granules),
    )


def lightness_ssim_terms(before: object, after: object, *, sigma: float = 1.5) -> tuple[float, float]:
    """Mean SSIM of the CIELAB lightness of two images and the mean of its structure term alone.

    Gaussian window (sigma 1.5 px, as Wang et al. 2004), data range 100 (L). The structure term
    is the windowed correlation of the two lightness patterns, brightness and contrast removed.
    """
    first = lightness_fast(as_rgb_array(before)).astype(np.float64)
    second = lightness_fast(as_rgb_array(after)).astype(np.float64)
    if first.shape != second.shape:
        raise ValueError(f"images differ in size: {first.shape} and {second.shape}")
    c1, c2 = (0.01 * 100.0) ** 2, (0.03 * 100.0) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return ndimage.gaussian_filter(x, sigma=sigma, truncate=3.5)

    mean_first, mean_second = blur(first), blur(second)
    var_first = np.maximum(blur(first * first) - mean_first**2, 0.0)
    var_second = np.maximum(blur(second * second) - mean_second**2, 0.0)
    covariance = blur(first * second) - mean_first * mean_second
    ssim = ((2 * mean_first * mean_second + c1) * (2 * covariance + c2)) / (
        (mean_first**2 + mean_second**2 + c1) * (var_first + var_second + c2)
    )
    structure = (covariance + c2 / 2) / (np.sqrt(var_first * var_second) + c2 / 2)
    return float(ssim.mean()), float(structure.mean())


def lightness_ssim(before: object, after: object, *, sigma: float = 1.5) -> float:
    """Mean SSIM of the CIELAB lightness of two images (Gaussian window, data range 100)."""
    return lightness_ssim_terms(before, after, sigma=sigma)[0]
