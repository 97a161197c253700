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
from dataclasses import dataclass, replace

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
MAX_LEVEL = 12  # pyramid levels 0..MAX_LEVEL
# The picture is drawn in bands of rows of about this many pixels: a band's arrays stay in the CPU's caches and
# its memory is reused from band to band (whole-picture temporaries cost as much in page faults as in arithmetic).
BAND_PIXELS = 1 << 16


def check_arguments(textures: Sequence[Image.Image], width: int, height: int, tile_mm: float) -> None:
    if not textures:
        raise ValueError("render_installed needs at least one top-view texture")
    for side, name in ((width, "width"), (height, "height")):
        if isinstance(side, bool) or not isinstance(side, int) or not MIN_SIDE <= side <= MAX_SIDE:
            raise ValueError(f"{name} must be a whole number of pixels from {MIN_SIDE} to {MAX_SIDE}, got {side!r}")
    if not tile_mm > 0:
        raise ValueError(f"tile_mm must be positive, got {tile_mm!r}")


@dataclass(frozen=True)
class Camera:
    """Every pixel's ray, separable: pixel (row, column) sees the floor at (right[column] * reach[row],
    ahead_mm[row]) in mm before the camera's yaw, the camera's foot at (0, 0). The steps are central
    differences (one-sided at the ends), as np.gradient takes them."""

    right: np.ndarray  # (W,) float32: the ray's sideways slope
    reach: np.ndarray  # (H,) float32: how far along the ray the floor lies
    ahead_mm: np.ndarray  # (H,) float32
    right_step: np.ndarray  # (W,) float32
    reach_step: np.ndarray  # (H,) float32
    ahead_step: np.ndarray  # (H,) float32


def camera_rays(width: int, height: int) -> Camera:
    """The rays of a width x height picture."""
    focal = (height / 2.0) / math.tan(math.radians(VERTICAL_FOV_DEG) / 2.0)
    pitch = math.radians(PITCH_DEG)
    right = (np.arange(width, dtype=np.float32) + 0.5 - width / 2.0) / np.float32(focal)
    down = (np.arange(height, dtype=np.float32) + 0.5 - height / 2.0) / np.float32(focal)
    # Ray = forward + right * r - up * d; forward = (0, cos, -sin), up = (0, sin, cos).
    ahead = np.float32(math.cos(pitch)) - down * np.float32(math.sin(pitch))
    drop = np.float32(math.sin(pitch)) + down * np.float32(math.cos(pitch))
    reach = np.float32(CAMERA_HEIGHT_MM) / drop  # the ray meets the floor after this many units
    ahead_mm = ahead * reach
    return Camera(right, reach, ahead_mm, np.gradient(right), np.gradient(reach), np.gradient(ahead_mm))


def band_points(camera: Camera, yaw: float, rows: slice, columns: slice | list[int] = slice(None)) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) in mm on the floor of these rows' and columns' rays, the camera turned by yaw."""
    reach, ahead_mm = camera.reach[rows, None], camera.ahead_mm[rows, None]
    x = camera.right[None, columns] * reach
    cos_yaw, sin_yaw = np.float32(math.cos(yaw)), np.float32(math.sin(yaw))
    turned_x = x * cos_yaw - ahead_mm * sin_yaw
    x *= sin_yaw
    x += ahead_mm * cos_yaw
    return turned_x, x


def floor_points(width: int, height: int, yaw: float) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) in mm on the floor of every pixel's ray, the camera's foot at (0, 0), y ahead."""
    return band_points(camera_rays(width, height), yaw, slice(None))


def footprint_px(camera: Camera, rows: slice, texels_per_mm: np.float32, columns: slice | list[int] = slice(None)) -> np.ndarray:
    """How many texels (of the largest texture) one picture pixel covers: the longer of its steps on the floor
    to the next row (x moves right * reach_step, y ahead_step) and to the next column (x moves right_step * reach),
    from the rays alone; the yaw turns both steps alike, so it leaves their lengths."""
    row_step_x = camera.right[None, columns] * camera.reach_step[rows, None]
    step = np.sqrt(row_step_x * row_step_x + np.square(camera.ahead_step[rows, None]))
    np.maximum(step, camera.reach[rows, None] * camera.right_step[None, columns], out=step)
    step *= texels_per_mm
    return step


