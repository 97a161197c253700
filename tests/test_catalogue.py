"""scripts/catalogue.py and rubber_tile/catalogue.py: recipes read by line, rendered, measured and written."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import httpx
import pytest
import replicate
from PIL import Image

from rubber_tile.catalogue import (
    CatalogueError,
    PreviewRenderer,
    Recipe,
    ReplicateRenderer,
    read_recipes,
    render_catalogue,
)
from tests.support.scripts import load_script

GOOD = 'name,mix,seed,grade\nОсень,"45% terracotta, 35% sand, 20% black",42,standard\nSea,"40% blue, 60% white",,fine\n'
SIZE = 512


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipes.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_rows_become_recipes_with_their_settings(tmp_path: Path) -> None:
    recipes, problems = read_recipes(write(tmp_path, GOOD))
    assert problems == []
    autumn, sea = recipes
    assert (autumn.line, autumn.name, autumn.seed, autumn.grade) == (2, "Осень", 42, "standard")
    assert autumn.mix.describe() == "45% terracotta, 35% sand, 20% black"
    assert sea.grade == "fine" and sea.view == "top"
    assert autumn.file_stem == "осень"


def test_a_recipe_without_a_seed_gets_the_same_one_every_time(tmp_path: Path) -> None:
    first = read_recipes(write(tmp_path, GOOD))[0][1].seed
    again = read_recipes(write(tmp_path, GOOD.replace("Осень", "Autumn")))[0][1].seed
    renamed = read_recipes(write(tmp_path, GOOD.replace("Sea,", "Ocean,")))[0][1].seed
    assert first == again and first != renamed


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ('Bad,"50% perl, 50% white",1,', "pearl"),
        ("Empty,,,", "empty"),
        (',"100% red",,', "name is empty"),
        ("Осень,100% red,,", "already used on line 2"),
        ("Seedless,100% red,abc,", "seed must be a whole number"),
        ("Huge,100% red,1,giant", "grade must be one of"),
        ("Loose,50% red, 50% white,1,fine", "more cells than the header"),
    ],
)
def test_bad_rows_are_reported_by_line_and_the_rest_kept(tmp_path: Path, row: str, says: str) -> None:
    recipes, problems = read_recipes(write(tmp_path, GOOD + row + "\nLast,100% sand,,\n"))
    assert [r.name for r in recipes] == ["Осень", "Sea", "Last"]
    assert len(problems) == 1 and problems[0].line == 4
    assert says in problems[0].message and str(problems[0]).startswith("line 4")


@pytest.mark.parametrize("text", ["", "title,colours\nA,100% red\n", "name,mix\n"])
def test_a_file_that_is_not_recipes_is_refused_whole(tmp_path: Path, text: str) -> None:
    with pytest.raises(CatalogueError):
        read_recipes(write(tmp_path, text))


def test_the_script_writes_images_sheet_and_tables_of_asked_and_measured(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, GOOD + 'Bad,"50% perl, 50% white",1,\n')
    out = tmp_path / "out"
    status = load_script("catalogue.py").main([str(path), "--out", str(out), "--size", str(SIZE), "--no-progress"])
    assert status == 1  # one row was skipped
    assert "skipped line 4 (Bad)" in capsys.readouterr().err
    document = json.loads((out / "catalogue.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in document["recipes"]] == ["Осень", "Sea"]
    assert document["skipped"][0]["line"] == 4
    for recipe in document["recipes"]:
        image = Image.open(out / "images" / recipe["image"])
        assert image.size == (SIZE, SIZE)
        assert set(recipe["measured"]) == set(recipe["asked"])
        for color, asked in recipe["asked"].items():
            assert recipe["measured"][color] == pytest.approx(asked, abs=3)  # the preview shows the shares asked
    rows = list(csv.DictReader((out / "catalogue.csv").open(encoding="utf-8")))
    assert [(r["name"], r["colour"]) for r in rows] == [("Осень", "terracotta"), ("Осень", "sand"), ("Осень", "black"),
                                                         ("Sea", "blue"), ("Sea", "white")]
    sheet = Image.open(out / "contact_sheet.png")
    assert sheet.width > 2 * 256 and sheet.height > 256


def test_all_good_rows_exit_0(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert load_script("catalogue.py").main([str(write(tmp_path, GOOD)), "--out", str(out), "--size", str(SIZE), "--no-progress"]) == 0


def test_a_recipe_whose_render_fails_is_skipped_and_the_next_rendered(tmp_path: Path) -> None:
    class FailsOnSea(PreviewRenderer):
        def render(self, recipe: Recipe, size: int) -> Image.Image:
            if recipe.name == "Sea":
                raise RuntimeError("GPU fell over")
            return super().render(recipe, size)

    recipes, _ = read_recipes(write(tmp_path, GOOD + "Last,100% sand,,\n"))
    run = render_catalogue(recipes, FailsOnSea(), tmp_path / "out", SIZE)
    assert [e.recipe.name for e in run.entries] == ["Осень", "Last"]
    assert len(run.problems) == 1 and "GPU fell over" in run.problems[0].message and run.problems[0].line == 3


def test_the_replicate_backend_creates_waits_and_downloads_through_the_official_client(tmp_path: Path) -> None:
    recipes, _ = read_recipes(write(tmp_path, "name,mix\nRed,100% red\n"))
    buffer = io.BytesIO()
    PreviewRenderer().render(recipes[0], SIZE).save(buffer, "PNG")  # what the model would send: a tile image
    seen: list[tuple[str, str]] = []

    def fake(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        prediction = {"id": "p1", "model": "owner/rubber-tile", "version": "v1", "status": "starting", "input": {}, "output": None, "logs": "", "error": None,
                      "urls": {"get": "http://replicate.test/v1/predictions/p1"}}
        if request.method == "POST":
            assert json.loads(request.content)["input"]["prompt"] == "100% red"
            return httpx.Response(201, json=prediction)
        if request.url.path == "/v1/predictions/p1":
            return httpx.Response(200, json=prediction | {"status": "succeeded", "output": "http://replicate.test/files/p1.png"})
        return httpx.Response(200, content=buffer.getvalue(), headers={"content-type": "image/png"})

    client = replicate.Client(api_token="r8_test", base_url="http://replicate.test", transport=httpx.MockTransport(fake))
    client.poll_interval = 0.01
    run = render_catalogue(recipes, ReplicateRenderer("v1", client), tmp_path / "out", SIZE)
    assert run.problems == [] and run.entries[0].backend == "replicate"
    assert run.entries[0].measured["red"] == pytest.approx(100)
    assert seen == [("POST", "/v1/predictions"), ("GET", "/v1/predictions/p1"), ("GET", "/files/p1.png")]
