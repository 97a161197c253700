"""The visualiser in headless Chromium against the real configurator: the engine's picture on ray-cast
courtyards (corners, seams, a cast shadow, the same bytes as the Python side), and the panel as a
customer uses it (a phone photo, corners dragged and moved by keys, size, surface, brush, download)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from rubber_tile.visualise import Area, lay_out, paint
from rubber_tile.visualise.geometry import photo_to_plane
from rubber_tile_dev.synthetic.courtyard import render
from rubber_tile_dev.synthetic.courtyard_scenes import courtyard_for_tests
from rubber_tile_dev.visualiser_checks import (
    direction_errors_deg,
    inside,
    laid_corners,
    light_regions,
    seam_lines,
    shadow_ratio,
)
from rubber_tile_dev.visualiser_harness import phone_jpeg, run_engine
from rubber_tile_dev.web_process import WebAppProcess

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]
TIMEOUT_MS = 60_000
GREEN = np.zeros((64, 64, 3), np.uint8) + np.array([40, 200, 60], np.uint8)
GREY = np.full((64, 64, 3), 150, np.uint8)


@pytest.fixture(scope="module")
def app(browser, tmp_path_factory) -> Iterator[WebAppProcess]:
    with WebAppProcess(tmp_path_factory.mktemp("web") / "app.log", {"WEB_RENDER_WORKERS": "1"}) as process:
        process.wait_until_ready()
        yield process


@pytest.fixture
def engine_page(browser, app: WebAppProcess):
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{app.url}/api/health")
    yield page
    page.close()


@pytest.fixture(scope="module")
def turned_courtyard():
    scene = courtyard_for_tests(400, 300, seed=6, yaw_deg=8.0)
    return scene, render(scene)


def area_of(scene) -> dict:
    return {"corners": [list(c) for c in scene.corners_px()], "widthM": scene.area.width_m, "depthM": scene.area.depth_m}


def test_the_browser_and_python_draw_the_same_picture(engine_page, turned_courtyard) -> None:
    scene, picture = turned_courtyard
    texture = np.random.default_rng(0).integers(0, 120, (128, 128, 3)).astype(np.uint8) + np.array([90, 30, 20], np.uint8)
    mask = np.where(ndimage.binary_dilation(picture["objects"], iterations=3), 255, 0).astype(np.uint8)  # brushed a little wide: snapped
    for seamless in (False, True):
        options = {"seamless": seamless, "seed": 11, "fieldMm": 121.8}
        browser = run_engine(engine_page, picture["photo"], texture, area_of(scene), options, mask)
        area = Area(tuple(scene.corners_px()), scene.area.width_m, scene.area.depth_m)
        python = paint(lay_out(picture["photo"], area, seamless=seamless, seed=11, field_mm=121.8, mask=mask), texture)
        difference = np.abs(browser.picture.astype(int) - python.astype(int))
        assert browser.count > 20_000
        assert difference.max() <= 2 and difference.mean() < 0.01, (seamless, difference.max(), difference.mean())


def test_the_browser_lays_the_area_within_2_px_of_the_marked_corners(engine_page, turned_courtyard) -> None:
    scene, picture = turned_courtyard
    result = run_engine(engine_page, picture["photo"], GREEN, area_of(scene), {"seamless": True, "seed": 1, "fieldMm": 121.8})
    found = laid_corners(picture["photo"], result.picture, scene.corners_px())
    errors = [float(np.hypot(*(f - np.array(c)))) for f, c in zip(found, scene.corners_px(), strict=True)]
    assert max(errors) <= 2.0, errors


def test_the_browsers_seams_run_to_the_vanishing_points(engine_page, turned_courtyard) -> None:
    scene, picture = turned_courtyard
    tiles = run_engine(engine_page, picture["photo"], GREY, area_of(scene), {"seamless": False, "seed": 2, "fieldMm": 121.8}).picture
    seamless = run_engine(engine_page, picture["photo"], GREY, area_of(scene), {"seamless": True, "seed": 2, "fieldMm": 121.8}).picture
    width_mm, depth_mm = scene.area.width_m * 1000, scene.area.depth_m * 1000
    plane_to_image = np.linalg.inv(photo_to_plane(scene.corners_px(), width_mm, depth_mm).matrix)
    lines = seam_lines(tiles, seamless, plane_to_image, width_mm, depth_mm)
    along, across = scene.area.axes()
    for axis, direction in (("width", across), ("depth", along)):
        assert len(lines[axis]) >= 4
        errors = direction_errors_deg(lines[axis], np.append(scene.camera.vanishing_point(direction), 1.0))
        assert max(errors) < 0.6 and np.median(errors) < 0.3, (axis, errors)


def test_the_browser_carries_a_cast_shadow_at_the_photos_ratio(engine_page) -> None:
    scene = courtyard_for_tests(400, 300, seed=5)
    picture = render(scene)
    result = run_engine(engine_page, picture["photo"], GREY, area_of(scene), {"seamless": True, "seed": 3, "fieldMm": 121.8}).picture
    shadow, sun = light_regions(picture["visibility"], inside(scene.corners_px(), result.shape[:2], margin=6), margin=6)
    in_photo, laid = shadow_ratio(picture["photo"], shadow, sun), shadow_ratio(result, shadow, sun)
    assert laid == pytest.approx(in_photo, rel=0.06) and laid == pytest.approx(scene.shadow_ratio, rel=0.12)


# ------------------------------------------------------------ the panel


@pytest.fixture(scope="module")
def phone_photo(tmp_path_factory):
    """A 12 MP courtyard as a phone stores it held upright: pixels turned, EXIF orientation 6."""
    scene = courtyard_for_tests(640, 480, seed=1)
    path = tmp_path_factory.mktemp("photos") / "yard.jpg"
    path.write_bytes(phone_jpeg(render(scene)["photo"], (4032, 3024), orientation=6))
    return path


def open_panel(browser, app: WebAppProcess, width: int, language: str = "ru"):
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{app.url}/?seed=3&lang={language}&mix={quote('50% red, 30% black, 20% pearl')}")
    page.wait_for_selector("body[data-ready=true]")
    return context, page, errors


def wait_drawn(page, after: int = 0) -> int:
    page.wait_for_function("(n) => { const r = document.getElementById('visualiser'); return r.dataset.state === 'ready' && Number(r.dataset.draws) > n; }", arg=after)
    return int(page.get_attribute("#visualiser", "data-draws"))


def canvas_digest(page) -> str:
    """SHA-256 of the panel's picture, taken in the page (the bytes are 4.9 MB)."""
    return page.evaluate("""async () => {
      const c = document.querySelector('#visualiser canvas[data-v=canvas]');
      const bytes = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))).map((b) => b.toString(16).padStart(2, '0')).join('');
    }""")


