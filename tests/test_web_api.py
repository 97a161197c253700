"""The configurator's instant endpoints (page, config, mix, preview, estimate) and how it refuses bad input."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from rubber_tile.analyzer import measure_shares
from rubber_tile.colors.palette import load_palette
from rubber_tile.colors.vocabulary import TILE_COLORS
from rubber_tile.mix import MAX_COLORS, parse_mix
from rubber_tile.output import read_tile_metadata
from rubber_tile.web import create_app
from rubber_tile.web.routes_tiles import whole_parts
from tests.support.web import web_settings

MIX = "50% red, 30% black, 20% pearl"
POST_ENDPOINTS = {
    "/api/mix": {"text": MIX},
    "/api/estimate": {"mix": MIX, "area_m2": 10.0, "thickness_mm": 20.0},
    "/api/renders": {"mix": MIX, "seed": 1},
}


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    with TestClient(create_app(web_settings(tmp_path_factory.mktemp("web")))) as test_client:
        yield test_client


def preview(client: TestClient, **params: object):
    return client.get("/api/preview", params={"mix": MIX, "seed": 7, **params})


def test_the_page_and_its_scripts_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'lang="ru"' in page.text  # Russian first
    for asset in ("/static/app.js", "/static/i18n.js", "/static/shares.js", "/static/style.css"):
        assert client.get(asset).status_code == 200, asset


def test_config_lists_every_color_with_its_measured_swatch_and_russian_name(client: TestClient) -> None:
    config = client.get("/api/config").json()
    palette = load_palette()
    assert [c["name"] for c in config["colors"]] == [c.name for c in TILE_COLORS]
    for color in config["colors"]:
        assert color["hex"] == "#%02x%02x%02x" % palette[color["name"]].srgb
        assert color["russian"] and color["russian"] != color["name"]
    assert config["max_colors"] == MAX_COLORS
    assert config["materials"]["crumb_kg_per_m2"] == 8.0 and config["materials"]["binder_percent"] == 18.0
    assert {"top", "installed"} <= set(config["views"])


def test_a_typed_mix_comes_back_canonical_with_whole_parts_summing_to_100(client: TestClient) -> None:
    reply = client.post("/api/mix", json={"text": "33% красный, 33% белый, 33% чёрный"})
    assert reply.status_code == 200
    body = reply.json()
    assert [c["name"] for c in body["colors"]] == ["red", "white", "black"]
    assert sum(c["parts"] for c in body["colors"]) == 100
    assert sorted(c["parts"] for c in body["colors"]) == [33, 33, 34]


@pytest.mark.parametrize(
    "text", ["0.5% red, 99.5% white", "10.4% red, 20.4% white, 29.6% black, 39.6% sand", "100% sand"]
)
def test_whole_parts_keep_every_color_and_sum_to_100(text: str) -> None:
    mix = parse_mix(text)
    parts = whole_parts(mix)
    assert sum(parts.values()) == 100 and min(parts.values()) >= 1
    assert all(abs(parts[name] - share) < 1.0 for name, share in mix.normalized.items())


def test_a_bad_mix_is_refused_with_the_parsers_structured_error_in_the_page_language(client: TestClient) -> None:
    russian = client.post("/api/mix", json={"text": "50% перламутр, 50% белй", "language": "ru"}).json()["error"]
    assert russian["code"] == "mix" and russian["field"] == "mix"
    assert russian["mix"]["language"] == "ru"
    assert any("\u0400" <= ch <= "\u04ff" for ch in russian["message"])  # Cyrillic text
    english = client.post("/api/mix", json={"text": "50% red, 50% whte", "language": "en"}).json()["error"]
    assert english["mix"]["problems"][0]["code"] == "unknown_colour"
    assert "white" in english["mix"]["problems"][0]["suggestions"]
    switched = client.post("/api/mix", json={"text": "50% red, 50% whte", "language": "ru"}).json()["error"]
    assert switched["message"] != english["message"] and switched["mix"]["language"] == "ru"


def decoded(response) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(response.content)).convert("RGB"))


def test_the_preview_is_the_same_image_for_the_same_query_and_another_for_another_mix(client: TestClient) -> None:
    first, again = preview(client), preview(client)
    assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
    assert first.content == again.content
    assert first.headers["X-Tile-Mix"] == MIX and first.headers["X-Tile-Seed"] == "7"
    other = preview(client, mix="50% red, 30% black, 20% white")
    assert other.content != first.content
    assert preview(client, seed=8).content != first.content


def test_a_russian_mix_draws_the_same_preview_as_its_english_form(client: TestClient) -> None:
    russian = preview(client, mix="50% красный, 30% чёрный, 20% жемчужный")
    assert russian.headers["X-Tile-Mix"] == MIX
    # The same pixels; the file's metadata keeps each customer's own words (`request`).
    assert np.array_equal(decoded(russian), decoded(preview(client)))


def test_the_png_preview_carries_the_mix_and_shows_its_shares(client: TestClient, tmp_path) -> None:
    reply = preview(client, format="png", mix="60% red, 40% white")
    assert reply.headers["content-type"] == "image/png"
    path = tmp_path / "preview.png"
    path.write_bytes(reply.content)
    metadata = read_tile_metadata(path)
    assert metadata["seed"] == "7" and "60% red" in metadata["prompt"]
    image = Image.open(io.BytesIO(reply.content)).convert("RGB")
    assert image.size == (512, 512)
    shares = measure_shares(image, ["red", "white"]).shares
    assert shares["red"] == pytest.approx(60, abs=5)


@pytest.mark.parametrize(
    ("params", "code", "says"),
    [
        ({"mix": "50% perl, 50% white"}, "mix", "pearl"),
        ({"size": 100}, "invalid_input", "512"),
        ({"size": 515}, "invalid_input", "multiple of 8"),
        ({"grade": "huge"}, "invalid_input", "grade"),
        ({"view": "side"}, "invalid_input", "view"),
        ({"seed": -5}, "invalid_request", "seed"),
        ({"seed": "abc"}, "invalid_request", "seed"),
        ({"format": "gif"}, "invalid_request", "format"),
        ({"colour": "red"}, "invalid_request", "unknown field 'colour'"),
    ],
)
def test_bad_preview_queries_get_a_422_that_says_what_to_fix(client: TestClient, params, code: str, says: str) -> None:
    reply = preview(client, language="en", **params)
    assert reply.status_code == 422
    error = reply.json()["error"]
    assert error["code"] == code and says in error["message"]


def test_a_missing_mix_or_seed_is_named(client: TestClient) -> None:
    reply = client.get("/api/preview", params={"seed": 1})
    assert reply.status_code == 422 and "'mix' is missing" in reply.json()["error"]["message"]


def test_the_estimate_gives_kg_per_color_and_binder_from_the_constants(client: TestClient) -> None:
    body = client.post("/api/estimate", json={"mix": MIX, "area_m2": 12.5, "thickness_mm": 20.0}).json()
    crumb = 8.0 * 12.5 * 20.0 / 10
    assert body["crumb_kg"] == pytest.approx(crumb)
    assert body["binder_kg"] == pytest.approx(crumb * 0.18)
    assert {c["name"]: c["kg"] for c in body["colors"]} == pytest.approx(
        {"red": crumb * 0.5, "black": crumb * 0.3, "pearl": crumb * 0.2}
    )
    own = client.post(
        "/api/estimate",
        json={"mix": MIX, "area_m2": 10, "thickness_mm": 10, "crumb_kg_per_m2": 7, "binder_percent": 20},
    ).json()
    assert own["crumb_kg"] == pytest.approx(70.0) and own["binder_kg"] == pytest.approx(14.0)


def test_the_estimate_reads_a_decimal_comma_and_gives_what_to_order(client: TestClient) -> None:
    body = client.post("/api/estimate", json={"mix": MIX, "area_m2": "12,5", "thickness_mm": "20"}).json()
    assert body["area_m2"] == 12.5 and body["crumb_kg"] == pytest.approx(200.0)  # not 125 m2
    assert body["tiles"] == 50
    assert [(c["name"], c["bags"]) for c in body["colors"]] == [("red", 4), ("black", 3), ("pearl", 2)]
    assert body["binder"] == {"barrels": 0, "buckets": 2, "kg": 40.0, "price_per_kg": None, "cost": None}
    assert body["prices"] is None  # this server sets no prices
    assert [row["thickness_mm"] for row in body["by_thickness"]] == [10, 15, 20, 25]
    assert [row["crumb_kg"] for row in body["by_thickness"]] == pytest.approx([100, 150, 200, 250])


@pytest.mark.parametrize(
    ("change", "language", "says"),
    [
        ({"area_m2": "12,5,1"}, "ru", "Площадь: «12,5,1» — не число"),
        ({"area_m2": 1e6}, "ru", "Площадь должна быть больше 0 и не больше 100\u00a0000 м²"),
        ({"thickness_mm": "3"}, "ru", "Толщина должна быть не меньше 5"),
        ({"binder_percent": "сто"}, "ru", "Доля связующего: «сто» — не число"),
        ({"area_m2": 1e6}, "en", "area_m2 (area in m2) must be more than 0 and at most 100000, got 1000000"),
    ],
)
def test_estimate_refusals_name_the_field_in_the_pages_language(client, change: dict, language: str, says: str) -> None:
    body = {"mix": MIX, "area_m2": 10.0, "thickness_mm": 20.0, "language": language} | change
    error = client.post("/api/estimate", json=body).json()["error"]
    assert error["code"] == "invalid_estimate" and error["field"] == next(iter(change)) and error["message"].startswith(says)


def test_prices_from_the_settings_give_costs_of_what_is_ordered_and_a_total(tmp_path) -> None:
    prices = "red=320, чёрный=250, *=300, binder=450"
    with TestClient(create_app(web_settings(tmp_path, material_prices=prices, material_currency="RUB"))) as priced:
        assert priced.get("/api/config").json()["materials"]["currency"] == "RUB"
        body = priced.post("/api/estimate", json={"mix": MIX, "area_m2": 12.5, "thickness_mm": 20}).json()
    costs = {c["name"]: c["cost"] for c in body["colors"]}
    assert costs == {"red": 4 * 25 * 320, "black": 3 * 25 * 250, "pearl": 2 * 25 * 300}  # whole bags
    assert body["binder"]["cost"] == 40 * 450  # two 20 kg buckets
    assert body["prices"] == {"currency": "RUB", "total": sum(costs.values()) + 40 * 450, "missing": []}
    with TestClient(create_app(web_settings(tmp_path, material_prices="red=320"))) as priced:
        body = priced.post("/api/estimate", json={"mix": MIX, "area_m2": 10, "thickness_mm": 10}).json()
    assert body["prices"] == {"currency": "RUB", "total": None, "missing": ["black", "pearl", "binder"]}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"area_m2": 0}, "area_m2"),
        ({"thickness_mm": 500}, "thickness_mm"),
        ({"binder_percent": 300}, "binder_percent"),
        ({"area_m2": "ten"}, "area_m2"),
        ({"area_m2": [10]}, "area_m2"),
        ({"mix": "150% red"}, "100"),
    ],
)
def test_bad_estimates_are_refused_with_a_message(client: TestClient, change: dict, says: str) -> None:
    body = {"mix": MIX, "area_m2": 10.0, "thickness_mm": 20.0, "language": "en"} | change
    reply = client.post("/api/estimate", json=body)
    assert reply.status_code == 422 and says in reply.json()["error"]["message"]


@pytest.mark.parametrize("path", sorted(POST_ENDPOINTS))
def test_malformed_json_is_a_400_with_a_message(client: TestClient, path: str) -> None:
    reply = client.post(path, content=b'{"text": "50% red', headers={"Content-Type": "application/json"})
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "malformed_json" and "not valid JSON" in reply.json()["error"]["message"]


@pytest.mark.parametrize("path", sorted(POST_ENDPOINTS))
def test_unknown_fields_are_refused_by_name(client: TestClient, path: str) -> None:
    reply = client.post(path, json=POST_ENDPOINTS[path] | {"token": "x"})
    assert reply.status_code == 422 and reply.json()["error"]["message"] == "unknown field 'token'"


@pytest.mark.parametrize("path", sorted(POST_ENDPOINTS))
def test_bodies_over_64_kb_are_refused_before_they_are_read(client: TestClient, path: str) -> None:
    body = json.dumps(POST_ENDPOINTS[path] | {"padding": "x" * 70_000}).encode()
    reply = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert reply.status_code == 413 and "64 kB" in reply.json()["error"]["message"]


def test_a_chunked_body_is_counted_as_it_arrives(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(20):
            yield b"x" * 4096
        yield b'"}'

    reply = client.post("/api/mix", content=chunks(), headers={"Content-Type": "application/json"})
    assert reply.status_code == 413


@pytest.mark.parametrize(
    "body",
    [b"[]", b'"50% red"', b"null", b"{}", b'{"text": 5}', b'{"text": "' + b"a" * 3000 + b'"}'],
)
def test_wrong_shapes_are_4xx_never_5xx(client: TestClient, body: bytes) -> None:
    reply = client.post("/api/mix", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= reply.status_code < 500
    assert reply.json()["error"]["message"]


def test_a_bad_content_length_is_a_400(client: TestClient) -> None:
    reply = client.post(
        "/api/mix", content=b"{}", headers={"Content-Type": "application/json", "Content-Length": "abc"}
    )
    assert reply.status_code == 400


@pytest.mark.parametrize("change", [{"grade": "coarse"}, {"framing": "product_photo"}, {"view": "installed"}])
def test_grade_framing_and_view_reach_the_preview(client: TestClient, change: dict) -> None:
    top = preview(client)
    changed = preview(client, **change)
    assert changed.status_code == 200 and changed.content != top.content
    assert preview(client, **change).content == changed.content


def test_without_a_language_a_refusal_speaks_the_language_of_the_text(client) -> None:
    english = client.post("/api/mix", json={"text": "red 50 white"}).json()["error"]
    assert english["mix"]["language"] == "en" and english["message"].startswith("no percentage given")
    russian = client.post("/api/mix", json={"text": "красный 50 белый"}).json()["error"]
    assert russian["mix"]["language"] == "ru" and russian["message"].startswith("не указана доля")


def refusal(client: TestClient, text: str, language: str) -> dict:
    reply = client.post("/api/mix", json={"text": text, "language": language})
    assert reply.status_code == 422
    return reply.json()["error"]["mix"]


def test_a_repeated_color_is_offered_merged_never_the_same_refusal_again(client: TestClient) -> None:
    problem = refusal(client, "50% red 50% красный", "ru")["problems"][0]
    assert problem["code"] == "duplicate_colour"
    assert problem["fixes"] == [{"label": "100% красный", "text": "100% красный"}]
    for fix in problem["fixes"]:
        assert client.post("/api/mix", json={"text": fix["text"], "language": "ru"}).status_code == 200


@pytest.mark.parametrize("text", ["60% red, 40% whte", "60% green, 40% white", "50% perl, 50% grean", "50% Перл, 50% Бирюзавый"])
def test_every_fix_offered_takes_the_problem_away(client: TestClient, text: str) -> None:
    mix = refusal(client, text, "en")
    for problem in mix["problems"]:
        for fix in problem["fixes"]:
            after = client.post("/api/mix", json={"text": fix["text"], "language": "en"})
            left = after.json()["error"]["mix"]["problems"] if after.status_code == 422 else []
            assert len(left) < len(mix["problems"])
            assert not any(p["code"] == problem["code"] and p["fragment"] == problem["fragment"] for p in left)


def test_a_sum_that_was_scaled_says_what_the_shares_were_asked(client: TestClient) -> None:
    body = client.post("/api/mix", json={"text": "33% red 33% black 33% white"}).json()
    assert body["asked_total"] == 99 and [c["asked"] for c in body["colors"]] == [33, 33, 33]
    assert [c["parts"] for c in body["colors"]] == [34, 33, 33]


def test_a_text_that_does_not_read_comes_with_the_colors_in_the_pages_language(client: TestClient) -> None:
    mix = refusal(client, "поровну", "en")
    assert mix["code"] == "unreadable" and mix["footer"].startswith("Known colours: beige, black")
