"""The factory's PDF with the visualiser's picture of the customer's site (POST /api/quote.pdf): the
picture is placed, anything that is not a JPEG or PNG of a sane size is refused in the page's language,
and the body is limited."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from rubber_tile.web import create_app
from rubber_tile.web.routes_quote import SITE_PICTURE_MAX_BYTES
from tests.support.web import web_settings

QUERY = {"mix": "40% terracotta, 35% sand, 25% black", "seed": 5, "area": "12,5", "thickness": "20"}


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    with TestClient(create_app(web_settings(tmp_path_factory.mktemp("web")))) as test_client:
        yield test_client


def jpeg(width: int = 640, height: int = 480) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 255, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def pdf_images_and_text(data: bytes) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return sum(len(page.images) for page in reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_the_site_picture_is_added_to_the_pdf(client: TestClient) -> None:
    plain = client.get("/api/quote.pdf", params=QUERY)
    with_site = client.post("/api/quote.pdf", params=QUERY | {"lang": "en"}, content=jpeg(), headers={"Content-Type": "image/jpeg"})
    assert plain.status_code == 200 and with_site.status_code == 200, with_site.text
    assert with_site.headers["content-type"] == "application/pdf" and with_site.headers["cache-control"] == "no-store"
    plain_images, _ = pdf_images_and_text(plain.content)
    site_images, text = pdf_images_and_text(with_site.content)
    assert site_images == plain_images + 1
    assert "Your site with this mix" in text and "40%  terracotta" in text


@pytest.mark.parametrize(
    ("body", "language", "message"),
    [
        (b"GIF89a" + bytes(100), "ru", "Картинку площадки не удалось прочитать"),
        (b"\xff\xd8\xff" + bytes(100), "en", "The site picture could not be read"),
        (jpeg(2100, 100), "en", "at most 2048 px a side"),
    ],
    ids=["not a picture", "broken JPEG", "too wide"],
)
def test_a_bad_site_picture_is_refused_in_the_pages_language(client: TestClient, body: bytes, language: str, message: str) -> None:
    reply = client.post("/api/quote.pdf", params=QUERY | {"lang": language}, content=body, headers={"Content-Type": "image/jpeg"})
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "invalid_site_picture"
    assert message in reply.json()["error"]["message"]


def test_a_body_over_the_limit_is_refused_before_it_is_read(client: TestClient) -> None:
    reply = client.post("/api/quote.pdf", params=QUERY, content=b"\xff\xd8\xff" + bytes(SITE_PICTURE_MAX_BYTES), headers={"Content-Type": "image/jpeg"})
    assert reply.status_code == 413


def test_the_pdf_names_binder_containers_in_the_pdfs_language() -> None:
    from rubber_tile.web.pdf_texts import TEXTS, binder_order

    constants = {"binder_barrel_kg": 215.0, "binder_bucket_kg": 12.5}
    order = {"barrels": 16, "buckets": 1}
    assert binder_order(order, constants, TEXTS["ru"]) == "16 бочек по 215 кг и 1 ведро по 12,5 кг"
    assert binder_order(order, constants, TEXTS["en"]) == "16 barrels of 215 kg and 1 bucket of 12.5 kg"
