"""Measure the share of each tile colour in an image of a rubber-crumb tile.

Pipeline: find the tile face (a photo has a plain background and a bevelled edge; an SDXL
output is all face), mark the dark gaps between granules, then explain the remaining face
pixels as a mixture of the palette colours' appearance models (data/palette.json) and read the
shares off the mixture weights. The per-pixel labels (with gap and background labels) are
available for callers that recolour granules.
"""

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
_BACKGROUND_BORDER_SHARE = 0.6
# The bevelled edge and the ragged outline of the tile: trimmed off the face, as a share of the
# face's shorter side.
_EDGE_TRIM_SHARE = 0.025


def as_rgb_array(image: object) -> np.ndarray:
    """An HxWx3 uint8 array from a PIL image or an array (grey and RGBA are converted)."""
    if hasattr(image, "convert") and hasattr(image, "size"):
        array = np.asarray(image.convert("RGB"))
    else:
        array = np.asarray(image)
        if array.ndim == 2:
            array = np.repeat(array[:, :, None], 3, axis=2)
        elif array.ndim == 3 and array.shape[2] == 4:
            array = array[:, :, :3]
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"expected an RGB image (height x width x 3), got an array of shape {array.shape}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError("the image is empty (0 pixels)")
    if array.dtype != np.uint8:
        if np.issubdtype(array.dtype, np.floating) and array.size and float(np.nanmax(array)) <= 1.0:
            array = array * 255.0
        array = np.clip(np.rint(array), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(array)


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

    row_index = np.minimum(np.arange(height) // step, face.shape[0] - 1)
    col_index = np.minimum(np.arange(width) // step, face.shape[1] - 1)
    return face[row_index[:, None], col_index[None, :]]
