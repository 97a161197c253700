"""The colour lock: recolour whole granules of a tile image so it shows the asked shares."""

from .errors import ColorLockError, NoGranulesError
from .lock import MATCH_TOLERANCE_PP, ColorMove, LockResult, lock_colors

__all__ = ["MATCH_TOLERANCE_PP", "ColorLockError", "ColorMove", "LockResult", "NoGranulesError", "lock_colors"]
