"""What a preview render depends on besides the mix: size, seed, framing, grade, and the scale in mm.

The grades (sieve sizes) and framings are the request's choices (request.py).

Scale: grades are sieve sizes in mm; the owner's photos show the standard grade at 3.9 px/mm, so
a picture's granules are the photos' granules scaled by its px/mm over theirs and by the grade's
mean sieve size over the standard's (composition.source_scale).
`RenderSettings.tile_mm` (default 140 mm) is the tile face width the owner's photos show (a 500 mm
tile would show 2-4 px granules at 640 px). A product photo draws the whole face at
`photo_face_fraction` of the image width like the photos (640 px => 3.9 px/mm); a full frame shows
FULL_FRAME_FIELD_SHARE of the face edge to edge, as close as the SDXL outputs.
docs/preview_quality.md has the calibration against the photos and the SDXL outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..request import FRAMINGS, GRADES

MIN_SIZE = 256
MAX_SIZE = 2048

# A full frame shows this share of the tile face's width: close-ups like the SDXL outputs, whose
# granules look this much larger than in the photos of the whole tile.
FULL_FRAME_FIELD_SHARE = 0.87
# Product photo: face width over image width, as in the owner's 640 px photos (547-553 px).
PHOTO_FACE_FRACTION = 0.86


@dataclass(frozen=True)
class RenderSettings:
    """Everything a render depends on besides the mix."""

    size: int = 1024
    seed: int = 0
    framing: str = "full_frame"
    grade: str = "standard"
    tile_mm: float = 140.0
    photo_face_fraction: float = PHOTO_FACE_FRACTION
    crop: tuple[int, int] | None = None  # (width, height) of the centred part that is kept; shares count there

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise ValueError(f"size must be a whole number of pixels, got {self.size!r}")
        if not MIN_SIZE <= self.size <= MAX_SIZE:
            raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE} pixels, got {self.size}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a whole number >= 0, got {self.seed!r}")
        if self.framing not in FRAMINGS:
            raise ValueError(f"framing must be one of {', '.join(FRAMINGS)}, got {self.framing!r}")
        if self.grade not in GRADES:
            raise ValueError(f"grade must be one of {', '.join(GRADES)}, got {self.grade!r}")
        if not self.tile_mm > 0:
            raise ValueError(f"tile_mm must be positive, got {self.tile_mm!r}")
        if not 0.3 <= self.photo_face_fraction <= 1.0:
            raise ValueError(f"photo_face_fraction must be between 0.3 and 1, got {self.photo_face_fraction!r}")
        if self.crop is not None and not all(isinstance(n, int) and 1 <= n <= self.size for n in self.crop):
            raise ValueError(f"crop must be (width, height), each from 1 to size {self.size}, got {self.crop!r}")

    @property
    def kept(self) -> tuple[slice, slice]:
        """Rows and columns of the part of the square render that is kept (all of it without a crop)."""
        width, height = self.crop or (self.size, self.size)
        top, left = (self.size - height) // 2, (self.size - width) // 2
        return slice(top, top + height), slice(left, left + width)

    @property
    def face_px(self) -> int:
        """Width of the tile face in pixels."""
        if self.framing == "full_frame":
            return self.size
        return int(round(self.size * self.photo_face_fraction))

    @property
    def face_origin_px(self) -> int:
        """Pixel offset of the face's top-left corner from the image's."""
        return (self.size - self.face_px) // 2

    @property
    def field_mm(self) -> float:
        """Width of face the image shows: the whole tile in a photo, a crop of it in a full frame."""
        if self.framing == "full_frame":
            return self.tile_mm * FULL_FRAME_FIELD_SHARE
        return self.tile_mm

    @property
    def px_per_mm(self) -> float:
        return self.face_px / self.field_mm
