"""Where the page's parts lie, in Chromium from a 320 px phone to a 1920 px desktop: the picture stays on
screen on a phone while the shares change, sliders use the full width, swatches are grouped by hue and
ordered in the page's language, the desktop is side by side, and no control is cut off or overlaps."""

from __future__ import annotations

import pytest

from tests.support.web_pages import CONTROL_GEOMETRY_JS, DESKTOP, PHONE, OpenPage, web_app  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]
FOUR_COLORS = "seed=3&mix=40%25+red%2C+30%25+dark+green%2C+20%25+pearl%2C+10%25+white-green&area=12%2C5&thickness=20"


@pytest.fixture
def opened(browser, web_app):  # noqa: F811
    pages: list[OpenPage] = []

    def open_at(size: tuple[int, int], query: str = FOUR_COLORS):
        page = OpenPage(browser, web_app.url, size)
        pages.append(page)
        return page.open(query)

    yield open_at
    for page in pages:
        page.close()


@pytest.mark.parametrize(
    ("width", "language"),
    [(320, "ru"), (360, "ru"), (390, "ru"), (390, "en"), (412, "ru"), (768, "ru"), (1024, "ru"), (1366, "ru"),
     (1366, "en"), (1920, "ru")],
)
def test_no_control_is_cut_off_or_overlapping(opened, width: int, language: str) -> None:
    page = opened((width, 900), f"{FOUR_COLORS}&lang={language}&view=installed")
    page.click("details summary")  # the estimate's own rates, open
    page.wait_for_selector("#estimate-result:not([hidden])")
    geometry = page.evaluate(CONTROL_GEOMETRY_JS)
    assert geometry["count"] > 50
    assert geometry["scrollWidth"] <= geometry["width"], "the page scrolls sideways"
    assert not geometry["outside"], f"controls outside the screen: {geometry['outside']}"
    assert not geometry["cut"], f"controls whose text is cut: {geometry['cut']}"
    assert not geometry["overlaps"], f"controls over each other: {geometry['overlaps']}"


def picture_and_slider(page, index: int) -> tuple[dict, dict, bool]:
    """The picture's and a slider's boxes on screen, and whether the slider is what a finger there touches."""
    return page.evaluate(
        """(index) => {
          const picture = document.getElementById('preview-canvas').getBoundingClientRect();
          const slider = document.querySelectorAll('#shares .share-slider')[index];
          const box = slider.getBoundingClientRect();
          const touched = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2) === slider;
          return [picture.toJSON(), box.toJSON(), touched];
        }""",
        index,
    )


def test_on_a_phone_the_picture_stays_on_screen_while_every_share_changes(opened) -> None:
    page = opened(PHONE)
    draws = page.evaluate("() => window.tilePreview.draws")
    for index in range(4):
        slider = page.locator("#shares .share-slider").nth(index)
        # Scroll the row just below the picture, as a customer scrolls down to it.
        page.evaluate(
            """(index) => { const row = document.querySelectorAll('#shares .share-row')[index];
              const picture = document.getElementById('preview').getBoundingClientRect();
              window.scrollBy(0, row.getBoundingClientRect().top - picture.height - 10); }""",
            index,
        )
        slider.focus()
        page.keyboard.press("ArrowLeft")
        picture, box, touched = picture_and_slider(page, index)
        assert picture["top"] >= 0 and picture["bottom"] <= PHONE[1], f"the picture left the screen at row {index}"
        assert picture["height"] >= 0.3 * PHONE[1]
        assert box["top"] >= picture["bottom"] and box["bottom"] <= PHONE[1] and touched
    page.wait_for_function("(before) => window.tilePreview.draws >= before + 4", arg=draws)


def test_sliders_use_the_full_width_on_a_phone(opened) -> None:
    page = opened(PHONE)
    widths = page.eval_on_selector_all(
        "#shares .share-slider", "sliders => sliders.map(s => [s.getBoundingClientRect().width, s.closest('.controls').clientWidth])"
    )
    assert len(widths) == 4
    for slider, panel in widths:
        assert slider >= 0.85 * (panel - 32), (slider, panel)  # the panel's padding aside


@pytest.mark.parametrize("language", ["ru", "en"])
def test_swatches_are_grouped_by_hue_and_named_in_the_pages_language_order(opened, language: str) -> None:
    page = opened(PHONE, f"seed=3&lang={language}")
    groups = page.eval_on_selector_all(
        ".swatch-group", "groups => groups.map(g => [...g.querySelectorAll('.swatch-name')].map(n => n.textContent))"
    )
    assert len(groups) == 7 and sum(len(g) for g in groups) == 29
    locale = {"ru": "ru-RU", "en": "en-GB"}[language]
    for names in groups:
        ordered = page.evaluate("([names, locale]) => [...names].sort(new Intl.Collator(locale).compare)", [names, locale])
        assert names == ordered
    reds = groups[2]
    assert ("красный" in reds) if language == "ru" else ("red" in reds)
    all_names = [name for group in groups for name in group]
    assert all(any("\u0400" <= ch <= "\u04ff" for ch in name) == (language == "ru") for name in all_names)
    boxes = page.eval_on_selector_all(".swatch", "swatches => swatches.map(s => s.getBoundingClientRect().toJSON())")
    rows = {round(box["top"]) for box in boxes}
    assert len(rows) <= 17 and max(box["height"] for box in boxes) <= 40, f"{len(rows)} rows of swatches"
    height = page.eval_on_selector("#swatches", "box => box.getBoundingClientRect().height")
    assert height <= 640, f"the swatches take {height:.0f} px on a phone"


def test_the_desktop_keeps_the_picture_beside_the_controls(opened) -> None:
    page = opened(DESKTOP)
    picture = page.eval_on_selector("#preview-canvas", "c => c.getBoundingClientRect().toJSON()")
    controls = page.eval_on_selector(".controls", "c => c.getBoundingClientRect().toJSON()")
    assert picture["right"] < controls["left"] and abs(picture["top"] - controls["top"]) < 40
    assert picture["width"] >= 400
    page.eval_on_selector("#seed", "e => e.scrollIntoView({block: 'end'})")  # the last control, at the bottom
    assert page.evaluate("() => scrollY") > 100
    picture = page.eval_on_selector("#preview-canvas", "c => c.getBoundingClientRect().toJSON()")
    seed = page.eval_on_selector("#seed", "c => c.getBoundingClientRect().toJSON()")
    assert picture["top"] >= 0 and picture["bottom"] <= DESKTOP[1] and seed["bottom"] <= DESKTOP[1]
