"""Where the granules lie: angular shapes on a jittered grid, drawn in random order, rasterised.

Star-shaped polygons of 3-6 corners, stretched and turned at random, each with a second facet,
sit on a jittered grid; later granules lie on top of earlier ones. Where none lands, binder shows.
Everything is laid out in millimetres and only then scaled to pixels, so one seed gives the same
layout at every size. A product photo cuts the granules at the tile's moulded edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from .settings import GRADES, GRANULE_SIZE_FACTOR, RenderSettings

# Summed granule area over face area: enough overlap that binder shows only in thin gaps.
GRANULE_COVERAGE = 2.2
# Granule centres: one per grid cell, moved at random by up to this fraction of the cell. Less
# than a full cell keeps holes (binder showing) rare at low coverage.
GRID_JITTER = 0.3
# Granule shape: corners per granule and how likely each count is; stretch; corner radius spread.
GRANULE_CORNERS = (3, 4, 5, 6)
GRANULE_CORNER_ODDS = (0.15, 0.3, 0.3, 0.25)
GRANULE_MAX_STRETCH = 1.7
GRANULE_MIN_CORNER_RADIUS = 0.6
# Product photo: the mould cuts the edge layout this far outside the face square (mm), give or
# take a wobble, sampled at this many points along each edge.
EDGE_OVERHANG_MM = 0.4
EDGE_WOBBLE_MM = 0.5
EDGE_SAMPLES = 48
# Bottom layer: layout this many times larger (and as many times further apart), in shadow by
# this much (CIELAB L).
BOTTOM_LAYER_SCALE = 3.0
# Each granule shows a second face: a fan from near its centre over about half its corners,
# whose apex sits up to this fraction of the granule radius off centre.
FACET_APEX_OFFSET = 0.35

# Label numbers in the rasterised granule map.
REGION_BACKGROUND = 0  # product photo: white background (full frame: binder)
REGION_BINDER = 1  # binder between layout on the tile face
FIRST_GRANULE_REGION = 2


@dataclass(frozen=True)
class GranuleLayout:
    """Granule outlines and one facet per granule, in draw order (later ones on top), in pixels."""

    outlines: tuple[tuple[float, ...], ...]  # flat x0, y0, x1, y1, ... per granule
    facets: tuple[tuple[float, ...], ...]  # the part of each granule that faces another way
    centres_mm: np.ndarray  # (n, 2) x, y on the face
    # Product photo: where the moulded edge cuts the layout, in mm outside the face square, along
    # the left, top, right and bottom edge (4, EDGE_SAMPLES), from the edge's start to its end.
    edge_mm: np.ndarray
    bottom_count: int  # the first layout form the bottom layer, seen only through holes


def granule_centres(settings: RenderSettings, spacing_mm: float, margin_mm: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) granule centres in mm on a jittered grid, in random (draw) order."""
    cells = int(math.ceil((settings.field_mm + 2.0 * margin_mm) / spacing_mm))
    grid = np.arange(cells) * spacing_mm - margin_mm
    grid_x, grid_y = np.meshgrid(grid, grid)
    corners = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
    jitter = rng.uniform(-0.5 * GRID_JITTER, 0.5 * GRID_JITTER, size=corners.shape)
    centres = corners + (0.5 + jitter) * spacing_mm
    if settings.framing == "product_photo":
        centres = centres[np.all((centres >= 0.0) & (centres <= settings.tile_mm), axis=1)]
    return centres[rng.permutation(len(centres))]  # random order: overlaps have no direction


