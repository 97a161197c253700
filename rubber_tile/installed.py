"""The installed view: a floor laid with square tiles, seen in perspective from standing height.

A pinhole camera CAMERA_HEIGHT_MM above the floor looks down at PITCH_DEG below the horizon
(the floor fills the picture) and is turned a little against the tile grid. Every pixel's ray
meets the floor at a point; the tile that holds it takes one of the top-view textures, each tile
its own pick, quarter turn and mirror (8 ways to lay one texture; a shift would need the texture
to wrap round, which shows a seam or a mirror line inside the tile), and a tile never lies the
same way as its left or upper neighbour, so neighbouring tiles never look alike. The texture
spans one tile; it is sampled from a pyramid of halved copies at the level that fits each
pixel's footprint (far tiles would shimmer otherwise). Thin dark seams lie between the tiles,
and the light falls off softly away from the brightest spot of the floor.

Any backend's top views work (`installed_view`, the step generator.py applies after any backend):
the SDXL backend passes mosaics of its one close-up (`mosaic_textures`), the preview renders a few
whole tiles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .backend import FloorTextures, TileImage
from .request import TileRequest

INSTALLED_TILE_MM = 500.0  # the tiles of the floor: 500 x 500 mm, the standard size
CAMERA_HEIGHT_MM = 1600.0
PITCH_DEG = 52.0  # below the horizon
VERTICAL_FOV_DEG = 48.0
MAX_YAW_DEG = 25.0  # camera turned against the tile grid by up to this much
SEAM_MM = 3.0
SEAM_SRGB = (38.0, 36.0, 34.0)
# Soft light: brightest this far ahead of the camera's foot (mm), falling to LIGHT_FLOOR
# (share of the brightest) over LIGHT_REACH_MM; each tile's brightness varies by TILE_SHADE.
LIGHT_AHEAD_MM = 1800.0
LIGHT_REACH_MM = 3500.0
LIGHT_FLOOR = 0.72
TILE_SHADE = 0.025
MIN_SIDE, MAX_SIDE = 64, 4096


def check_arguments(textures: Sequence[Image.Image], width: int, height: int, tile_mm: float) -> None:
    if not textures:
        raise ValueError("render_installed needs at least one top-view texture")
    for side, name in ((width, "width"), (height, "height")):
        if isinstance(side, bool) or not isinstance(side, int) or not MIN_SIDE <= side <= MAX_SIDE:
            raise ValueError(f"{name} must be a whole number of pixels from {MIN_SIDE} to {MAX_SIDE}, got {side!r}")
    if not tile_mm > 0:
        raise ValueError(f"tile_mm must be positive, got {tile_mm!r}")


def floor_points(width: int, height: int, yaw: float) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) in mm on the floor of every pixel's ray, the camera's foot at (0, 0), y ahead."""
    focal = (height / 2.0) / math.tan(math.radians(VERTICAL_FOV_DEG) / 2.0)
    pitch = math.radians(PITCH_DEG)
    right = (np.arange(width, dtype=np.float32) + 0.5 - width / 2.0) / np.float32(focal)
    down = (np.arange(height, dtype=np.float32) + 0.5 - height / 2.0) / np.float32(focal)
    # Ray = forward + right * r - up * d; forward = (0, cos, -sin), up = (0, sin, cos).
    ahead = np.float32(math.cos(pitch)) - down * np.float32(math.sin(pitch))
    drop = np.float32(math.sin(pitch)) + down * np.float32(math.cos(pitch))
    reach = np.float32(CAMERA_HEIGHT_MM) / drop  # the ray meets the floor after this many units
    x = right[None, :] * reach[:, None]
    y = np.broadcast_to((ahead * reach)[:, None], (height, width))
    cos_yaw, sin_yaw = np.float32(math.cos(yaw)), np.float32(math.sin(yaw))
    return x * cos_yaw - y * sin_yaw, x * sin_yaw + y * cos_yaw


def pyramid(texture: Image.Image, levels: int) -> list[np.ndarray]:
    """The texture as uint8 RGB and halved copies of it, up to `levels` in all."""
    image = texture.convert("RGB")
    copies = [np.asarray(image)]
    while len(copies) < levels and min(image.size) >= 4:
        image = image.reduce(2)
        copies.append(np.asarray(image))
    return copies


