"""The page in headless Chromium, against the real configurator process and a real local Cog server
(coglet, preview backend): what a customer does, clicked and typed, on a phone and on a desktop."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from rubber_tile_dev.cog_server import CogServer
from rubber_tile_dev.web_process import WebAppProcess
from tests.support.web_pages import DESKTOP, PHONE, OpenPage, share_numbers, wait_for_mix  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]
RENDER_TIMEOUT_MS = 90_000
CANVAS_PIXELS_JS = "() => Array.from(document.getElementById('preview-canvas').getContext('2d').getImageData(0, 0, 512, 512).data.filter((_, i) => i % 97 === 0)).join(',')"


@pytest.fixture(scope="module")
def cog(coglet_runs_here, tmp_path_factory) -> Iterator[CogServer]:
    with CogServer(tmp_path_factory.mktemp("cog") / "server.log", env={"TILE_BACKEND": "preview"}) as server:
        server.wait_for_status("READY")
        yield server


@pytest.fixture(scope="module")
def app(browser, cog: CogServer, tmp_path_factory) -> Iterator[WebAppProcess]:
    env = {"COG_URL": f"http://127.0.0.1:{cog.port}", "WEB_RENDER_WORKERS": "1"}
    with WebAppProcess(tmp_path_factory.mktemp("web") / "app.log", env) as process:
        process.wait_until_ready()
        yield process


# A phone by default; tests that matter on both sizes say so with BOTH_SIZES.
BOTH_SIZES = pytest.mark.parametrize("tab", [PHONE, DESKTOP], ids=["phone", "desktop"], indirect=True)


@pytest.fixture
def tab(request, browser, app: WebAppProcess) -> Iterator[OpenPage]:
    opened = OpenPage(browser, app.url, getattr(request, "param", PHONE))
    yield opened
    opened.close()


@BOTH_SIZES
def test_pick_colors_move_a_slider_and_the_picture_follows_without_the_server(tab: OpenPage) -> None:
    page = tab.open("seed=3&mix=50%25+red%2C+50%25+white")
    wait_for_mix(page, "50% red, 50% white")
    before = page.evaluate(CANVAS_PIXELS_JS)
    page.click("button.swatch[data-color='blue']")
    page.click("button.swatch[data-color='yellow']")
    assert len(share_numbers(page)) == 4 and sum(share_numbers(page)) == 100
    wait_for_mix(page, page.evaluate("() => new URL(location.href).searchParams.get('mix')"))
    assert re.fullmatch(r"\d+% red, \d+% white, \d+% blue, \d+% yellow", page.get_attribute("#preview", "data-mix"))
    assert page.evaluate(CANVAS_PIXELS_JS) != before
    page.click("button.swatch[data-color='black']")  # a fifth colour is refused, with a note
    assert "4" in page.inner_text("#swatch-note") and len(share_numbers(page)) == 4

    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    slider = page.locator("#shares .share-row[data-color='blue'] .share-slider")
    start = int(slider.input_value())
    slider.focus()
    for _ in range(15):
        page.keyboard.press("ArrowRight")
    assert int(slider.input_value()) == start + 15
    assert sum(share_numbers(page)) == 100 and page.inner_text("#share-sum") == "100"
    blue = share_numbers(page)[2]
    wait_for_mix(page, page.evaluate("() => new URL(location.href).searchParams.get('mix')"))
    assert f"{blue}% blue" in page.get_attribute("#preview", "data-mix")
    assert not [url for url in requests if "/api/preview" in url], "a slider move asked the server for a picture"
    number = page.locator("#shares .share-row[data-color='red'] input.share-number")
    number.fill("97")
    number.press("Enter")
    assert share_numbers(page) == [97, 1, 1, 1]
    page.wait_for_function("() => document.querySelector('#estimate-table tbody tr[data-color=red]')?.dataset.kg === '77.6'")


def test_a_bad_typed_mix_shows_the_russian_error_and_clearing_the_field_clears_it(tab: OpenPage) -> None:
    page = tab.open()
    before = page.get_attribute("#preview", "data-mix")
    page.fill("#typed-mix", "50% перл, 50% белый")
    page.wait_for_selector("#mix-error:not([hidden])")
    message = page.inner_text("#mix-error")
    assert "неизвестный цвет" in message and "перл" in message
    assert "Пример:" in message and "Доступные цвета: бежевый" in message  # an example and the colours
    assert page.get_attribute("#typed-mix", "aria-invalid") == "true"
    assert page.get_attribute("#preview", "data-mix") == before  # the picture keeps the last good mix
    page.fill("#typed-mix", "")
    page.wait_for_selector("#mix-error", state="hidden")
    assert page.get_attribute("#typed-mix", "aria-invalid") == "false"
    page.fill("#typed-mix", "50% перл, 50% белый")
    page.wait_for_selector("#mix-error:not([hidden])")
    page.click("button.language[data-language='en']")
    page.wait_for_function("() => document.getElementById('mix-error').innerText.includes('unknown colour')")
    page.fill("#typed-mix", "60% red, 40% whte")
    page.wait_for_selector("button.suggestion")
    page.click("button.suggestion")  # 'white'
    page.wait_for_selector("#mix-error", state="hidden")
    wait_for_mix(page, "60% red, 40% white")


def test_a_repeated_color_is_offered_merged_and_the_fix_reads(tab: OpenPage) -> None:
    page = tab.open()
    page.fill("#typed-mix", "50% red 50% красный")
    page.wait_for_selector("#mix-error:not([hidden]) button.suggestion")
    fixes = page.eval_on_selector_all("button.suggestion", "buttons => buttons.map(b => b.dataset.fix)")
    assert fixes == ["100% красный"]
    page.click("button.suggestion")
    page.wait_for_selector("#mix-error", state="hidden")
    wait_for_mix(page, "100% red")


def test_a_scaled_sum_says_what_it_became(tab: OpenPage) -> None:
    page = tab.open()
    page.fill("#typed-mix", "33% red 33% black 33% white")
    page.wait_for_selector("#mix-note:not([hidden])")
    note = page.inner_text("#mix-note")
    assert "99%" in note and "34% красный, 33% чёрный, 33% белый" in note
    assert share_numbers(page) == [34, 33, 33]
    page.locator("#shares .share-slider").first.focus()
    page.keyboard.press("ArrowLeft")  # the customer moves on: the note went with the typed text
    page.wait_for_selector("#mix-note", state="hidden")


@pytest.mark.parametrize(
    ("typed", "mix"),
    [("пополам красный и чёрный", "50% red, 50% black"), ("70 на 30 чёрный и белый", "70% black, 30% white"),
     ("0.5 red 0.5 white", "50% red, 50% white"), ("50красный 50белый", "50% red, 50% white")],
)
def test_what_customers_type_sets_the_sliders(browser, app: WebAppProcess, typed: str, mix: str) -> None:
    opened = OpenPage(browser, app.url, PHONE)
    try:
        page = opened.open()
        page.fill("#typed-mix", typed)
        wait_for_mix(page, mix)
        assert share_numbers(page) == [int(part.split("%")[0]) for part in mix.split(", ")]
    finally:
        opened.close()


@BOTH_SIZES
def test_the_photoreal_picture_arrives_labelled_and_is_marked_when_the_mix_changes(tab: OpenPage, app) -> None:
    page = tab.open("seed=21&mix=40%25+emerald%2C+60%25+white&grade=fine")
    assert page.is_hidden("#render")  # nothing before it is asked
    page.click("#photoreal")
    page.wait_for_selector("#render:not([hidden])")
    assert page.is_hidden("#render-figure") and page.is_hidden("#render-download")  # no empty box, no dead link
    page.wait_for_selector("#render-status[data-status=succeeded]", timeout=RENDER_TIMEOUT_MS)
    assert page.get_attribute("#render-status", "data-arrived-via") == "webhook"
    page.wait_for_function("() => document.getElementById('render-image').naturalWidth > 0")
    assert page.eval_on_selector("#render-image", "img => [img.naturalWidth, img.naturalHeight]") == [1024, 1024]
    assert page.is_visible("#render-download") and page.get_attribute("#render-download", "href").startswith("/api/renders/")
    assert page.inner_text("#render-caption").startswith("40% изумрудный, 60% белый; фракция мелкая")
    assert page.get_attribute("#render-image", "alt") == "плитка: 40% изумрудный, 60% белый, фракция мелкая"
    assert page.is_hidden("#render-stale")
    page.click("button.swatch[data-color='black']")
    page.wait_for_selector("#render-stale:not([hidden])")
    assert "изменились" in page.inner_text("#render-stale")
    page.click("button.language[data-language='en']")
    assert page.inner_text("#render-status") == "Done." and page.title() == "Rubber tile configurator"
    assert page.inner_text("#render-caption").startswith("40% emerald, 60% white; fine grade")
    log = app.log_tail(50_000)
    webhook_paths = re.findall(r"/api/webhooks/cog/\S+", log)
    assert webhook_paths and all(path.endswith("/***") for path in webhook_paths)  # the tokens stay out of the log


def test_a_share_link_opens_the_same_picture_and_estimate(browser, tab: OpenPage) -> None:
    page = tab.open("seed=1234")
    page.click("button.swatch[data-color='sand']")
    page.select_option("#grade", "coarse")
    page.fill("#seed", "987654")
    page.press("#seed", "Enter")
    page.fill("#area", "12,5")
    page.fill("#thickness", "20")
    page.wait_for_function("() => new URL(location.href).searchParams.get('area') === '12,5'")
    link = page.input_value("#share-link")
    query = parse_qs(urlsplit(link).query)
    assert query["seed"] == ["987654"] and query["grade"] == ["coarse"] and query["thickness"] == ["20"]
    wait_for_mix(page, query["mix"][0])
    original = page.evaluate(CANVAS_PIXELS_JS)
    other = OpenPage(browser, "", DESKTOP)
    try:
        other.page.goto(link)
        other.page.wait_for_selector("body[data-ready=true]")
        wait_for_mix(other.page, query["mix"][0])
        assert other.page.evaluate(CANVAS_PIXELS_JS) == original
        assert other.page.input_value("#grade") == "coarse" and other.page.input_value("#seed") == "987654"
        assert other.page.input_value("#area") == "12,5" and other.page.input_value("#thickness") == "20"
    finally:
        other.close()

    with page.expect_download() as download:
        page.click("#download")
    assert download.value.suggested_filename == "tile-987654.png"
    assert open(download.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_the_pdf_for_the_factory_downloads_with_the_mix_estimate_and_link(tab: OpenPage) -> None:
    from pypdf import PdfReader

    page = tab.open("seed=5&mix=40%25+terracotta%2C+35%25+sand%2C+25%25+black&area=12%2C5&thickness=20")
    page.wait_for_selector("#estimate-result:not([hidden])")
    with page.expect_download() as download:
        page.click("#quote-pdf")
    assert download.value.suggested_filename == "tile-5.pdf"
    text = PdfReader(io.BytesIO(open(download.value.path(), "rb").read())).pages[0].extract_text()
    for expected in ("Резиновая плитка: смесь для заказа", "40%  терракотовый", "Фракция: стандартная (2–4 мм)",
                     "Площадь 12,5 м², толщина 20 мм", "Плитка 500 × 500 мм: 50 шт.", "Ссылка на эту плитку"):
        assert expected in text, expected
    assert "seed=5" in text.replace("\n", "")