def level_range(camera: Camera, texels_per_mm: np.float32) -> tuple[int, int]:
    """The lowest and highest pyramid level a pixel can take (the dither adds up to one level). A row's footprint is
    least at its middle column and most at its ends; the margin covers rounding."""
    middle = int(np.argmin(np.abs(camera.right)))
    footprint = footprint_px(camera, slice(None), texels_per_mm, [0, middle, len(camera.right) - 1])
    low = math.floor(math.log2(max(float(footprint.min()) * 0.999, 1.0)))
    high = math.floor(math.log2(max(float(footprint.max()) * 1.001, 1.0))) + 1
    return min(low, MAX_LEVEL), min(high, MAX_LEVEL)


def pyramid(texture: Image.Image, levels: int) -> list[np.ndarray]:
    """The texture as uint8 RGB and halved copies of it, up to `levels` in all."""
    image = texture.convert("RGB")
    copies = [np.asarray(image)]
    while len(copies) < levels and min(image.size) >= 4:
        image = image.reduce(2)
        copies.append(np.asarray(image))
    return copies


def bordered(copy: np.ndarray) -> np.ndarray:
    """(rows + 2, columns + 2) uint32 RGBA texels: the copy with its edge repeated round it, so that the bilinear
    taps half a texel past an edge read the edge texel."""
    rgba = np.asarray(Image.fromarray(copy).convert("RGBA"))
    return np.pad(rgba, ((1, 1), (1, 1), (0, 0)), mode="edge").view(np.uint32)[..., 0]


@dataclass(frozen=True)
class Atlas:
    """Pyramid levels of the textures in one flat array of texels, with a table entry per key
    (texture * levels + level - first_level; tile * levels + ... after `for_tiles`)."""

    pixels: np.ndarray  # (n,) uint32: RGBA bytes, one gather per texel
    origin: np.ndarray  # (keys,) intp: where the level's texel (0, 0) lies in pixels
    stride: np.ndarray  # (keys,) intp: from one row of the level to the next, border included
    rows: np.ndarray  # (keys,) float32
    columns: np.ndarray  # (keys,) float32
    first_level: int
    levels: int


def atlas(textures: Sequence[Image.Image], first_level: int, levels: int) -> Atlas:
    """Levels first_level .. first_level + levels - 1 of every texture (its smallest copy repeats past its end)."""
    flat, tables, offset = [], [], 0
    for texture in textures:
        copies = pyramid(texture, first_level + levels)
        kept: dict[int, tuple[int, int, int, int]] = {}  # per copy: origin, stride, rows, columns
        for level in range(first_level, first_level + levels):
            which = min(level, len(copies) - 1)
            if which not in kept:
                block = bordered(copies[which])
                kept[which] = (offset + block.shape[1] + 1, block.shape[1], *copies[which].shape[:2])
                flat.append(block.ravel())
                offset += block.size
            tables.append(kept[which])
    origin, stride, rows, columns = (np.array(column) for column in zip(*tables, strict=True))
    return Atlas(
        np.concatenate(flat), origin.astype(np.intp), stride.astype(np.intp), rows.astype(np.float32),
        columns.astype(np.float32), first_level, levels,
    )


def for_tiles(book: Atlas, texture: np.ndarray) -> Atlas:
    """The atlas keyed by tile * levels + level - first_level, each tile taking its texture's levels."""
    keys = (texture[:, None] * book.levels + np.arange(book.levels)).ravel()
    return replace(book, origin=book.origin[keys], stride=book.stride[keys], rows=book.rows[keys], columns=book.columns[keys])


