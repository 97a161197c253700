"""Measuring a tile image: which colours it shows, and in what shares of the granule area."""

from .face import find_tile_face
from .shares import LABEL_BACKGROUND, LABEL_GAP, ColorShares, PixelLabels, classify_pixels, measure_shares

__all__ = [
    "LABEL_BACKGROUND",
    "LABEL_GAP",
    "ColorShares",
    "PixelLabels",
    "classify_pixels",
    "find_tile_face",
    "measure_shares",
]
