"""The page in headless Chromium, against the real configurator process and a real local Cog server
(coglet, preview backend): what a customer does, clicked and typed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from rubber_tile_dev.cog_server import CogServer, coglet_unavailable_reason
from rubber_tile_dev.web_process import WebAppProcess
from tests.support.browser import CHROMIUM_ARGS, browser_unavailable_reason, chromium_path

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]
TIMEOUT_MS = 30_000
RENDER_TIMEOUT_MS = 90_000
# The bytes of the picture the page shows: fetched back from the img's blob URL inside the page.
IMAGE_BYTES_JS = "async (img) => Array.from(new Uint8Array(await (await fetch(img.src)).arrayBuffer())).join(',')"


@pytest.fixture(scope="module")
def browser():
    reason = browser_unavailable_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(chromium_path()), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def cog(tmp_path_factory) -> Iterator[CogServer]:
    reason = coglet_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with CogServer(tmp_path_factory.mktemp("cog") / "server.log", env={"TILE_BACKEND": "preview"}) as server:
        server.wait_for_status("READY")
        yield server


@pytest.fixture(scope="module")
def app(browser, cog: CogServer, tmp_path_factory) -> Iterator[WebAppProcess]:
    folder = tmp_path_factory.mktemp("web")
    env = {"COG_URL": f"http://127.0.0.1:{cog.port}", "WEB_RENDER_WORKERS": "1",
           "DATABASE_URL": f"sqlite:///{folder / 'orders.sqlite3'}"}
    with WebAppProcess(folder / "app.log", env) as process:
        process.wait_until_ready()
        yield process


@pytest.fixture
def page(browser, app: WebAppProcess):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"script errors on the page: {errors}"


def open_page(page, app: WebAppProcess, query: str = "seed=3") -> None:
    page.goto(f"{app.url}/?{query}")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#preview[data-state=ready]")


def shown_mix(page) -> str:
    return page.get_attribute("#preview", "data-mix") or ""


def wait_for_mix(page, expected: str) -> None:
    page.wait_for_function(
        "(mix) => { const img = document.getElementById('preview'); return img.dataset.mix === mix && img.dataset.state === 'ready'; }",
        arg=expected,
    )


def share_numbers(page) -> list[int]:
    return [int(value) for value in page.eval_on_selector_all("#shares .share-number", "inputs => inputs.map(i => i.value)")]


def test_pick_colours_move_a_slider_and_the_preview_follows(page, app: WebAppProcess) -> None:
    open_page(page, app, "seed=3&mix=50%25+red%2C+50%25+white")
    before = page.eval_on_selector("#preview", IMAGE_BYTES_JS)
    page.click("button.swatch[data-color='blue']")
    page.click("button.swatch[data-color='yellow']")
    assert len(share_numbers(page)) == 4 and sum(share_numbers(page)) == 100
    wait_for_mix(page, page.evaluate("() => new URL(location.href).searchParams.get('mix')"))
    assert re.fullmatch(r"\d+% red, \d+% white, \d+% blue, \d+% yellow", shown_mix(page))
    assert page.eval_on_selector("#preview", IMAGE_BYTES_JS) != before
    page.click("button.swatch[data-color='black']")  # a fifth colour is refused, with a note
    assert "4" in page.inner_text("#swatch-note") and len(share_numbers(page)) == 4

    slider = page.locator("#shares .share-row[data-color='blue'] input[type=range]")
    start = int(slider.input_value())
    slider.focus()
    for _ in range(15):
        page.keyboard.press("ArrowRight")
    assert int(slider.input_value()) == start + 15
    assert sum(share_numbers(page)) == 100 and page.inner_text("#share-sum") == "100"
    blue = share_numbers(page)[2]
    wait_for_mix(page, page.evaluate("() => new URL(location.href).searchParams.get('mix')"))
    assert f"{blue}% blue" in shown_mix(page)
    number = page.locator("#shares .share-row[data-color='red'] input.share-number")
    number.fill("97")
    number.press("Enter")
    assert share_numbers(page) == [97, 1, 1, 1]
    page.wait_for_function("() => document.querySelector('#estimate-table tbody tr[data-color=red]')?.dataset.kg === String(8 * 10 * 10 / 10 * 0.97)")


def test_a_bad_typed_mix_shows_the_russian_error_next_to_the_field(page, app: WebAppProcess) -> None:
    open_page(page, app)
    before = shown_mix(page)
    page.fill("#typed-mix", "50% перл, 50% белый")
    page.wait_for_selector("#mix-error:not([hidden])")
    message = page.inner_text("#mix-error")
    assert "неизвестный цвет" in message and "перл" in message
    assert page.get_attribute("#typed-mix", "aria-invalid") == "true"
    assert shown_mix(page) == before  # the picture keeps the last good mix
    page.click("button.language[data-language='en']")
    page.wait_for_function("() => document.getElementById('mix-error').innerText.includes('unknown colour')")
    page.fill("#typed-mix", "60% red, 40% whte")
    page.wait_for_selector("button.suggestion")
    page.click("button.suggestion")  # 'white'
    page.wait_for_selector("#mix-error", state="hidden")
    wait_for_mix(page, "60% red, 40% white")


def test_a_typed_russian_mix_sets_the_sliders(page, app: WebAppProcess) -> None:
    open_page(page, app)
    page.fill("#typed-mix", "70% терракотовый, 30% песочный")
    wait_for_mix(page, "70% terracotta, 30% sand")
    assert share_numbers(page) == [70, 30]
    assert page.get_attribute("button.swatch[data-color='terracotta']", "aria-pressed") == "true"


def test_the_photoreal_picture_arrives_from_the_cog_server_by_webhook(page, app: WebAppProcess) -> None:
    open_page(page, app, "seed=21&mix=40%25+emerald%2C+60%25+white&grade=fine")
    page.click("#photoreal")
    page.wait_for_selector("#render-status[data-status=succeeded]", timeout=RENDER_TIMEOUT_MS)
    assert page.get_attribute("#render-status", "data-arrived-via") == "webhook"
    page.wait_for_function("() => document.getElementById('render-image').naturalWidth > 0")
    assert page.eval_on_selector("#render-image", "img => [img.naturalWidth, img.naturalHeight]") == [1024, 1024]
    assert page.evaluate("() => document.getElementById('render-progress').value") >= 1
    log = app.log_tail(50_000)
    webhook_paths = re.findall(r"/api/webhooks/cog/\S+", log)
    assert webhook_paths and all(path.endswith("/***") for path in webhook_paths)  # the tokens stay out of the log


def test_a_share_link_opens_the_same_picture(browser, page, app: WebAppProcess) -> None:
    open_page(page, app, "seed=1234")
    page.click("button.swatch[data-color='sand']")
    page.select_option("#grade", "coarse")
    page.select_option("#view", "installed")
    page.fill("#seed", "987654")
    page.press("#seed", "Enter")
    link = page.input_value("#share-link")
    query = parse_qs(urlsplit(link).query)
    assert query["seed"] == ["987654"] and query["grade"] == ["coarse"] and query["view"] == ["installed"]
    wait_for_mix(page, query["mix"][0])
    original = page.eval_on_selector("#preview", IMAGE_BYTES_JS)

    other = browser.new_page()
    try:
        other.goto(link)
        other.wait_for_selector("body[data-ready=true]")
        wait_for_mix(other, query["mix"][0])
        assert other.eval_on_selector("#preview", IMAGE_BYTES_JS) == original
        assert other.input_value("#grade") == "coarse" and other.input_value("#seed") == "987654"
    finally:
        other.close()

    with page.expect_download() as download:
        page.click("#download")
    path = download.value.path()
    assert download.value.suggested_filename == "tile-987654.png"
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
