"""What the colour lock raises."""

from __future__ import annotations


class ColorLockError(ValueError):
    """The lock cannot be applied to this image or mix; the message says why and what to do."""


class NoGranulesError(ColorLockError):
    """The image has no granules to recolour (no tile face, all gap, or a flat image)."""
