"""Finding the tile's top face in an image: a product photo's tile on its background, or a full frame."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

# Work resolution for finding the face: the face outline needs no more detail than this.
_FACE_WORK_SIDE = 256
# A border pixel counts as plain background when it is this close (max channel difference) to
# the border's median colour.
_BACKGROUND_TOLERANCE = 24
# Share of border pixels that must be plain background for the image to count as a photo with
# a background rather than a full-frame texture.
_BACKGROUND_BORDER_SHARE = 0.97
# The bevelled edge and the ragged outline of the tile: trimmed off the face, as a share of the
# face's shorter side.
_EDGE_TRIM_SHARE = 0.025


def _border_ring(array: np.ndarray, width: int) -> np.ndarray:
    return np.concatenate(
        [
            array[:width].reshape(-1, 3),
            array[-width:].reshape(-1, 3),
            array[width:-width, :width].reshape(-1, 3),
            array[width:-width, -width:].reshape(-1, 3),
        ]
    )


def _largest_component(mask: np.ndarray) -> np.ndarray:
    labels, count = ndimage.label(mask)
    if count <= 1:
        return mask
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(np.argmax(sizes))


def find_tile_face(rgb: np.ndarray) -> np.ndarray:
    """Boolean HxW mask of the tile's top face.

    Where the image border is a plain background (a product photo), the face is the largest
    non-background region, holes filled, with the bevelled edge trimmed off. Otherwise the
    image is taken to be all face (a full-frame texture such as an SDXL output).
    """
    height, width = rgb.shape[:2]
    step = max(1, max(height, width) // _FACE_WORK_SIDE)
    small = rgb[::step, ::step].astype(np.int16)
    ring_width = max(1, min(small.shape[:2]) // 50)
    if min(small.shape[:2]) <= 4 * ring_width:
        return np.ones((height, width), dtype=bool)
    ring = _border_ring(small, ring_width)
    background = np.median(ring, axis=0)
    ring_is_background = np.abs(ring - background).max(axis=1) <= _BACKGROUND_TOLERANCE
    if ring_is_background.mean() < _BACKGROUND_BORDER_SHARE:
        return np.ones((height, width), dtype=bool)

    foreground = np.abs(small - background).max(axis=2) > _BACKGROUND_TOLERANCE
    foreground = ndimage.binary_closing(foreground, structure=np.ones((3, 3), bool), iterations=2)
    foreground = ndimage.binary_fill_holes(foreground)
    foreground = ndimage.binary_opening(foreground, structure=np.ones((3, 3), bool), iterations=2)
    if not foreground.any():
        return np.zeros((height, width), dtype=bool)
    face = _largest_component(foreground)
    rows, cols = np.nonzero(face)
    short_side = min(rows.max() - rows.min() + 1, cols.max() - cols.min() + 1)
    trim = int(round(_EDGE_TRIM_SHARE * short_side))
    if trim > 0:
        face = ndimage.binary_erosion(face, structure=np.ones((3, 3), bool), iterations=trim, border_value=0)

    # rgb[::step] kept ceil(size / step) samples, so repeating each step times covers the image.
    return np.repeat(np.repeat(face, step, axis=0), step, axis=1)[:height, :width]