def test_a_phone_photo_is_laid_and_follows_the_corners_the_size_the_surface_and_the_mix(browser, app, phone_photo) -> None:  # long: one customer's way through the panel
    context, page, errors = open_panel(browser, app, 390)
    uploads: list[str] = []  # every request with a body but the page's small JSON ones
    page.on("request", lambda request: uploads.append(request.url) if request.method != "GET" and "/api/mix" not in request.url and "/api/estimate" not in request.url else None)
    try:
        assert "браузере" in page.inner_text("#visualiser .visualiser-privacy")
        page.set_input_files("#visualiser input[data-v=file-input]", str(phone_photo))
        draws = wait_drawn(page)
        assert page.get_attribute("#visualiser", "data-original") == "4032x3024"  # upright: EXIF orientation applied
        assert page.get_attribute("#visualiser", "data-photo") == "1280x960"
        page.evaluate("() => window.tileVisualiser.setCorners([[0, 950], [1280, 950], [1280, 500], [0, 500]])")
        draws = wait_drawn(page, draws)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # corners at the photo's edges widen nothing
        first = canvas_digest(page)

        corner = page.locator("#visualiser .visualiser-corner[data-corner='2']")
        before = page.evaluate("() => window.tileVisualiser.state.corners[2].slice()")
        corner.focus()
        for _ in range(3):
            page.keyboard.press("Shift+ArrowUp")
        after = page.evaluate("() => window.tileVisualiser.state.corners[2].slice()")
        assert after[0] == before[0] and after[1] < before[1] - 20
        draws = wait_drawn(page, draws)
        box = corner.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 - 30, box["y"] + box["height"] / 2 + 10, steps=5)
        page.mouse.up()
        draws = wait_drawn(page, draws)
        assert page.evaluate("() => window.tileVisualiser.state.corners[2][0]") < after[0] - 40

        page.fill("#visualiser input[data-v=width]", "3,2")
        page.fill("#visualiser input[data-v=depth]", "2,6")
        draws = wait_drawn(page, draws)
        assert page.evaluate("() => [window.tileVisualiser.view.layout.light !== null, window.tileVisualiser.state.corners.length]") == [True, 4]
        page.check("#visualiser input[value=seamless]")
        draws = wait_drawn(page, draws)
        assert canvas_digest(page) != first

        label = page.get_attribute("#visualiser canvas[data-v=canvas]", "aria-label")
        seamless_picture = canvas_digest(page)
        layouts = page.evaluate("() => window.tileVisualiser.view.stats.layouts")
        page.click("button.swatch[data-color='blue']")
        draws = wait_drawn(page, draws)  # a new mix: the panel lays its texture again
        assert page.evaluate("() => window.tileVisualiser.view.stats.layouts") == layouts  # on the same layout
        assert page.get_attribute("#visualiser canvas[data-v=canvas]", "aria-label") != label
        assert canvas_digest(page) != seamless_picture

        with page.expect_download() as download:
            page.click("#visualiser button[data-v=download]")
        png = Image.open(download.value.path())
        assert png.format == "PNG" and png.size == (1280, 960)

        from pypdf import PdfReader

        assert "PDF" in page.inner_text("#visualiser [data-v=pdf-note]")  # says the picture goes to the server for it
        assert uploads == []  # the photo never left the page
        with page.expect_download() as download:
            page.click("#visualiser button[data-v=pdf]")  # the customer asks: only now the picture is sent
        assert len(uploads) == 1 and "/api/quote.pdf?" in uploads[0]
        reader = PdfReader(download.value.path())
        assert "Ваша площадка с этой смесью" in "".join(p.extract_text() for p in reader.pages)
        assert max(image.image.size[0] for p in reader.pages for image in p.images) == 1280
    finally:
        context.close()
    assert not errors, errors