def granule_layout(settings: RenderSettings, rng: np.random.Generator) -> GranuleLayout:
    """Angular layout on a jittered grid covering the face (and its surround in a full frame)."""
    grade = GRADES[settings.grade]
    mean_diameter_mm = 0.5 * (grade.min_mm + grade.max_mm) * GRANULE_SIZE_FACTOR
    mean_area_mm2 = mean_granule_area_factor() * (0.5 * mean_diameter_mm) ** 2
    spacing_mm = math.sqrt(mean_area_mm2 / GRANULE_COVERAGE)
    max_radius_mm = 0.5 * grade.max_mm * GRANULE_SIZE_FACTOR * math.sqrt(GRANULE_MAX_STRETCH)
    # A full frame crops the face: lay layout beyond it so its border is covered too. A product
    # photo keeps granule centres on the face; the moulded edge then cuts the ones that stick out.
    margin_mm = max_radius_mm if settings.framing == "full_frame" else 0.0
    # A bottom layer of large layout, drawn first, fills the holes the top layer leaves: through
    # them one sees crumb in shadow, not bare binder.
    bottom = granule_centres(settings, spacing_mm * BOTTOM_LAYER_SCALE, margin_mm * BOTTOM_LAYER_SCALE, rng)
    centres = np.concatenate([bottom, granule_centres(settings, spacing_mm, margin_mm, rng)])
    count = len(centres)
    diameter_mm = rng.uniform(grade.min_mm, grade.max_mm, size=count) * GRANULE_SIZE_FACTOR
    diameter_mm[: len(bottom)] *= BOTTOM_LAYER_SCALE
    stretch = rng.uniform(1.0, GRANULE_MAX_STRETCH, size=count)
    turn = rng.uniform(0.0, math.pi, size=count)
    corners = rng.choice(GRANULE_CORNERS, size=count, p=GRANULE_CORNER_ODDS)

    scale, origin = settings.px_per_mm, settings.face_origin_px
    outlines: list[tuple[float, ...]] = [()] * count
    facets: list[tuple[float, ...]] = [()] * count
    for corner_count in GRANULE_CORNERS:
        chosen = np.flatnonzero(corners == corner_count)
        if chosen.size == 0:
            continue
        outline_mm, facet_mm = star_granules(corner_count, diameter_mm[chosen], stretch[chosen], turn[chosen], rng)
        outline_px = (outline_mm + centres[chosen, None, :]) * scale + origin
        facet_px = (facet_mm + centres[chosen, None, :]) * scale + origin
        for index, outline, facet in zip(
            chosen.tolist(), outline_px.reshape(chosen.size, -1).tolist(), facet_px.reshape(chosen.size, -1).tolist()
        ):
            outlines[index] = tuple(outline)
            facets[index] = tuple(facet)
    edge = rng.uniform(-EDGE_WOBBLE_MM, EDGE_WOBBLE_MM, size=(4, EDGE_SAMPLES))
    edge = EDGE_OVERHANG_MM + 0.5 * (edge + np.roll(edge, 1, axis=1))  # a little smoother
    return GranuleLayout(
        outlines=tuple(outlines), facets=tuple(facets), centres_mm=centres, edge_mm=edge, bottom_count=len(bottom)
    )


def star_granules(
    corner_count: int, diameter_mm: np.ndarray, stretch: np.ndarray, turn: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Outlines (n, corners, 2) and second facets (n, corners // 2 + 2, 2) in mm around (0, 0).

    Corners at irregular angles and radii (so star-shaped, never self-crossing); the facet is a
    fan from a point near the centre over about half the corners, like a ridge across the granule.
    """
    n = len(diameter_mm)
    radius = (0.5 * diameter_mm)[:, None]
    steps = 1.0 + rng.uniform(-0.45, 0.45, size=(n, corner_count))
    angles = np.cumsum(steps, axis=1) / steps.sum(axis=1, keepdims=True) * 2.0 * math.pi
    angles += rng.uniform(0.0, 2.0 * math.pi, size=(n, 1))
    radii = rng.uniform(GRANULE_MIN_CORNER_RADIUS, 1.0, size=(n, corner_count)) * radius
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


def mean_granule_area_factor() -> float:
    """Mean polygon area over radius^2 for the granule shapes drawn (stretch keeps area)."""
    mean_radius_sq = (1.0 + GRANULE_MIN_CORNER_RADIUS + GRANULE_MIN_CORNER_RADIUS**2) / 3.0
    mean_corners = float(np.dot(GRANULE_CORNERS, GRANULE_CORNER_ODDS))
    # Area of a polygon with corners at radius r and equal angles: k/2 * r^2 * sin(2 pi / k).
    return 0.5 * mean_corners * math.sin(2.0 * math.pi / mean_corners) * mean_radius_sq


def granule_region(index: int, facet: int) -> int:
    """Region number of granule `index` (draw order) in the region map; facet 1 is its second face."""
    return FIRST_GRANULE_REGION + 2 * index + facet


def rasterise(layout: GranuleLayout, settings: RenderSettings) -> np.ndarray:
    """HxW int32 region map: granules painted in order over binder (and white, for a photo).

    region >> 1 is the depth: 0 for background and binder, 1 + draw index for a granule.
    """
    size = settings.size
    canvas = Image.new("I", (size, size), REGION_BINDER if settings.framing == "full_frame" else REGION_BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    if settings.framing == "product_photo":
        inset = 0.5 * GRADES[settings.grade].min_mm * settings.px_per_mm
        near = settings.face_origin_px + inset
        far = settings.face_origin_px + settings.face_px - 1 - inset
        draw.rectangle((near, near, far, far), fill=REGION_BINDER)
    region = granule_region(0, 0)
    for outline, facet in zip(layout.outlines, layout.facets):
        draw.polygon(outline, fill=region)
        draw.polygon(facet, fill=region + 1)
        region += 2
    regions = np.asarray(canvas)
    if settings.framing == "product_photo":
        regions = np.where(outside_cut_edge(layout.edge_mm, settings), REGION_BACKGROUND, regions)
    return regions


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
