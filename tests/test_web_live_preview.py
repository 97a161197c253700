"""The live preview drawn in the browser (contract A): the page colours a seed's layout itself, and its
picture is the server's picture for the same mix and seed, with the same shares."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from rubber_tile.mix import parse_mix
from rubber_tile.preview import colorize
from rubber_tile.preview.camera import expose
from rubber_tile.preview.render import render_layers
from rubber_tile.preview.settings import RenderSettings
from rubber_tile.web import create_app
from rubber_tile.web.layouts import read_document
from tests.support.web import web_settings
from tests.support.web_pages import PHONE, OpenPage, web_app  # noqa: F401

CASES = [
    ("50% red, 30% black, 20% pearl", 3, "standard", "full_frame"),
    ("40% terracotta, 35% sand, 25% black", 11, "fine", "product_photo"),
    ("1% red, 99% white", 7, "coarse", "full_frame"),
    ("25% blue, 25% yellow, 25% emerald, 25% pink", 123456, "standard", "product_photo"),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with TestClient(create_app(web_settings(tmp_path_factory.mktemp("web")))) as test_client:
        yield test_client


def picture_from_documents(layout: bytes, tables: bytes, mix_text: str) -> np.ndarray:
    """What the page draws, done in Python from the two documents alone (the page's arithmetic)."""
    header, arrays = read_document(layout)
    table_header, table_arrays = read_document(tables)
    mix = parse_mix(mix_text)
    colors = colorize.assign_colors(arrays["area"], arrays["order"], colorize.mix_fractions(mix))
    names = table_header["colors"]
    rows = [table_arrays["table"][names.index(name)].reshape(-1, 3) for name in mix.colors]
    from rubber_tile.colors.palette import load_palette

    binder = colorize.binder_row(mix, load_palette())
    background = np.full((table_header["levels"], 3), table_header["background_srgb"], np.float32)
    table = np.ascontiguousarray(np.concatenate([*rows, binder, background]).T)
    code = arrays["code"].astype(np.int64)
    labels = np.where(code == header["background_code"], -1, code - 1)
    off_tile = code == header["background_code"]
    variants = arrays["variant"].astype(np.int64)
    index = colorize.table_index(labels, off_tile, arrays["level"], variants, colors, len(mix))
    partners = arrays["partner"].astype(np.int64) - 1
    partner_index = colorize.table_index(partners, off_tile, arrays["level"], variants, colors, len(mix))
    weight = np.array(header["blend_weights"], np.float32)[arrays["alpha"]]
    channels = []
    for own, other in zip(colorize.lookup(table, index), colorize.lookup(table, partner_index), strict=True):
        channels.append((other - own) * weight + own)  # the page's blend, in float32
    noise = None if "noise" not in arrays else arrays["noise"].astype(np.float32) / np.float32(header["noise_scale"])
    light = None if "light" not in arrays else np.float32(1) + arrays["light"].astype(np.float32) / np.float32(header["light_scale"])
    softening = np.array(header["softening"], np.float32)[arrays["softness"]]
    from rubber_tile.preview.camera import Camera

    return np.asarray(expose((channels[0], channels[1], channels[2]), Camera(arrays["softness"], softening, noise, light)))


@pytest.mark.parametrize(("mix", "seed", "grade", "framing"), CASES)
def test_the_layout_and_tables_documents_hold_everything_the_picture_needs(client, mix, seed, grade, framing) -> None:
    reply = client.get("/api/preview/layout", params={"seed": seed, "grade": grade, "framing": framing})
    assert reply.status_code == 200 and reply.headers["content-encoding"] == "gzip"
    tables = client.get("/api/preview/tables").content
    mine = picture_from_documents(reply.content, tables, mix).astype(int)
    server = np.asarray(render_layers(parse_mix(mix), RenderSettings(size=512, seed=seed, grade=grade, framing=framing)).image).astype(int)
    difference = np.abs(mine - server)
    assert difference.max() <= 1 and difference.mean() < 0.05  # noise and light are sent to 1/127 and 1/10000


def test_a_bad_layout_query_is_refused_with_a_message(client) -> None:
    reply = client.get("/api/preview/layout", params={"seed": 1, "grade": "huge"})
    assert reply.status_code == 422 and "grade" in reply.json()["error"]["message"]
    assert client.get("/api/preview/layout", params={"seed": -1}).status_code == 422


@pytest.mark.browser
@pytest.mark.server
@pytest.mark.slow
def test_the_browser_draws_the_servers_picture_with_the_same_shares(browser, web_app) -> None:  # noqa: F811
    tab = OpenPage(browser, web_app.url, PHONE)
    page = tab.page
    try:
        for mix, seed, grade, framing in CASES:
            query = f"seed={seed}&grade={grade}&framing={framing}&mix={mix.replace('%', '%25').replace(' ', '+').replace(',', '%2C')}"
            tab.open(query, ready="#preview[data-state=ready][data-source=browser]")
            page.wait_for_function("(mix) => document.getElementById('preview').dataset.mix === mix", arg=mix)
            data = page.evaluate("() => document.getElementById('preview-canvas').toDataURL('image/png')")
            mine = np.asarray(Image.open(io.BytesIO(base64.b64decode(data.split(",")[1]))).convert("RGB")).astype(int)
            tile = render_layers(parse_mix(mix), RenderSettings(size=512, seed=seed, grade=grade, framing=framing))
            difference = np.abs(mine - np.asarray(tile.image).astype(int))
            assert difference.max() <= 2 and difference.mean() < 0.1, (mix, difference.max(), difference.mean())
            colors = page.evaluate("() => Array.from(window.tilePreview.colorOfGranule)")
            assert colors == tile.color_of_granule.tolist()  # the same granules take the same colours
            shares = page.evaluate("() => window.tilePreview.shares")
            expected = parse_mix(mix).normalized
            assert shares == pytest.approx(list(expected.values()), abs=0.05)
    finally:
        tab.close()