def test_the_brush_keeps_an_object_out_of_the_surface(browser, app, phone_photo) -> None:
    context, page, errors = open_panel(browser, app, 1366, "en")
    try:
        page.set_input_files("#visualiser input[data-v=file-input]", str(phone_photo))
        draws = wait_drawn(page)
        page.click("#visualiser button[data-v=brush]")
        assert page.get_attribute("#visualiser button[data-v=brush]", "aria-pressed") == "true"
        stage = page.locator("#visualiser [data-v=stage]").bounding_box()
        x, y = stage["x"] + stage["width"] * 0.5, stage["y"] + stage["height"] * 0.8  # inside the default area
        page.mouse.move(x - 40, y)
        page.mouse.down()
        page.mouse.move(x + 40, y, steps=8)
        page.mouse.up()
        wait_drawn(page, draws)
        photo = page.evaluate("() => { const p = window.tileVisualiser.view.photo; const i = 4 * (Math.round(0.8 * p.height) * p.width + Math.round(0.5 * p.width)); return Array.from(p.data.slice(i, i + 3)); }")
        shown = page.evaluate("() => { const c = document.querySelector('#visualiser canvas[data-v=canvas]'); return Array.from(c.getContext('2d').getImageData(Math.round(0.5 * c.width), Math.round(0.8 * c.height), 1, 1).data.slice(0, 3)); }")
        assert shown == photo  # the brushed spot keeps the photo
        page.click("#visualiser button[data-v=clear-mask]")
        wait_drawn(page, draws + 1)
        assert page.evaluate("() => window.tileVisualiser.view.layout.count") > 0
        assert "Done" in page.inner_text("#visualiser [data-v=status]")
    finally:
        context.close()
    assert not errors, errors


