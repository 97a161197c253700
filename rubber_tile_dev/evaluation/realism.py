"""How far a person (or a classifier) can tell the preview from the owner's photos.

A two-sample test: texture features of patches from the real photos and from product-photo
renders of the same mixes at the same scale (640 px), a classifier cross-validated with whole
images held out (the photo and the renders of its mix in one group), accuracy 0.5 meaning the
classifier cannot tell. The control: the same test between two random halves of the photos.

Renders go through JPEG at the photos' quality first (the photos are JPEGs: a classifier that
saw only the file format would say nothing about the renderer); the report gives the number
without it too. In the photos of the blue / dark green / red series the granules named dark
green look like green apple (a batch difference at the maker's, docs REFERENCE); renders of
those mixes use green apple for them unless asked otherwise (`as_photographed`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from rubber_tile.analyzer import find_tile_face
from rubber_tile.colors.colorspace import srgb_to_lab_fast
from rubber_tile.colors.palette import load_palette
from rubber_tile.mix import ColorMix
from rubber_tile.preview.render import render_tile, use_granule_library

from ..granule_library import build_library, held_out_photos
from .owner_data import asked_mix, read_manifest
from .preview_photos import jpeg_round_trip, jpeg_round_trip_with, jpeg_tables_of

RoundTrip = Callable[[Image.Image], np.ndarray]
PATCH_PX = 64
PATCHES_PER_IMAGE = 12
FOLDS = 5
TARGET_ACCURACY = 0.7
PHOTO_SIZE = 640
# The face is shrunk by this much (px) before patches are cut, so no patch holds the bevel.
FACE_MARGIN_PX = 24
FEATURE_NAMES = (
    *(f"L p{p}" for p in (5, 25, 50, 75, 95)),
    "L std",
    "a std",
    "b std",
    "gradient mean",
    "gradient std",
    "gradient p90",
    "edge share",
    "orientation anisotropy",
    *(f"band {s} px" for s in (1, 2, 4, 8)),
    "pixel noise",
    "dark share",
    *(f"lbp {k}" for k in range(10)),
)


@dataclass(frozen=True)
class PatchSet:
    """Features of patches, with the image each came from (its group) and its class (1: render)."""

    features: np.ndarray  # (patches, len(FEATURE_NAMES))
    groups: np.ndarray  # (patches,) int
    labels: np.ndarray  # (patches,) int


@dataclass(frozen=True)
class TwoSampleResult:
    classifier: str
    accuracy: float
    fold_accuracies: tuple[float, ...]


def as_photographed(mix: ColorMix, series_with_green_apple: bool) -> ColorMix:
    """The mix as the photo shows it: dark green read as green apple in the multi-colour series."""
    if not series_with_green_apple or "dark green" not in mix or "green apple" in mix:
        return mix
    return ColorMix({("green apple" if name == "dark green" else name): share for name, share in mix.items()})


def lbp_histogram(lightness: np.ndarray) -> np.ndarray:
    """Rotation-invariant uniform local binary patterns (8 neighbours, radius 1): 10 shares."""
    centre = lightness[1:-1, 1:-1]
    offsets = ((0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0))
    bits = np.stack([lightness[y : y + centre.shape[0], x : x + centre.shape[1]] >= centre for y, x in offsets])
    ones = bits.sum(axis=0)
    transitions = (bits != np.roll(bits, 1, axis=0)).sum(axis=0)
    codes = np.where(transitions <= 2, ones, 9)
    return np.bincount(codes.ravel(), minlength=10) / codes.size


def patch_features(rgb: np.ndarray) -> np.ndarray:
    """The FEATURE_NAMES of one patch (uint8 RGB)."""
    lab = srgb_to_lab_fast(rgb).astype(np.float64)
    lightness = lab[..., 0]
    gy, gx = np.gradient(lightness)
    magnitude = np.hypot(gx, gy)
    angle = np.mod(np.arctan2(gy, gx), np.pi)
    orientation = np.bincount((angle / np.pi * 8).astype(int).clip(0, 7).ravel(), weights=magnitude.ravel(), minlength=8)
    bands = []
    for sigma in (1, 2, 4, 8):
        band = ndimage.gaussian_filter(lightness, sigma / 2) - ndimage.gaussian_filter(lightness, sigma)
        bands.append(np.abs(band).mean())
    detail = lightness - ndimage.uniform_filter(lightness, 3)
    median = np.median(lightness)
    return np.array(
        [
            *np.percentile(lightness, (5, 25, 50, 75, 95)),
            lightness.std(),
            lab[..., 1].std(),
            lab[..., 2].std(),
            magnitude.mean(),
            magnitude.std(),
            np.percentile(magnitude, 90),
            (magnitude > 8.0).mean(),
            orientation.max() / max(orientation.mean(), 1e-9),
            *bands,
            np.median(np.abs(detail)),
            (lightness < median - 25.0).mean(),
            *lbp_histogram(lightness),
        ]
    )


def face_patches(rgb: np.ndarray, rng: np.random.Generator, count: int = PATCHES_PER_IMAGE) -> list[np.ndarray]:
    """`count` random PATCH_PX patches lying wholly on the tile face (shrunk by FACE_MARGIN_PX)."""
    face = ndimage.binary_erosion(find_tile_face(rgb), iterations=FACE_MARGIN_PX)
    inside = ndimage.minimum_filter(face.astype(np.uint8), size=PATCH_PX, origin=-(PATCH_PX // 2)) > 0
    corners = np.argwhere(inside[: rgb.shape[0] - PATCH_PX, : rgb.shape[1] - PATCH_PX])
    if len(corners) == 0:
        raise ValueError("no room for a patch on the tile face")
    chosen = corners[rng.choice(len(corners), size=count, replace=len(corners) < count)]
    return [rgb[y : y + PATCH_PX, x : x + PATCH_PX] for y, x in chosen]


def read_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


@dataclass(frozen=True)
class PhotoCase:
    """One owner photo and the mix it shows (manifest `mix`, as photographed)."""

    path: Path
    mix: ColorMix


def photo_cases(data_dir: Path, green_apple_series: bool = True) -> list[PhotoCase]:
    """Every photo in the manifest with its mix; the multi-colour blue/dark green/red series as photographed."""
    cases = []
    for entry in read_manifest(data_dir):
        if entry.is_model_output or not entry.complete:
            continue
        mix = asked_mix(entry)
        series = len(mix) > 1 and {"blue", "dark green", "red"} <= set(mix)
        cases.append(PhotoCase(data_dir / entry.file, as_photographed(mix, green_apple_series and series)))
    return cases


def as_png(image: Image.Image) -> np.ndarray:
    """No round trip: the render's own pixels."""
    return np.asarray(image)


