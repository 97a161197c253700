"""The owner's photos and model outputs: where they lie and what manifest.csv says of each file.

They sit beside the project in ../shared/data and are never part of the repository, so every script
that reads them checks first and stops, saying why, where they are absent. The mix of a file is the
manifest's `mix` column, which holds the corrected labels (`note` says what was corrected); only
the comparison sheets read a mix from a photo's file name.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from rubber_tile.cli import UserError
from rubber_tile.colors.vocabulary import find_color
from rubber_tile.mix import ColorMix, MixError, parse_mix

# The package is used from its checkout (editable install): ../shared lies beside that folder.
PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = PROJECT_DIR.parent / "shared" / "data"
DEFAULT_PHOTOS_DIR = DEFAULT_DATA_DIR / "photos"
MANIFEST_NAME = "manifest.csv"
MODEL_OUTPUTS_FOLDER = "model_outputs/"
LABEL_CUT_SHORT = "label cut short"

_PHOTO_NAME = re.compile(r"^(?P<parts>[A-Z]+(?:p\d+)?(?:_[A-Z]+p\d+)*)_top\.jpg$")
_PHOTO_NAME_PART = re.compile(r"^(?P<code>[A-Z]+)(?:p(?P<percent>\d+))?$")
_PHOTO_NAME_SUM_TOLERANCE = 0.01


@dataclass(frozen=True)
class ManifestEntry:
    """One row of manifest.csv."""

    file: str  # relative to the data folder, e.g. photos/RED_top.jpg
    kind: str  # "photo", or the kind of model output
    mix_text: str  # the mix as the label gives it, not yet parsed
    complete: bool  # False where the label (the file name it came from) was cut short
    note: str  # what was corrected in the label, if anything

    @property
    def name(self) -> str:
        return Path(self.file).name

    @property
    def is_model_output(self) -> bool:
        return self.file.startswith(MODEL_OUTPUTS_FOLDER)


@dataclass(frozen=True)
class PhotoMix:
    """A photo and the mix its file name encodes."""

    path: Path
    mix: ColorMix


def require_manifest(data_dir: Path) -> Path:
    """The manifest's path; UserError, saying the owner's data is not in the repository, where it is absent."""
    manifest = data_dir / MANIFEST_NAME
    if not manifest.is_file():
        raise UserError(f"manifest not found: {manifest} (the owner's data is not part of the repository)")
    return manifest


def read_manifest(data_dir: Path) -> tuple[ManifestEntry, ...]:
    """Every row of the data folder's manifest, in file order."""
    with require_manifest(data_dir).open(newline="", encoding="utf-8") as handle:
        return tuple(
            ManifestEntry(
                file=row["file"],
                kind=row["kind"],
                mix_text=row["mix"],
                complete=row["complete"].strip().lower() == "yes",
                note=(row.get("note") or "").strip(),
            )
            for row in csv.DictReader(handle)
        )


def require_files(data_dir: Path, files: list[str]) -> None:
    """UserError naming the first of `files` that the manifest lists but the data folder lacks."""
    for file in files:
        if not (data_dir / file).is_file():
            raise UserError(f"{file} is in the manifest but not in {data_dir}")


def asked_mix(entry: ManifestEntry) -> ColorMix:
    """The mix the entry's label gives; MixError where it is no mix (check `complete` first)."""
    return parse_mix(entry.mix_text)


def short_reason(error: MixError) -> str:
    """The first clause of a mix error, for a table cell ("'green' could be several tile colours")."""
    return str(error).split(":")[0]


def mix_from_photo_name(name: str) -> ColorMix | None:
    """The mix a photo's file name encodes (BLACKp30_WHITEp70_top.jpg, PEARL_top.jpg), or None."""
    match = _PHOTO_NAME.match(name)
    if match is None:
        return None
    parts = match.group("parts").split("_")
    shares: dict[str, float] = {}
    for part in parts:
        part_match = _PHOTO_NAME_PART.match(part)
        color = find_color(part_match.group("code")) if part_match else None
        if color is None:
            return None
        percent = part_match.group("percent")
        if percent is None and len(parts) > 1:
            return None
        shares[color.name] = 100.0 if percent is None else float(percent)
    if abs(sum(shares.values()) - 100.0) > _PHOTO_NAME_SUM_TOLERANCE:
        return None
    try:
        return ColorMix(shares)
    except MixError:
        return None


def find_photo_mixes(photos_dir: Path, only: list[str] | None) -> list[PhotoMix]:
    """The photos (<MIX>_top.jpg) whose names encode a mix, in name order; `only` keeps just those names."""
    found = []
    for path in sorted(photos_dir.glob("*_top.jpg")):
        if only and path.name not in only:
            continue
        mix = mix_from_photo_name(path.name)
        if mix is not None:
            found.append(PhotoMix(path, mix))
    return found
