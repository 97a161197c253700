"""The preview backend: the request's grade, framing and view reach the renderer and the metadata."""

from __future__ import annotations

import numpy as np
import pytest

from rubber_tile.generator import TileGenerator
from rubber_tile.mix import ColorMix
from rubber_tile.preview import backend
from rubber_tile.preview.backend import PreviewBackend
from rubber_tile.preview.render import render_tile
from rubber_tile.request import make_request

MIX = "50% red, 30% black, 20% pearl"


def _request(**inputs):
    return make_request(MIX, seed=11, width=512, height=512, **inputs)


@pytest.mark.parametrize(
    "inputs, grade, framing",
    [({}, "standard", "full_frame"), ({"grade": "coarse", "framing": "product_photo"}, "coarse", "product_photo")],
)
def test_grade_and_framing_reach_the_renderer_and_the_metadata(inputs: dict, grade: str, framing: str) -> None:
    tile = TileGenerator(PreviewBackend()).generate(_request(**inputs))
    expected = render_tile(ColorMix({"red": 50, "black": 30, "pearl": 20}), size=512, seed=11, framing=framing, grade=grade)
    assert tile.image.tobytes() == expected.tobytes()
    assert (tile.metadata["view"], tile.metadata["grade"], tile.metadata["framing"]) == ("top", grade, framing)


def test_installed_view_is_a_floor_of_the_asked_size(monkeypatch) -> None:
    calls = []
    real_textures = backend.installed_textures

    def spy(mix, grade, seed, count=backend.INSTALLED_TEXTURES):
        calls.append((grade, seed))
        return real_textures(mix, grade, seed, count)

    monkeypatch.setattr(backend, "installed_textures", spy)
    tile = TileGenerator(PreviewBackend()).generate(make_request(MIX, seed=11, width=640, height=512, view="installed", grade="fine"))
    assert tile.image.size == (640, 512)
    assert calls == [("fine", 11)]
    assert tile.metadata["view"] == "installed" and tile.metadata["installed_tile_mm"] == "500"
    top = TileGenerator(PreviewBackend()).generate(make_request(MIX, seed=11, width=640, height=512))
    assert not np.array_equal(np.asarray(tile.image), np.asarray(top.image))


def test_installed_textures_differ_from_each_other() -> None:
    first, second = backend.installed_textures(ColorMix({"red": 60, "white": 40}), "standard", 5)
    assert first.size == (backend.INSTALLED_TEXTURE_PX, backend.INSTALLED_TEXTURE_PX)
    assert (np.asarray(first) != np.asarray(second)).any(axis=2).mean() > 0.5