def render_like(case: PhotoCase, seed: int, round_trip: RoundTrip = jpeg_round_trip) -> np.ndarray:
    """A product-photo render of the case's mix at the photo's size, through round_trip (JPEG q90 by default)."""
    return round_trip(render_tile(case.mix, size=PHOTO_SIZE, seed=seed, framing="product_photo"))


def patch_set(cases: Sequence[PhotoCase], *, round_trip: RoundTrip = jpeg_round_trip, seed: int = 0) -> PatchSet:
    """Patches of every photo (class 0) and of one render of its mix (class 1), grouped by photo."""
    rng = np.random.default_rng(seed)
    features, groups, labels = [], [], []
    for group, case in enumerate(cases):
        for label, rgb in ((0, read_rgb(case.path)), (1, render_like(case, seed + group, round_trip))):
            for patch in face_patches(rgb, rng):
                features.append(patch_features(patch))
                groups.append(group)
                labels.append(label)
    return PatchSet(np.array(features), np.array(groups), np.array(labels))


def real_halves(real: PatchSet, seed: int = 0) -> PatchSet:
    """The control: the photos' patches only, labelled by which random half of the photos they are from."""
    keep = real.labels == 0
    groups = real.groups[keep]
    photos = np.unique(groups)
    second = np.random.default_rng(seed).permutation(photos)[: len(photos) // 2]
    return PatchSet(real.features[keep], groups, np.isin(groups, second).astype(int))


def two_sample_accuracy(patches: PatchSet, folds: int = FOLDS, seed: int = 0) -> list[TwoSampleResult]:
    """Cross-validated accuracy of two classifiers, whole images (groups) held out in each fold."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    models = {
        "logistic regression": lambda: make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000)),
        "gradient boosting": lambda: HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, random_state=seed),
    }
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    results = []
    for name, make in models.items():
        correct, fold_accuracies = 0, []
        for train, test in splitter.split(patches.features, patches.labels, patches.groups):
            model = make().fit(patches.features[train], patches.labels[train])
            hits = int((model.predict(patches.features[test]) == patches.labels[test]).sum())
            correct += hits
            fold_accuracies.append(hits / len(test))
        results.append(TwoSampleResult(name, correct / len(patches.labels), tuple(fold_accuracies)))
    return results


def feature_gaps(patches: PatchSet, top: int = 6) -> list[tuple[str, float]]:
    """The features whose class means differ most, in pooled standard deviations (where it still looks rendered)."""
    real, rendered = patches.features[patches.labels == 0], patches.features[patches.labels == 1]
    pooled = np.sqrt(0.5 * (real.var(axis=0) + rendered.var(axis=0))) + 1e-9
    gaps = (rendered.mean(axis=0) - real.mean(axis=0)) / pooled
    order = np.argsort(-np.abs(gaps))[:top]
    return [(FEATURE_NAMES[i], float(gaps[i])) for i in order]


@contextmanager
def held_out_renders(data_dir: Path) -> Iterator[list[PhotoCase]]:
    """The held-out quarter of the photos (granule_library.held_out_photos); within the block every
    render comes from a granule library built exactly as the shipped one but without those photos."""
    cases = photo_cases(data_dir)
    held = set(held_out_photos(cases))
    with tempfile.TemporaryDirectory(prefix="granules_held_out_") as folder:
        build_library(cases, load_palette(), Path(folder), held)
        with use_granule_library(Path(folder)):
            yield [case for case in cases if case.path.name in held]


def realism_rows(cases: Sequence[PhotoCase], seed: int) -> tuple[list[str], PatchSet]:
    """Table rows: renders through JPEG q90, through the photos' own JPEG tables, as PNG; the control."""
    jpeg = patch_set(cases, seed=seed)
    like_photos = jpeg_round_trip_with(jpeg_tables_of(cases[0].path))
    rows = (
        ("photos vs renders through JPEG q90", jpeg),
        ("photos vs renders through the photos' own JPEG tables (4:2:0)", patch_set(cases, round_trip=like_photos, seed=seed)),
        ("photos vs renders as PNG", patch_set(cases, round_trip=as_png, seed=seed)),
        ("control: half the photos vs the other half", real_halves(jpeg, seed)),
    )
    lines = []
    for name, patches in rows:
        results = {r.classifier: r.accuracy for r in two_sample_accuracy(patches, seed=seed)}
        lines.append(f"| {name} | {results['logistic regression']:.3f} | {results['gradient boosting']:.3f} |")
    return lines, jpeg


def realism_section(data_dir: Path, seed: int = 0, held_out: bool = False) -> list[str]:
    """The report section: accuracies through JPEG (q90 and the photos' own tables) and as PNG, the
    control, and the largest feature gaps; held_out: on the held-out photos only, with renders from
    a library built without them."""
    with held_out_renders(data_dir) if held_out else nullcontext(photo_cases(data_dir)) as cases:
        rows, jpeg = realism_rows(cases, seed)
    which = "held-out photos (left out of the granule library the renders use)" if held_out else "owner photos"
    lines = [
        f"### Realism: a classifier two-sample test (photos vs renders){', held-out photos' if held_out else ''}",
        "",
        f"{PATCHES_PER_IMAGE} patches of {PATCH_PX} px from the face of each of the {len(cases)} {which} (640 px) "
        f"and of one product-photo render of its manifest mix at the same size; {len(FEATURE_NAMES)} texture features "
        "(lightness percentiles and spread, a/b spread, gradient statistics and orientation anisotropy, band-pass "
        "energy at 1-8 px, pixel noise, dark share, uniform LBP histogram); "
        f"{FOLDS}-fold cross-validation with whole images held out (a photo and the render of its mix in one group). "
        f"Accuracy 0.5: cannot tell. Target <= {TARGET_ACCURACY}. Dark green in the blue / dark green / red series "
        "is rendered as green apple, as those photos show it. The photos are JPEGs with tables of their own: a photo "
        "saved again at Pillow's q90 is told from itself at about 0.8, with its own tables at about 0.5.",
        "",
        "| comparison | logistic regression | gradient boosting |",
        "|---|---:|---:|",
        *rows,
    ]
    gaps = ", ".join(f"{name} {gap:+.1f}" for name, gap in feature_gaps(jpeg))
    return [*lines, "", f"- largest gaps (render minus photo, in pooled standard deviations, q90): {gaps}", ""]