def test_a_file_the_browser_cannot_read_is_refused_in_the_pages_language(browser, app, tmp_path) -> None:
    fake = tmp_path / "IMG_0001.HEIC"
    fake.write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(256))
    context, page, errors = open_panel(browser, app, 390)
    try:
        page.set_input_files("#visualiser input[data-v=file-input]", str(fake))
        page.wait_for_selector("#visualiser[data-state=error]", state="attached")
        assert "HEIC" in page.inner_text("#visualiser [data-v=status]") and "JPEG" in page.inner_text("#visualiser [data-v=status]")
        page.click("button.language[data-language='en']")
        page.wait_for_function("() => document.querySelector('#visualiser [data-v=status]').innerText.includes('This browser cannot open HEIC')")
    finally:
        context.close()
    assert not errors, errors


def test_an_area_of_another_shape_takes_outline_points(browser, app, phone_photo) -> None:
    context, page, errors = open_panel(browser, app, 1366, "en")
    try:
        page.set_input_files("#visualiser input[data-v=file-input]", str(phone_photo))
        draws = wait_drawn(page)
        square = page.evaluate("() => window.tileVisualiser.view.layout.count")
        assert not page.is_visible("#visualiser button[data-v=reset-shape]")  # nothing to reset yet
        page.click("#visualiser button[data-v=add-point]")  # into the longest side: the near one
        draws = wait_drawn(page, draws)
        outline = page.evaluate("() => window.tileVisualiser.outline()")
        assert len(outline) == 5 and page.is_visible("#visualiser button[data-v=reset-shape]")
        corners = page.evaluate("() => window.tileVisualiser.state.corners")
        assert outline[0] == corners[0] and outline[2:] == corners[1:]  # the corners stay the shape's, the new point between 1 and 2
        point = page.locator("#visualiser .visualiser-point:not([hidden])")
        assert point.count() == 1
        point.focus()
        for _ in range(10):
            page.keyboard.press("Shift+ArrowUp")  # the near side's middle pulled in: a notch out of the area
        draws = wait_drawn(page, draws)
        notched = page.evaluate("() => window.tileVisualiser.view.layout.count")
        assert notched < square * 0.9
        page.evaluate("() => { const t = window.tileVisualiser; t.setCorners(t.state.corners, [...t.outline().slice(0, 4), [640, 5]]); }")
        page.wait_for_selector("#visualiser[data-state=problem]", state="attached")
        assert "above the area's horizon" in page.inner_text("#visualiser [data-v=status]")
        page.click("#visualiser button[data-v=reset-shape]")
        wait_drawn(page, draws)
        assert page.evaluate("() => window.tileVisualiser.view.layout.count") == square
        assert not page.is_visible("#visualiser button[data-v=reset-shape]") and not page.is_visible("#visualiser .visualiser-point")
    finally:
        context.close()
    assert not errors, errors


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_panel_with_a_photo_has_no_serious_accessibility_violation(browser, app, phone_photo, language) -> None:
    from tests.test_web_accessibility import violations

    context, page, errors = open_panel(browser, app, 390, language)
    try:
        page.set_input_files("#visualiser input[data-v=file-input]", str(phone_photo))
        wait_drawn(page)
        page.click("#visualiser button[data-v=add-point]")
        page.click("#visualiser button[data-v=brush]")
        assert violations(page) == []
    finally:
        context.close()
    assert not errors, errors
