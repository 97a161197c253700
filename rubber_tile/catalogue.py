"""The catalogue: every recipe of a CSV rendered, measured, and written as images, a contact sheet and a table.

RECIPES.csv has a header with `name` and `mix` (required) and `seed`, `grade`, `framing`, `view`
(optional; seed defaults to a number derived from the name, so a catalogue renders the same every
time). A bad row (unreadable mix, unknown grade, duplicate name...) is reported with its line number
and skipped; a recipe whose render fails is reported the same way; the rest go on.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageDraw, ImageFont

from .analyzer import measure_shares
from .errors import InputError
from .generator import TileGenerator, load_generator
from .mix import ColorMix, format_percent, parse_mix
from .preview.backend import PreviewBackend
from .request import SEED_MAX, TileRequest, input_default, make_request

__all__ = [
    "CatalogueEntry",
    "CatalogueError",
    "PreviewRenderer",
    "Recipe",
    "RecipeProblem",
    "ReplicateRenderer",
    "SdxlRenderer",
    "TileRenderer",
    "contact_sheet",
    "read_recipes",
    "render_catalogue",
    "write_tables",
]

REQUIRED_COLUMNS = ("name", "mix")
OPTIONAL_COLUMNS = ("seed", "grade", "framing", "view")
THUMBNAIL_PX = 256
SHEET_COLUMNS = 4
CAPTION_LINES = 6
CAPTION_LINE_PX = 17
SHEET_GAP_PX = 10
CAPTION_FONT_PATHS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)  # Cyrillic recipe names


class CatalogueError(ValueError):
    """The recipes file cannot be used at all (missing, not CSV, no name or mix column)."""


@dataclass(frozen=True)
class Recipe:
    line: int  # in the CSV file, counting the header as line 1
    name: str
    mix: ColorMix
    seed: int
    grade: str = input_default("grade")
    framing: str = input_default("framing")
    view: str = input_default("view")

    @property
    def file_stem(self) -> str:
        """A file name for the image: the name's letters and digits (any script), else `recipe-<line>`."""
        stem = re.sub(r"[^\w]+", "-", self.name, flags=re.UNICODE).strip("-_").lower()
        return stem[:80] or f"recipe-{self.line}"

    def request(self, size: int, preview: bool) -> TileRequest:
        return make_request(prompt=self.mix.describe(), seed=self.seed, width=size, height=size, preview=preview,
                            grade=self.grade, framing=self.framing, view=self.view)


@dataclass(frozen=True)
class RecipeProblem:
    line: int
    name: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}{f' ({self.name})' if self.name else ''}: {self.message}"


@dataclass(frozen=True)
class CatalogueEntry:
    recipe: Recipe
    image_path: Path
    measured: dict[str, float]  # colour -> percent of the granule area the analyzer measured
    seconds: float
    backend: str

    def to_dict(self) -> dict[str, object]:
        recipe = self.recipe
        return {
            "line": recipe.line, "name": recipe.name, "mix": recipe.mix.describe(), "seed": recipe.seed,
            "grade": recipe.grade, "framing": recipe.framing, "view": recipe.view, "image": self.image_path.name,
            "backend": self.backend, "seconds": round(self.seconds, 3),
            "asked": {name: round(share, 3) for name, share in recipe.mix.normalized.items()},
            "measured": {name: round(share, 3) for name, share in self.measured.items()},
        }


class TileRenderer(Protocol):
    backend: str

    def render(self, recipe: Recipe, size: int) -> Image.Image: ...


def default_seed(name: str) -> int:
    return zlib.crc32(name.encode("utf-8")) % (SEED_MAX + 1)


