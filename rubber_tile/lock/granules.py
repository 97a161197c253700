"""Finding granules in a tile image: connected regions of one colour class, cut at the gaps between granules.

Specks join their neighbour; regions much larger than a typical granule (several granules the
gaps did not separate, or a flat area) are cut into granule-sized cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..colors.colorspace import lightness_fast, srgb_to_lab_fast
from ..images import label_edges
from .errors import NoGranulesError

# Granules are found at about this resolution (shorter side, px); larger images are sampled.
WORK_SIDE = 512
# Gaps between granules are 2-4 px wide in a 512 px output; the closing that finds them
# scales with the image.
_GAP_WIDTH_PER_512 = 4.0
# A pixel at least this much darker (CIELAB L) than the closing of its neighbourhood lies in a
# gap or on a granule's shaded rim: granule cores are cut apart there.
_GAP_DEPTH_L = 6.0
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


def gap_pixels(lightness: np.ndarray) -> np.ndarray:
    """HxW bool: pixels clearly darker than a closing of their neighbourhood (crevices, rims)."""
    width = 1 + 2 * max(1, round(_GAP_WIDTH_PER_512 * _scale(lightness.shape) / 2))
    coded = np.clip(lightness * 2.5, 0, 255).astype(np.uint8)
    closed = ndimage.grey_closing(coded, size=(width, width))
    return (closed.astype(np.int16) - coded) > round(_GAP_DEPTH_L * 2.5)


def majority_classes(classes: np.ndarray) -> np.ndarray:
    """Each granule pixel's most common label in its 3 x 3 neighbourhood; gaps (negative) stay."""
    present = np.unique(classes[classes >= 0])
    if present.size <= 1:
        return classes
    votes = np.stack([ndimage.uniform_filter((classes == c).astype(np.float32), size=3) for c in present])
    return np.where(classes >= 0, present[np.argmax(votes, axis=0)], classes)


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
    step = max(1, min(classes.shape) // WORK_SIDE)
    # Where the model drew a colour between two asked ones the labels flicker from pixel to
    # pixel; cutting granules at every flicker would leave only specks. The majority label of
    # each 3 x 3 neighbourhood keeps real colour boundaries and drops the flicker.
    work_classes = majority_classes(classes[::step, ::step])
    scale = _scale(work_classes.shape)
    granule_pixels = work_classes >= 0
    core = granule_pixels & ~gap_pixels(lightness_fast(rgb[::step, ::step])) & ~label_edges(work_classes)
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
