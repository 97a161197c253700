"""Where the granules lie: the visible surface of a bed of faceted granules, as a height field.

Each granule is a fractured chunk: a convex cap made of two top faces meeting in a ridge and 4
steep side faces (fracture planes) on an elongated outline, its height at a point the lowest of those planes, sitting on the bed at
its own depth. One granule sits in each cell of a jittered grid; the surface one sees is the
highest granule at every pixel (the upper envelope of the caps), so outlines are where
neighbouring caps cut each other: straight-ish fracture edges meeting at irregular angles, with
small granules showing between large ones, and nearly no binder.

The envelope is evaluated for every pixel against the granules of its own and the 8 next cells,
whole-image array operations laid out so that each runs over the cells in one long inner loop
(pixel position within the cell outermost). Layout parameters are drawn per cell in cell units,
so one seed gives one layout whatever the mix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .settings import GRADES, RenderSettings, granule_cell_mm

# Label numbers in the region map.
REGION_BACKGROUND = 0  # product photo: white background (full frame: none)
REGION_BINDER = 1  # binder between granules, where no granule covers the bed
FIRST_GRANULE_REGION = 2
NO_GRANULE = -1  # granule label of binder and background pixels

# Granule centres: the cell centre moved by up to this share of the cell each way.
CENTRE_JITTER = 0.25
# Side faces per granule (fracture planes around it).
SIDE_FACES = 4
# Elongation of a granule's outline (long over short axis) at most.
MAX_STRETCH = 1.7
# Side face distance from the centre, as a share of the granule's radius (irregular outlines).
SIDE_DISTANCE_RANGE = (0.45, 0.8)
# Side face slope (height per cell width): steep fracture faces.
SIDE_SLOPE_RANGE = (1.5, 3.0)
# Radius of the largest granule, in cells: larger ones could reach past the next cells.
MAX_RADIUS_CELLS = 1.2
# How deep each granule lies in the bed and how high its top face stands (cells), and its tilt.
DEPTH_RANGE = (0.0, 1.0)
TOP_HEIGHT_RANGE = (0.2, 0.55)
TOP_TILT = 0.15
# The two top faces slope away from their ridge by this much (height per cell width).
RIDGE_PITCH_RANGE = (0.1, 0.5)
# Product photo: the mould cuts the layout this far outside the face square (mm), give or take a
# wobble, sampled at this many points along each edge.
EDGE_OVERHANG_MM = 0.4
EDGE_WOBBLE_MM = 0.5
EDGE_SAMPLES = 48
# Granules on the face may stick out past the cut edge by up to this much (mm): a ragged outline.
EDGE_FRINGE_MM = 1.2
# Large cells are worked out on a coarser grid of cells of at least this many pixels, then enlarged.
WORK_CELL_PX = 8


@dataclass(frozen=True)
class GranuleLayout:
    """One granule per grid cell (with a ring of cells around the image), in cell units.

    Planes: face k of a granule has height plane_c[k] - plane_a[k] * dx - plane_b[k] * dy at an
    offset (dx, dy) cells from the granule's centre; faces 0 and 1 are the top, the rest are sides.
    """

    cell_px: int
    cells: int  # cells along each side of the image
    centre_x: np.ndarray  # (cells + 2, cells + 2): centre within its cell, 0-1
    centre_y: np.ndarray
    plane_a: np.ndarray  # (SIDE_FACES + 2, cells + 2, cells + 2)
    plane_b: np.ndarray
    plane_c: np.ndarray
    # Product photo: where the moulded edge cuts the layout, in mm outside the face square, along
    # the left, top, right and bottom edge (4, EDGE_SAMPLES), from the edge's start to its end.
    edge_mm: np.ndarray

    @property
    def granule_count(self) -> int:
        return (self.cells + 2) ** 2


@dataclass(frozen=True)
class GranuleSurface:
    """The visible surface: which granule each pixel shows and how high it lies there."""

    labels: np.ndarray  # HxW int32: granule index (cell in the padded grid, row-major), NO_GRANULE elsewhere
    height_px: np.ndarray  # HxW float32: surface height in pixels above the bed (0 on binder)
    cell_px: int


def work_factor(cell: float) -> int:
    """How many times coarser than the image the granule surface is worked out: cells of about
    WORK_CELL_PX pixels hold all the outline detail a granule needs."""
    return max(1, int(cell // WORK_CELL_PX))


def cell_px(settings: RenderSettings) -> int:
    """Grid cell size in pixels for this grade and scale (at least 3; a multiple of the work factor)."""
    cell = granule_cell_mm(settings.grade) * settings.px_per_mm
    factor = work_factor(cell)
    return max(3, factor * int(round(cell / factor)))


def granule_layout(settings: RenderSettings, rng: np.random.Generator) -> GranuleLayout:
    """Random granules for every cell covering the image, one cell of margin all round."""
    cell = cell_px(settings)
    cells = -(-settings.size // cell)
    shape = (cells + 2, cells + 2)
    grade = GRADES[settings.grade]
    mean_mm = 0.5 * (grade.min_mm + grade.max_mm)
    radius = rng.uniform(grade.min_mm, grade.max_mm, shape) / mean_mm
    centre_x = 0.5 + rng.uniform(-CENTRE_JITTER, CENTRE_JITTER, shape)
    centre_y = 0.5 + rng.uniform(-CENTRE_JITTER, CENTRE_JITTER, shape)
    depth = rng.uniform(*DEPTH_RANGE, shape)
    # Side faces at irregular angles around the centre, at irregular distances, on an elongated
    # outline (a shard, not a regular polygon): the distance follows an ellipse's support function.
    steps = 1.0 + rng.uniform(-0.5, 0.5, (SIDE_FACES, *shape))
    angles = rng.uniform(0.0, 2.0 * math.pi, shape) + np.cumsum(steps, axis=0) / steps.sum(axis=0) * 2.0 * math.pi
    stretch = rng.uniform(1.0, MAX_STRETCH, shape)
    long_axis = rng.uniform(0.0, math.pi, shape)
    along, across = np.cos(angles - long_axis), np.sin(angles - long_axis)
    support = np.sqrt(stretch * along**2 + across**2 / stretch)
    distance = np.minimum(rng.uniform(*SIDE_DISTANCE_RANGE, (SIDE_FACES, *shape)) * radius * support, MAX_RADIUS_CELLS)
    slope = rng.uniform(*SIDE_SLOPE_RANGE, (SIDE_FACES, *shape))
    # Two top faces tilted apart meet in a ridge across the granule.
    top = depth + rng.uniform(*TOP_HEIGHT_RANGE, shape) * radius
    ridge = rng.uniform(0.0, math.pi, shape)
    pitch = rng.uniform(*RIDGE_PITCH_RANGE, (2, *shape))
    lean_x, lean_y = rng.uniform(-TOP_TILT, TOP_TILT, (2, *shape))
    tilt_x = np.stack([lean_x + pitch[0] * np.cos(ridge), lean_x - pitch[1] * np.cos(ridge)])
    tilt_y = np.stack([lean_y + pitch[0] * np.sin(ridge), lean_y - pitch[1] * np.sin(ridge)])
    # Face k: plane_c - plane_a * dx - plane_b * dy. Sides: depth + slope * (distance - (cos, sin) . offset).
    plane_a = np.concatenate([-tilt_x, np.cos(angles) * slope])
    plane_b = np.concatenate([-tilt_y, np.sin(angles) * slope])
    plane_c = np.concatenate([np.stack([top, top]), depth + slope * distance])
    edge = rng.uniform(-EDGE_WOBBLE_MM, EDGE_WOBBLE_MM, size=(4, EDGE_SAMPLES))
    edge = EDGE_OVERHANG_MM + 0.5 * (edge + np.roll(edge, 1, axis=1))  # a little smoother
    return GranuleLayout(
        cell_px=cell,
        cells=cells,
        centre_x=centre_x,
        centre_y=centre_y,
        plane_a=plane_a,
        plane_b=plane_b,
        plane_c=plane_c,
        edge_mm=edge,
    )


def _candidate_planes(layout: GranuleLayout, oy: int, ox: int, position: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """For the granules one cell (oy, ox) away: each face's height split into a part that varies
    with the pixel's column (1, cell, n, n) and one that varies with its row (cell, 1, n, n)."""
    n = layout.cells
    rows, columns = slice(1 + oy, 1 + oy + n), slice(1 + ox, 1 + ox + n)
    centre_x = ox + layout.centre_x[rows, columns]
    centre_y = oy + layout.centre_y[rows, columns]
    planes = []
    faces = (layout.plane_a[:, rows, columns], layout.plane_b[:, rows, columns], layout.plane_c[:, rows, columns])
    for a, b, c in zip(*faces, strict=True):
        along_x = (c + a * centre_x)[None, None] - a[None, None] * position[None, :, None, None]
        along_y = (b * centre_y)[None, None] - b[None, None] * position[:, None, None, None]
        planes.append((along_x.astype(np.float32), along_y.astype(np.float32)))
    return planes