def mirrored(coordinate: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Coordinates folded into 0..side-1 by mirroring at both ends (a shifted texture shows no seam)."""
    period = 2 * side
    folded = np.mod(coordinate, period)
    return np.where(folded >= side, period - 1 - folded, folded)


@dataclass(frozen=True)
class Atlas:
    """Every pyramid level of every texture in one flat (pixels, 3) array, with where each starts."""

    pixels: np.ndarray  # (n, 3) uint8: gathered as bytes, a quarter of float32's memory traffic
    start: np.ndarray  # (textures, levels) int64: first pixel of the level
    rows: np.ndarray  # (textures, levels) int64
    columns: np.ndarray  # (textures, levels) int64


def atlas(textures: Sequence[Image.Image], levels: int) -> Atlas:
    """The atlas of `levels` levels (the smallest copy repeats where a texture runs out)."""
    pyramids = [pyramid(texture, levels) for texture in textures]
    flat, start, rows, columns, offset = [], np.zeros((len(textures), levels), np.int64), [], [], 0
    rows = np.zeros_like(start)
    columns = np.zeros_like(start)
    for t, copies in enumerate(pyramids):
        for level in range(levels):
            copy = copies[min(level, len(copies) - 1)]
            if level < len(copies):
                flat.append(copy.reshape(-1, 3))
                start[t, level], offset = offset, offset + copy.shape[0] * copy.shape[1]
            else:
                start[t, level] = start[t, len(copies) - 1]
            rows[t, level], columns[t, level] = copy.shape[:2]
    return Atlas(np.concatenate(flat), start, rows, columns)


def sample(book: Atlas, which: np.ndarray, level: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """HxWx3 bilinear samples: texture `which` at pyramid `level`, coordinates u, v in 0-1 (mirrored beyond)."""
    rows, columns, start = book.rows[which, level], book.columns[which, level], book.start[which, level]
    x = u * columns.astype(np.float32) - np.float32(0.5)
    y = v * rows.astype(np.float32) - np.float32(0.5)
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    x0i, y0i = x0.astype(np.int32), y0.astype(np.int32)
    columns, rows, start = columns.astype(np.int32), rows.astype(np.int32), start.astype(np.int32)
    left, right = mirrored(x0i, columns), mirrored(x0i + 1, columns)
    upper, lower = start + mirrored(y0i, rows) * columns, start + mirrored(y0i + 1, rows) * columns
    pixels = book.pixels

    def texel(index: np.ndarray) -> np.ndarray:
        return np.take(pixels, index, axis=0).astype(np.float32)

    top = texel(upper + left) * (1 - fx) + texel(upper + right) * fx
    bottom = texel(lower + left) * (1 - fx) + texel(lower + right) * fx
    return top * (1 - fy) + bottom * fy


def tile_placements(tile_x: np.ndarray, tile_y: np.ndarray, texture_count: int, seed: int) -> dict[str, np.ndarray]:
    """Per visible tile (numbered in `index`): texture, quarter turns, mirror, brightness.

    The picks follow from the seed and the tile's place in the grid; a tile never takes the
    turn and mirror of its left or upper neighbour together, so neighbours never match."""
    column, row = (tile_x - tile_x.min()).astype(np.int64), (tile_y - tile_y.min()).astype(np.int64)
    columns, rows = int(column.max()) + 1, int(row.max()) + 1
    rng = np.random.default_rng([seed, 17])
    shape = (rows, columns)
    turns, mirror = rng.integers(0, 4, shape), rng.integers(0, 2, shape)
    lie = turns * 2 + mirror  # 8 ways to lay a tile
    for r in range(rows):
        for c in range(columns):
            taken = {int(lie[r - 1, c]) if r else -1, int(lie[r, c - 1]) if c else -1}
            while int(lie[r, c]) in taken:
                lie[r, c] = (lie[r, c] + 1) % 8
    turns, mirror = lie // 2, lie % 2
    return {
        "index": row * columns + column,
        "texture": rng.integers(0, texture_count, rows * columns),
        "turns": turns.ravel(),
        "mirror": mirror.ravel(),
        "shade": (1.0 + TILE_SHADE * rng.standard_normal(rows * columns)).astype(np.float32),
    }


def render_installed(
    textures: Sequence[Image.Image], *, width: int, height: int, seed: int, tile_mm: float = 500.0
) -> Image.Image:
    """A width x height RGB picture of a floor of tile_mm square tiles made from these top views.

    textures: one or more top-view images of a tile face (each spans one whole tile).
    ValueError, with what to fix, on no texture, a side outside 64-4096 px, or tile_mm <= 0.
    """
    check_arguments(textures, width, height, tile_mm)
    rng = np.random.default_rng([seed, 16])
    yaw = math.radians(rng.uniform(-MAX_YAW_DEG, MAX_YAW_DEG))
    x, y = floor_points(width, height, yaw)
    x = x + np.float32(rng.uniform(0.0, tile_mm))  # the grid does not start at the camera's foot
    y = y + np.float32(rng.uniform(0.0, tile_mm))
    tile_x, tile_y = np.floor(x / np.float32(tile_mm)), np.floor(y / np.float32(tile_mm))
    u, v = x / np.float32(tile_mm) - tile_x, y / np.float32(tile_mm) - tile_y  # 0-1 within the tile
    place = tile_placements(tile_x, tile_y, len(textures), seed)
    footprint = footprint_px(x, y, tile_mm, textures)
    rgb = floor_colors(textures, place, u, v, footprint)
    # The seam, its edges softened over a pixel's footprint on the floor.
    to_seam_mm = np.minimum(np.minimum(u, 1 - u), np.minimum(v, 1 - v)) * np.float32(tile_mm)
    pixel_mm = footprint * np.float32(tile_mm / max(max(t.size) for t in textures))
    seam = np.clip((np.float32(SEAM_MM / 2) - to_seam_mm) / np.maximum(pixel_mm, 1e-3) + 0.5, 0.0, 1.0)[..., None]
    rgb = rgb * (1 - seam) + np.array(SEAM_SRGB, np.float32) * seam
    rgb *= light_falloff(x - np.float32(x.mean()), y, place)[..., None]
    return Image.fromarray(np.clip(rgb + 0.5, 0, 255).astype(np.uint8), "RGB")


def footprint_px(x: np.ndarray, y: np.ndarray, tile_mm: float, textures: Sequence[Image.Image]) -> np.ndarray:
    """HxW: how many texture pixels (of the largest texture) one picture pixel covers."""
    step = np.hypot(np.gradient(x, axis=0), np.gradient(y, axis=0))
    step = np.maximum(step, np.hypot(np.gradient(x, axis=1), np.gradient(y, axis=1)))
    return step * np.float32(max(max(t.size) for t in textures) / tile_mm)


def floor_colors(textures: Sequence[Image.Image], place: dict, u: np.ndarray, v: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    """HxWx3 float32: each pixel's tile's texture, turned, mirrored and shifted, at the fitting level."""
    index = place["index"]
    turns, mirror = place["turns"][index], place["mirror"][index]
    u = np.where(mirror == 1, 1 - u, u)
    for quarter in (1, 2, 3):  # quarter turns about the tile's centre, one at a time
        chosen = turns >= quarter
        u, v = np.where(chosen, v, u), np.where(chosen, 1 - u, v)
    # A level that fits the footprint, chosen at random between the two nearest in proportion
    # (so no band shows where the level changes), half a level blurrier: sharper levels shimmer.
    dither = np.random.default_rng(0).random(footprint.shape, dtype=np.float32)
    levels = np.clip(np.floor(np.log2(np.maximum(footprint, 1.0)) + dither), 0, 12).astype(np.int64)
    book = atlas(textures, int(levels.max()) + 1)
    return sample(book, place["texture"][index], levels, u, v)


def light_falloff(x: np.ndarray, y: np.ndarray, place: dict) -> np.ndarray:
    """HxW brightness: a soft pool of light ahead of the camera, and each tile's own slight shade."""
    distance = np.hypot(x, y - np.float32(LIGHT_AHEAD_MM)) / np.float32(LIGHT_REACH_MM)
    pool = np.float32(LIGHT_FLOOR) + np.float32(1.0 - LIGHT_FLOOR) * np.exp(-distance * distance)
    return pool * place["shade"][place["index"]].astype(np.float32)


def mosaic_textures(top_view: Image.Image, field_mm: float, tile_mm: float, count: int, seed: int) -> list[Image.Image]:
    """`count` textures of a whole tile_mm tile, each a grid of copies of one close-up top view that shows
    field_mm of tile face (an SDXL image), each copy turned and mirrored at random, so the floor shows
    granules at their real size instead of one close-up stretched over a whole tile."""
    copies = max(1, round(tile_mm / field_mm))
    side = min(top_view.size)
    square = top_view.crop((0, 0, side, side))
    rng = np.random.default_rng([seed, 17])
    textures = []
    for _ in range(count):
        mosaic = Image.new("RGB", (side * copies, side * copies))
        for row in range(copies):
            for column in range(copies):
                piece = square.rotate(90 * int(rng.integers(4)))
                if rng.integers(2):
                    piece = piece.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
                mosaic.paste(piece, (column * side, row * side))
        textures.append(mosaic)
    return textures


def installed_view(floor: FloorTextures, request: TileRequest) -> TileImage:
    """The floor laid with INSTALLED_TILE_MM tiles of these textures, at the request's size, with the
    textures' metadata and the view's."""
    image = render_installed(
        floor.textures, width=request.width, height=request.height, seed=request.seed, tile_mm=INSTALLED_TILE_MM
    )
    return TileImage(image, floor.metadata | {"view": "installed", "installed_tile_mm": f"{INSTALLED_TILE_MM:g}"})
