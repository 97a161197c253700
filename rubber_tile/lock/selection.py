"""Choosing which granules change colour: a deterministic pseudo-random order (a real crumb mix is
random), pushed towards places where the target colour is locally scarce and the source colour
abundant, so the result stays evenly mixed and no region turns one colour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .granules import Granules, area_weighted_median

# Selection: local colour shares are read on cells this many granules wide...
_LOCAL_CELL_GRANULES = 4.0
# ...and weigh this much against the random order (which spans 0-1).
_LOCAL_SHARE_WEIGHT = 2.0


@dataclass(frozen=True)
class GranuleCells:
    """Where granules are, for reading local colour shares on a coarse grid."""

    cell_of_granule: np.ndarray  # (count + 1,) cell number
    grid_shape: tuple[int, int]
    random_order: np.ndarray  # (count + 1,) deterministic uniform 0-1 per granule


def granule_cells(granules: Granules, shape: tuple[int, int]) -> GranuleCells:
    """Each granule's cell of the coarse grid local shares are read on, and its place in a fixed random order."""
    typical_width = float(np.sqrt(area_weighted_median(granules.area[1:])))
    cell = max(4.0, _LOCAL_CELL_GRANULES * typical_width)
    grid_shape = (max(1, int(np.ceil(shape[0] / cell))), max(1, int(np.ceil(shape[1] / cell))))
    cell_row = np.minimum((granules.centroid[:, 0] / cell).astype(int), grid_shape[0] - 1)
    cell_col = np.minimum((granules.centroid[:, 1] / cell).astype(int), grid_shape[1] - 1)
    random_order = np.random.default_rng(20250902).random(granules.count + 1)
    return GranuleCells(cell_row * grid_shape[1] + cell_col, grid_shape, random_order)


def _local_shares(cells: GranuleCells, area: np.ndarray, color: np.ndarray, colors: tuple[int, ...]) -> dict[int, np.ndarray]:
    """Colour -> (count + 1,) share of that colour in the neighbourhood of each granule."""
    cell_count = cells.grid_shape[0] * cells.grid_shape[1]

    def smoothed(weights: np.ndarray) -> np.ndarray:
        grid = np.bincount(cells.cell_of_granule, weights=weights, minlength=cell_count).reshape(cells.grid_shape)
        return ndimage.gaussian_filter(grid, sigma=1.0, mode="nearest").ravel()

    total = np.maximum(smoothed(area), 1e-9)
    return {c: (smoothed(area * (color == c)) / total)[cells.cell_of_granule] for c in colors}


def _pick(candidates: np.ndarray, priority: np.ndarray, area: np.ndarray, needed: float) -> np.ndarray:
    """The candidates of lowest priority whose total area comes closest to `needed`."""
    if candidates.size == 0 or needed <= 0.0:
        return candidates[:0]
    ordered = candidates[np.argsort(priority, kind="stable")]
    cumulative = np.cumsum(area[ordered])
    take = int(np.searchsorted(cumulative, needed))
    if take < len(ordered) and (take == 0 or abs(cumulative[take] - needed) < abs(cumulative[take - 1] - needed)):
        take += 1
    return ordered[:take]


def _flows(change: dict[int, float]) -> list[tuple[int, int, float]]:
    """(source, target, area) from colour -> area to gain (negative: to give), spread proportionally."""
    give = {c: -a for c, a in change.items() if a < 0}
    gain = {c: a for c, a in change.items() if a > 0}
    total_gain = sum(gain.values())
    if total_gain <= 0.0:
        return []
    flows = [(s, t, amount * wanted / total_gain) for s, amount in give.items() for t, wanted in gain.items()]
    return sorted(flows, key=lambda flow: -flow[2])


def reassign(
    color: np.ndarray,
    granules: Granules,
    cells: GranuleCells,
    change: dict[int, float],
    want: dict[int, float],
) -> np.ndarray:
    """New colour per granule after moving `change` (colour -> area to gain) between colours."""
    color = color.copy()
    for source, target, amount in _flows(change):
        local = _local_shares(cells, granules.area, color, (source, target))
        candidates = np.flatnonzero(color == source)
        imbalance = (local[target] - want.get(target, 0.0)) - (local[source] - want.get(source, 0.0))
        priority = cells.random_order + _LOCAL_SHARE_WEIGHT * imbalance
        chosen = _pick(candidates, priority[candidates], granules.area, amount)
        color[chosen] = target
    return color