def granule_surface(layout: GranuleLayout, size: int) -> GranuleSurface:
    """The highest granule at every pixel of a size x size image, and its height there.

    Large cells are worked out work_factor times coarser: the height is enlarged smoothly, the
    labels pixel for pixel (the lens blur softens their steps)."""
    factor = work_factor(layout.cell_px)
    if factor == 1:
        return _envelope(layout, layout.cell_px, size)
    small = _envelope(layout, layout.cell_px // factor, -(-size // factor))
    labels = small.labels.repeat(factor, axis=0).repeat(factor, axis=1)[:size, :size]
    height = Image.fromarray(small.height_px * np.float32(factor), mode="F")
    height = height.resize((height.width * factor, height.height * factor), Image.Resampling.BILINEAR)
    return GranuleSurface(labels=np.ascontiguousarray(labels), height_px=np.asarray(height)[:size, :size], cell_px=layout.cell_px)


def _envelope(layout: GranuleLayout, cell: int, size: int) -> GranuleSurface:
    """granule_surface worked out with cells of `cell` pixels.

    Arrays are laid out (row in cell, column in cell, cell row, cell column) while computing, so
    that every operation runs over all cells in one inner loop; the winner among the 9
    candidate cells is kept as a code 0-8 and turned into a granule index at the end.
    """
    n = layout.cells
    position = (np.arange(cell) + 0.5) / cell
    shape = (cell, cell, n, n)
    best = np.zeros(shape, np.float32)  # the bed: binder at height 0
    winner = np.full(shape, -1, np.int8)
    height, face, beats = np.empty(shape, np.float32), np.empty(shape, np.float32), np.empty(shape, bool)
    change = np.empty(shape, np.int8)
    for code, (oy, ox) in enumerate((oy, ox) for oy in (-1, 0, 1) for ox in (-1, 0, 1)):
        for index, (along_x, along_y) in enumerate(_candidate_planes(layout, oy, ox, position)):
            if index == 0:
                np.add(along_x, along_y, out=height)
            else:
                np.add(along_x, along_y, out=face)
                np.minimum(height, face, out=height)
        # Masked assignment is slow in numpy; a comparison, a maximum and integer arithmetic are not.
        np.greater(height, best, out=beats)
        np.maximum(best, height, out=best)
        np.subtract(np.int8(code), winner, out=change)
        np.multiply(change, beats, out=change)
        np.add(winner, change, out=winner)
    height_px = best.transpose(2, 0, 3, 1).reshape(n * cell, n * cell)[:size, :size] * np.float32(cell)
    code = winner.transpose(2, 0, 3, 1).reshape(n * cell, n * cell)[:size, :size].astype(np.int32)
    cell_row = (np.arange(size, dtype=np.int32) // cell + 1)[:, None]
    cell_column = (np.arange(size, dtype=np.int32) // cell + 1)[None, :]
    labels = (cell_row + code // 3 - 1) * (n + 2) + cell_column + code % 3 - 1
    labels[code < 0] = NO_GRANULE
    return GranuleSurface(labels=labels, height_px=height_px, cell_px=cell)


def granule_centres_px(layout: GranuleLayout) -> np.ndarray:
    """(granules, 2) x, y centre of each granule in pixels, in label order."""
    grid = np.arange(-1, layout.cells + 1, dtype=np.float64)
    x = (grid[None, :] + layout.centre_x) * layout.cell_px
    y = (grid[:, None] + layout.centre_y) * layout.cell_px
    return np.stack([x.ravel(), y.ravel()], axis=1)


def cut_to_tile(layout: GranuleLayout, labels: np.ndarray, settings: RenderSettings) -> np.ndarray:
    """HxW bool, product photo: off the tile. The mould cuts along a slightly wobbly edge, but a
    granule whose centre lies on the face may stick out past it by up to EDGE_FRINGE_MM."""
    centres = granule_centres_px(layout)
    near, far = settings.face_origin_px, settings.face_origin_px + settings.face_px
    on_face = np.all((centres >= near) & (centres < far), axis=1)
    sticks_out = np.append(on_face, False)[labels] & ~outside_cut_edge(layout.edge_mm + EDGE_FRINGE_MM, settings)
    return outside_cut_edge(layout.edge_mm, settings) & ~sticks_out


def granule_region(index: int, facet: int) -> int:
    """Region number of granule `index` in the region map; facet 1: its faces turned from the light."""
    return FIRST_GRANULE_REGION + 2 * index + facet


def outside_cut_edge(edge_mm: np.ndarray, settings: RenderSettings) -> np.ndarray:
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
