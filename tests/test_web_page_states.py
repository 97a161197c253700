"""The page's states without a render server: the photoreal panel on contract B's answers (a stub of
GET/POST /api/renders and /api/health, as the order queue will answer), the estimate, the keyboard."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from PIL import Image

from tests.support.web_pages import DESKTOP, PHONE, OpenPage, share_numbers, web_app  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]
MIX = "seed=3&mix=50%25+red%2C+30%25+black%2C+20%25+pearl"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def order(status: str, **fields) -> dict:
    """A render order as contract B shapes it."""
    inputs = {"prompt": "50% red, 30% black, 20% pearl", "seed": 3, "grade": "standard", "framing": "full_frame", "view": "top", "width": 1024}
    return {"id": "stub1", "status": status, "queue_position": None, "progress": None, "error": None, "language": "ru",
            "inputs": inputs, "seed": 3, "image_url": None, "arrived_via": None, "events_url": None} | fields


class RenderStub:
    """POST /api/renders answers the first state; each GET /api/renders/stub1 the next (the last repeats)."""

    def __init__(self, page, states: list[dict], backend: str = "sdxl") -> None:
        self.states = list(states)
        self.gets = 0
        page.route("**/api/health", lambda route: route.fulfill(json={"status": "ok", "render_backend": backend, "render_server": True}))
        page.route("**/api/renders", lambda route: route.fulfill(status=202, json=self.states[0]))
        page.route("**/api/renders/stub1", self.answer)
        page.route("**/api/renders/stub1/image", lambda route: route.fulfill(body=png_bytes(), content_type="image/png"))

    def answer(self, route) -> None:
        self.gets += 1
        route.fulfill(json=self.states[min(self.gets, len(self.states) - 1)])


# A phone by default; tests that matter on both sizes say so with BOTH_SIZES.
BOTH_SIZES = pytest.mark.parametrize("tab", [PHONE, DESKTOP], ids=["phone", "desktop"], indirect=True)


@pytest.fixture
def tab(request, browser, web_app) -> Iterator[OpenPage]:  # noqa: F811
    opened = OpenPage(browser, web_app.url, getattr(request, "param", PHONE))
    yield opened
    opened.close()


@BOTH_SIZES
def test_a_waiting_order_shows_its_place_in_the_queue_and_nothing_empty(tab: OpenPage) -> None:
    page = tab.page
    RenderStub(page, [order("queued", queue_position=3), order("queued", queue_position=2), order("processing", progress={"done": 5, "total": 20}),
                      order("succeeded", image_url="/api/renders/stub1/image", arrived_via="webhook")])
    tab.open(MIX)
    page.click("#photoreal")
    page.wait_for_selector("#render-status[data-status=queued]")
    assert "место 3" in page.inner_text("#render-status")
    for hidden in ("#render-figure", "#render-image", "#render-download", "#render-progress", "#render-advice"):
        assert page.is_hidden(hidden), hidden  # `hidden` wins over every display rule
    assert page.is_disabled("#photoreal")
    page.wait_for_function("() => document.getElementById('render-status').innerText.includes('место 2')")
    page.wait_for_selector("#render-status[data-status=processing]")
    assert page.is_visible("#render-progress") and "шаг 5 из 20" in page.inner_text("#render-status")
    page.wait_for_selector("#render-status[data-status=succeeded]")
    page.wait_for_selector("#render-figure:not([hidden])")
    assert page.get_attribute("#render-download", "href") == "/api/renders/stub1/image"
    assert page.is_enabled("#photoreal")


@pytest.mark.parametrize(
    ("error", "language", "shows", "advice"),
    [
        ({"code": "render_server_unreachable", "message": "Сервер изображений не отвечает: попробуйте через минуту."}, "ru",
         "Сервер изображений не отвечает", "недоступен"),
        ({"code": "render_server_unreachable", "message": "the render server at http://127.0.0.1:5600 does not answer (ConnectError)"},
         "ru", "Сервер изображений не смог нарисовать плитку", "недоступен"),
        ({"code": "timed_out", "message": "The picture server did not finish in 15 minutes."}, "en",
         "The picture server did not finish in 15 minutes.", "in time"),
    ],
)
def test_a_failure_says_what_failed_and_what_to_do_in_the_pages_language(tab: OpenPage, error, language, shows, advice) -> None:
    page = tab.page
    RenderStub(page, [order("queued", queue_position=1), order("failed", error=error)])
    tab.open(f"{MIX}&lang={language}")
    page.click("#photoreal")
    page.wait_for_selector("#render-status[data-status=failed]")
    status = page.inner_text("#render-status")
    assert shows in status and "127.0.0.1" not in status and "ConnectError" not in status
    assert advice in page.inner_text("#render-advice")
    assert page.is_hidden("#render-figure") and page.is_hidden("#render-download")


def test_a_refused_order_shows_the_servers_refusal_not_a_dead_panel(tab: OpenPage) -> None:
    page = tab.page
    RenderStub(page, [order("queued")])
    page.route("**/api/renders", lambda route: route.fulfill(status=429, json={"error": {"code": "too_many_orders", "message": "Слишком много заказов: подождите, пока готовы прежние."}}))
    tab.open(MIX)
    page.click("#photoreal")
    page.wait_for_selector("#render-status[data-status=failed]")
    assert "Слишком много заказов" in page.inner_text("#render-status")
    assert "занят" in page.inner_text("#render-advice")


def test_a_preview_only_server_is_said_plainly(tab: OpenPage) -> None:
    page = tab.page
    RenderStub(page, [order("queued")], backend="preview")
    tab.open(MIX)
    page.wait_for_selector("#render-backend-note:not([hidden])")
    assert "только предпросмотр" in page.inner_text("#render-backend-note")
    page.click("button.language[data-language='en']")
    assert "only draws previews" in page.inner_text("#render-backend-note")


@BOTH_SIZES
def test_the_estimate_reads_a_decimal_comma_and_gives_what_to_order(tab: OpenPage) -> None:
    page = tab.open(MIX)
    page.fill("#area", "12,5")
    page.fill("#thickness", "20")
    page.wait_for_function("() => document.querySelector('#estimate-table tbody tr[data-color=red]')?.dataset.kg === '100'")
    assert [row.split("\t")[0] for row in page.inner_text("#thickness-table tbody").split("\n")] == ["10 мм", "15 мм", "20 мм", "25 мм"]
    assert page.get_attribute("#thickness-table tr[aria-current=true]", "data-thickness") == "20"
    assert page.get_attribute("#estimate-table tbody tr[data-color=red]", "data-bags") == "4"
    assert page.inner_text("#estimate-tiles") == "Плитка 500 × 500 мм: 50 шт."
    assert page.inner_text("#estimate-binder") == "Связующее: 36 кг — 2 ведра по 20 кг."
    link = page.input_value("#share-link")
    assert "area=12%2C5" in link and "thickness=20" in link
    page.fill("#area", "2500")
    page.fill("#thickness", "10")
    page.wait_for_function("() => document.getElementById('estimate-binder').dataset.barrels === '16'")
    assert page.inner_text("#estimate-binder") == "Связующее: 3\u00a0600 кг — 16 бочек по 215 кг и 8 вёдер по 20 кг."


def test_a_wrong_number_clears_the_figures_and_says_why_in_russian(tab: OpenPage) -> None:
    page = tab.open(MIX)
    page.wait_for_selector("#estimate-result:not([hidden])")
    page.fill("#area", "1000000")
    page.wait_for_selector("#estimate-error:not([hidden])")
    assert page.is_hidden("#estimate-result")
    assert page.inner_text("#estimate-error").startswith("Площадь должна быть больше 0 и не больше 100")
    assert page.get_attribute("#area", "aria-invalid") == "true"
    page.fill("#area", "10")
    page.wait_for_selector("#estimate-result:not([hidden])")
    assert page.is_hidden("#estimate-error") and page.get_attribute("#area", "aria-invalid") == "false"


def test_the_formula_note_follows_the_constants(tab: OpenPage) -> None:
    page = tab.open(MIX)
    page.wait_for_selector("#estimate-result:not([hidden])")
    assert "8 кг/м²" in page.inner_text("#estimate-formula") and "18%" in page.inner_text("#estimate-formula")
    page.click("details summary")
    page.fill("#crumb-rate", "7,5")
    page.fill("#binder-percent", "20")
    page.wait_for_function("() => document.getElementById('estimate-formula').innerText.startsWith('Расчёт: 7,5 кг/м²')")
    assert "связующее 20%" in page.inner_text("#estimate-formula")
    assert page.get_attribute("#estimate-table tbody tr[data-color=red]", "data-kg") == "37.5"


def test_space_and_enter_on_a_swatch_keep_the_focus_and_removing_moves_it_to_a_slider(tab: OpenPage) -> None:
    page = tab.open(MIX)
    page.focus("button.swatch[data-color='blue']")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelectorAll('#shares .share-row').length === 4")
    assert page.evaluate("() => document.activeElement.dataset.color") == "blue"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#shares .share-row').length === 3")
    assert page.evaluate("() => document.activeElement.dataset.color") == "blue"
    names = page.eval_on_selector_all("#shares .remove", "buttons => buttons.map(b => b.getAttribute('aria-label'))")
    assert names == ["Убрать цвет «красный»", "Убрать цвет «чёрный»", "Убрать цвет «жемчужный»"]
    page.focus("#shares .share-row[data-color='black'] .remove")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#shares .share-row').length === 2")
    assert page.evaluate("() => document.activeElement.classList.contains('share-slider')")
    assert sum(share_numbers(page)) == 100


@BOTH_SIZES
def test_every_control_is_reached_with_the_tab_key(tab: OpenPage) -> None:
    page = tab.open(MIX)
    page.click("details summary")
    wanted = set(page.eval_on_selector_all(
        "button:not([disabled]), select:not([disabled]), input, a.button, summary",
        "items => items.filter(e => e.getClientRects().length && !e.closest('[hidden]')).map((e, i) => e.id || e.dataset.color || e.className + i)",
    ))
    page.focus("body")
    reached = set()
    for _ in range(len(wanted) + 20):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("() => { const e = document.activeElement; const all = [...document.querySelectorAll('button:not([disabled]), select:not([disabled]), input, a.button, summary')].filter(x => x.getClientRects().length && !x.closest('[hidden]')); const i = all.indexOf(e); return e.id || e.dataset.color || e.className + i; }"))
    assert wanted <= reached, f"never reached by Tab: {sorted(wanted - reached)}"


def test_the_framing_is_disabled_in_the_installed_view(tab: OpenPage) -> None:
    page = tab.open(MIX)
    assert page.is_enabled("#framing") and page.is_hidden("#framing-note")
    page.select_option("#view", "installed")
    assert page.is_disabled("#framing") and page.is_visible("#framing-note")
    page.wait_for_selector("#preview[data-source=server][data-state=ready]")  # the server draws that view
    assert "уложенное покрытие" in page.get_attribute("#preview-image", "alt")


def test_the_pictures_say_what_they_show(tab: OpenPage) -> None:
    page = tab.open(f"{MIX}&lang=en")
    assert page.get_attribute("#preview-canvas", "aria-label") == "tile: 50% red, 30% black, 20% pearl, standard grade"
    assert page.get_attribute("#preview-canvas", "role") == "img"
    page.click("button.language[data-language='ru']")
    assert page.get_attribute("#preview-canvas", "aria-label") == "плитка: 50% красный, 30% чёрный, 20% жемчужный, фракция стандартная"
    assert page.title() == "Конфигуратор резиновой плитки"
    assert json.loads(page.evaluate("() => JSON.stringify(document.documentElement.lang)")) == "ru"