def sample(book: Atlas, key: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(3, ...) float32 bilinear samples of each pixel's level `key` at u, v in 0-1 (the edge repeats past it)."""
    x = u * np.take(book.columns, key) - np.float32(0.5)
    y = v * np.take(book.rows, key) - np.float32(0.5)
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    stride = np.take(book.stride, key)
    upper = np.take(book.origin, key) + y0.astype(np.intp) * stride + x0.astype(np.intp)
    lower = upper + stride
    pixels = book.pixels

    def texel(index: np.ndarray) -> np.ndarray:  # channels first: per-pixel weights then broadcast along rows
        rgba = np.take(pixels, index).view(np.uint8).reshape(*index.shape, 4)
        return np.moveaxis(rgba, -1, 0)[:3].astype(np.float32, order="C")

    top = texel(upper) * (1 - fx) + texel(upper + 1) * fx
    bottom = texel(lower) * (1 - fx) + texel(lower + 1) * fx
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


def oriented(u: np.ndarray, v: np.ndarray, turns: np.ndarray, mirror: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """u, v (0-1 within a tile) mirrored where `mirror` is 1, then turned `turns` quarter turns about the centre."""
    u = np.where(mirror == 1, 1 - u, u)
    for quarter in (1, 2, 3):
        chosen = turns >= quarter
        u, v = np.where(chosen, v, u), np.where(chosen, 1 - u, v)
    return u, v


def tile_axes(turns: np.ndarray, mirror: np.ndarray) -> np.ndarray:
    """(6, tiles) float32 a: a tile's texture is read at u' = a0 + a1 u + a2 v, v' = a3 + a4 u + a5 v (`oriented`
    as one affine map per tile, its coefficients 0 or +-1, from where it takes three corners)."""
    corners = [oriented(np.full(turns.shape, u), np.full(turns.shape, v), turns, mirror) for u, v in ((0, 0), (1, 0), (0, 1))]
    (u0, v0), (u1, v1), (u2, v2) = corners
    return np.stack([u0, u1 - u0, u2 - u0, v0, v1 - v0, v2 - v0]).astype(np.float32)


@dataclass(frozen=True)
class View:
    camera: Camera
    yaw: float
    shift_x: np.float32  # where the tile grid starts, mm from the camera's foot
    shift_y: np.float32
    light_x: np.float32  # the light's centre across the view: the mean x of the picture's floor points


@dataclass(frozen=True)
class Tiling:
    tile_mm: float
    first_x: np.float32  # tile numbers of the first tile column and row in sight
    first_y: np.float32
    columns: int
    axes: np.ndarray  # (6, tiles): how each tile's texture lies (tile_axes)
    shade: np.ndarray  # (tiles,) float32
    book: Atlas  # keyed per tile (for_tiles)
    texture_px: int  # the largest texture's longest side


def viewpoint(camera: Camera, yaw: float, shift_x: np.float32, shift_y: np.float32) -> View:
    # x = right * reach turned by yaw: its mean over the picture follows from the rays' means (separable).
    mean_x = math.cos(yaw) * camera.right.mean(dtype=np.float64) * camera.reach.mean(dtype=np.float64)
    mean_x -= math.sin(yaw) * camera.ahead_mm.mean(dtype=np.float64)
    return View(camera, yaw, shift_x, shift_y, np.float32(mean_x + shift_x))


def lay_tiles(textures: Sequence[Image.Image], view: View, tile_mm: float, seed: int) -> Tiling:
    """The tiles in sight, how each lies, and the atlas of the pyramid levels the picture reads."""
    # Along a row, x and y change monotonically with the column (in float32 too): the first and last columns
    # hold the least and greatest tile numbers in sight.
    x, y = band_points(view.camera, view.yaw, slice(None), [0, -1])
    tile_x = np.floor((x + view.shift_x) / np.float32(tile_mm))
    tile_y = np.floor((y + view.shift_y) / np.float32(tile_mm))
    place = tile_placements(tile_x, tile_y, len(textures), seed)
    texture_px = max(max(t.size) for t in textures)
    first_level, last_level = level_range(view.camera, np.float32(texture_px / tile_mm))
    book = for_tiles(atlas(textures, first_level, last_level - first_level + 1), place["texture"])
    columns = int(tile_x.max() - tile_x.min()) + 1
    axes = tile_axes(place["turns"], place["mirror"])
    return Tiling(tile_mm, tile_x.min(), tile_y.min(), columns, axes, place["shade"], book, texture_px)


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
    # The grid does not start at the camera's foot.
    shift_x, shift_y = np.float32(rng.uniform(0.0, tile_mm)), np.float32(rng.uniform(0.0, tile_mm))
    view = viewpoint(camera_rays(width, height), yaw, shift_x, shift_y)
    tiling = lay_tiles(textures, view, tile_mm, seed)
    dither = np.random.default_rng(0)  # one stream, drawn band after band
    picture = np.empty((height, width, 3), np.uint8)
    band_rows = max(1, BAND_PIXELS // width)
    for top in range(0, height, band_rows):
        rows = slice(top, min(top + band_rows, height))
        picture[rows] = floor_band(view, tiling, rows, dither.random((rows.stop - top, width), dtype=np.float32))
    return Image.fromarray(picture, "RGB")


def floor_band(view: View, tiling: Tiling, rows: slice, dither: np.ndarray) -> np.ndarray:
    """(rows, W, 3) float32: these rows of the picture, rounded up by half (the picture's uint8 truncates them)."""
    x, y = band_points(view.camera, view.yaw, rows)
    x += view.shift_x
    y += view.shift_y
    u, tile_x = within_tile(x, tiling.tile_mm)
    v, tile_y = within_tile(y, tiling.tile_mm)
    index = ((tile_y - tiling.first_y) * np.float32(tiling.columns) + (tile_x - tiling.first_x)).astype(np.intp)
    footprint = footprint_px(view.camera, rows, np.float32(tiling.texture_px / tiling.tile_mm))
    rgb = floor_colors(tiling, index, u, v, footprint, dither)
    # The seam, its edges softened over a pixel's footprint on the floor.
    to_seam_mm = np.minimum(np.minimum(u, 1 - u), np.minimum(v, 1 - v)) * np.float32(tiling.tile_mm)
    pixel_mm = footprint * np.float32(tiling.tile_mm / tiling.texture_px)
    seam = np.clip((np.float32(SEAM_MM / 2) - to_seam_mm) / np.maximum(pixel_mm, 1e-3) + 0.5, 0.0, 1.0)
    rgb = rgb * (1 - seam) + np.array(SEAM_SRGB, np.float32)[:, None, None] * seam
    rgb *= light_falloff(x - view.light_x, y, np.take(tiling.shade, index))
    rgb += 0.5
    return np.moveaxis(np.clip(rgb, 0, 255, out=rgb), 0, -1)


def within_tile(x: np.ndarray, tile_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """(0-1 within the tile, tile number) of floor coordinates in mm."""
    tiles = x / np.float32(tile_mm)
    number = np.floor(tiles)
    tiles -= number
    return tiles, number


def floor_colors(tiling: Tiling, index: np.ndarray, u: np.ndarray, v: np.ndarray, footprint: np.ndarray, dither: np.ndarray) -> np.ndarray:
    """(3, ...) float32: each pixel's tile's texture, turned and mirrored, at the level that fits the footprint."""
    a = np.take(tiling.axes, index, axis=1)
    u, v = a[0] + a[1] * u + a[2] * v, a[3] + a[4] * u + a[5] * v
    # A level that fits the footprint, chosen at random between the two nearest in proportion
    # (so no band shows where the level changes), half a level blurrier: sharper levels shimmer.
    book = tiling.book
    level = np.log2(np.maximum(footprint, 1.0))
    level += dither
    np.floor(level, out=level)
    np.clip(level, book.first_level, book.first_level + book.levels - 1, out=level)
    key = index * book.levels + (level.astype(np.intp) - book.first_level)
    return sample(book, key, u, v)


def light_falloff(x: np.ndarray, y: np.ndarray, shade: np.ndarray) -> np.ndarray:
    """HxW brightness: a soft pool of light ahead of the camera, times `shade` (each pixel's tile's own slight shade)."""
    ahead = y - np.float32(LIGHT_AHEAD_MM)
    distance = (x * x + ahead * ahead) * np.float32(1.0 / LIGHT_REACH_MM**2)  # squared, in LIGHT_REACH_MM
    pool = np.float32(LIGHT_FLOOR) + np.float32(1.0 - LIGHT_FLOOR) * np.exp(-distance)
    return pool * shade


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