def read_recipes(path: Path) -> tuple[list[Recipe], list[RecipeProblem]]:
    """The good recipes and a problem per bad row; CatalogueError if the file cannot be read as recipes."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogueError(f"cannot read {path}: {error}") from None
    reader = csv.DictReader(text.splitlines())
    columns = [column.strip().lower() for column in reader.fieldnames or []]
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise CatalogueError(f"{path}: the header must name the columns {', '.join(REQUIRED_COLUMNS)} "
                             f"(optional: {', '.join(OPTIONAL_COLUMNS)}); missing {', '.join(missing)}")
    reader.fieldnames = columns
    recipes: list[Recipe] = []
    problems: list[RecipeProblem] = []
    names: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        result = _recipe_of(row, line, names)
        (problems if isinstance(result, RecipeProblem) else recipes).append(result)
    if not recipes and not problems:
        raise CatalogueError(f"{path}: no recipes under the header")
    return recipes, problems


def _recipe_of(row: dict[str, str | None], line: int, names: dict[str, int]) -> Recipe | RecipeProblem:
    cells = {key: (value or "").strip() for key, value in row.items() if key is not None}
    name = cells.get("name", "")
    if None in row:
        return RecipeProblem(line, name, "more cells than the header has columns (a comma inside a cell needs quotes)")
    if not name:
        return RecipeProblem(line, "", "the name is empty")
    if name in names:
        return RecipeProblem(line, name, f"the name is already used on line {names[name]}")
    try:
        mix = parse_mix(cells.get("mix", ""))
        seed_text = cells.get("seed", "")
        if seed_text and not seed_text.isdigit():
            raise InputError(f"seed must be a whole number from 0 to {SEED_MAX}, got {seed_text!r}")
        recipe = Recipe(line, name, mix, int(seed_text) if seed_text else default_seed(name),
                        grade=cells.get("grade") or Recipe.grade, framing=cells.get("framing") or Recipe.framing,
                        view=cells.get("view") or Recipe.view)
        recipe.request(size=1024, preview=True)  # every other value checked as a prediction checks it
    except InputError as error:
        return RecipeProblem(line, name, str(error))
    names[name] = line
    return recipe


@dataclass
class CatalogueRun:
    entries: list[CatalogueEntry] = field(default_factory=list)
    problems: list[RecipeProblem] = field(default_factory=list)


def render_catalogue(
    recipes: Iterable[Recipe],
    renderer: TileRenderer,
    out_dir: Path,
    size: int,
    progress: Callable[[Iterable[Recipe]], Iterator[Recipe]] = iter,
) -> CatalogueRun:
    """Render, save and measure each recipe; one that fails is a problem, and the next one goes on."""
    images = out_dir / "images"
    images.mkdir(parents=True, exist_ok=True)
    run = CatalogueRun()
    for recipe in progress(list(recipes)):
        started = time.perf_counter()
        try:
            image = renderer.render(recipe, size).convert("RGB")
        except Exception as error:  # noqa: BLE001 (any backend failure is this recipe's problem; the message says what)
            run.problems.append(RecipeProblem(recipe.line, recipe.name, f"render failed: {type(error).__name__}: {error}"))
            continue
        seconds = time.perf_counter() - started
        path = images / f"{recipe.file_stem}.png"
        image.save(path, "PNG")
        measured = measure_shares(image, list(recipe.mix)).shares
        run.entries.append(CatalogueEntry(recipe, path, dict(measured), seconds, renderer.backend))
    return run


def write_tables(run: CatalogueRun, out_dir: Path) -> tuple[Path, Path]:
    """catalogue.json (every entry and problem) and catalogue.csv (one row per recipe and colour)."""
    json_path, csv_path = out_dir / "catalogue.json", out_dir / "catalogue.csv"
    document = {
        "recipes": [entry.to_dict() for entry in run.entries],
        "skipped": [{"line": p.line, "name": p.name, "problem": p.message} for p in run.problems],
    }
    json_path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "line", "image", "mix", "seed", "grade", "framing", "view", "colour", "asked_percent",
                         "measured_percent", "difference_pp"])
        for entry in run.entries:
            recipe = entry.recipe
            for color, asked in recipe.mix.normalized.items():
                measured = entry.measured.get(color, 0.0)
                writer.writerow([recipe.name, recipe.line, entry.image_path.name, recipe.mix.describe(), recipe.seed,
                                 recipe.grade, recipe.framing, recipe.view, color, f"{asked:.2f}", f"{measured:.2f}",
                                 f"{measured - asked:+.2f}"])
    return json_path, csv_path


def _caption_font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for candidate in CAPTION_FONT_PATHS:
        if Path(candidate).is_file():
            return ImageFont.truetype(candidate, 13)
    return ImageFont.load_default(size=13)


def caption_lines(entry: CatalogueEntry) -> list[str]:
    lines = [entry.recipe.name, "asked -> measured"]
    for color, asked in entry.recipe.mix.normalized.items():
        lines.append(f"{color}: {format_percent(round(asked, 1))}% -> {entry.measured.get(color, 0.0):.1f}%")
    return lines[:CAPTION_LINES]


def contact_sheet(entries: list[CatalogueEntry]) -> Image.Image:
    """Thumbnails in rows of SHEET_COLUMNS, each under its name and asked vs measured shares."""
    if not entries:
        raise ValueError("a contact sheet needs at least one rendered recipe")
    font = _caption_font()
    cell_w, cell_h = THUMBNAIL_PX, THUMBNAIL_PX + CAPTION_LINES * CAPTION_LINE_PX + 6
    columns = min(SHEET_COLUMNS, len(entries))
    rows = -(-len(entries) // columns)
    sheet = Image.new("RGB", (columns * (cell_w + SHEET_GAP_PX) + SHEET_GAP_PX, rows * (cell_h + SHEET_GAP_PX) + SHEET_GAP_PX), "white")
    draw = ImageDraw.Draw(sheet)
    for index, entry in enumerate(entries):
        left = SHEET_GAP_PX + (index % columns) * (cell_w + SHEET_GAP_PX)
        top = SHEET_GAP_PX + (index // columns) * (cell_h + SHEET_GAP_PX)
        with Image.open(entry.image_path) as image:
            sheet.paste(image.convert("RGB").resize((THUMBNAIL_PX, THUMBNAIL_PX), Image.Resampling.LANCZOS), (left, top))
        for number, line in enumerate(caption_lines(entry)):
            draw.text((left, top + THUMBNAIL_PX + 4 + number * CAPTION_LINE_PX), line, fill=(0, 0, 0), font=font)
    return sheet


class PreviewRenderer:
    """The procedural preview (the default): exact shares, no weights."""

    backend = "preview"

    def __init__(self) -> None:
        self.generator = TileGenerator(PreviewBackend("catalogue"))

    def render(self, recipe: Recipe, size: int) -> Image.Image:
        return self.generator.generate(recipe.request(size, preview=True)).image


class SdxlRenderer:
    """The trained model, loaded as the Cog predictor's setup() loads it (TILE_* settings, model_files/)."""

    backend = "sdxl"

    def __init__(self, env: dict[str, str]) -> None:
        self.generator = load_generator({**env, "TILE_BACKEND": "sdxl"})

    def render(self, recipe: Recipe, size: int) -> Image.Image:
        return self.generator.generate(recipe.request(size, preview=False)).image


class ReplicateRenderer:
    """A model version on Replicate through the official client: create, wait, download the file."""

    backend = "replicate"

    def __init__(self, version: str, client) -> None:
        self.version = version
        self.client = client

    def render(self, recipe: Recipe, size: int) -> Image.Image:
        from replicate.helpers import FileOutput

        request = recipe.request(size, preview=False)
        inputs = {"prompt": request.prompt, "seed": request.seed, "width": request.width, "height": request.height,
                  "output_format": "png", "grade": request.grade, "framing": request.framing, "view": request.view}
        prediction = self.client.predictions.create(version=self.version, input=inputs)
        prediction.wait()
        if prediction.status != "succeeded":
            raise RuntimeError(f"prediction {prediction.id} {prediction.status}: {prediction.error or 'no error given'}")
        output = prediction.output[0] if isinstance(prediction.output, list) else prediction.output
        if not isinstance(output, str):
            raise RuntimeError(f"prediction {prediction.id} gave no file, got {output!r}")
        image = Image.open(io.BytesIO(FileOutput(output, self.client).read()))
        image.load()
        return image
