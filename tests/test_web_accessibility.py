"""axe-core (axe-playwright-python, which carries axe's script: no network) on every state of the page, in
both languages, on a phone and a desktop: no serious or critical violation."""

from __future__ import annotations

import pytest

from tests.support.web_pages import DESKTOP, PHONE, OpenPage, web_app  # noqa: F401
from tests.test_web_page_states import RenderStub, order

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]
BLOCKING = ("serious", "critical")


def violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = results.response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:4]}" for v in found if v["impact"] in BLOCKING
    ]


def states(page, tab: OpenPage, language: str):
    """Each state of the page in turn: its name, once the page shows it."""
    RenderStub(page, [order("queued", queue_position=2), order("processing", progress={"done": 3, "total": 20}),
                      order("succeeded", image_url="/api/renders/stub1/image")])
    tab.open(f"seed=3&mix=50%25+red%2C+30%25+black%2C+20%25+pearl&lang={language}")
    page.wait_for_selector("#estimate-result:not([hidden])")
    yield "initial, estimate shown"
    page.fill("#typed-mix", "40% terracotta, 35% sand, 25% black")
    page.wait_for_function("() => document.getElementById('preview').dataset.mix === '40% terracotta, 35% sand, 25% black'")
    yield "mix typed"
    page.fill("#typed-mix", "50% perl, 50% red 50% красный")
    page.wait_for_selector("#mix-error:not([hidden])")
    yield "mix error shown"
    page.fill("#area", "abc")
    page.wait_for_selector("#estimate-error:not([hidden])")
    yield "estimate error shown"
    page.click("#photoreal")
    page.wait_for_selector("#render-status[data-status=queued]")
    yield "render waiting"
    page.wait_for_selector("#render-figure:not([hidden])", timeout=15_000)
    yield "render done"
    page.unroute("**/api/renders")
    page.route("**/api/renders", lambda route: route.fulfill(status=202, json=order("failed", error={"code": "prediction_failed", "message": "x"})))
    page.click("#photoreal")
    page.wait_for_selector("#render-status[data-status=failed]")
    yield "render failed"
    page.select_option("#view", "installed")
    page.wait_for_selector("#preview[data-source=server][data-state=ready]")
    yield "installed view"


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("language", ["ru", "en"])
def test_no_serious_or_critical_violation_in_any_state(browser, web_app, language: str, size) -> None:  # noqa: F811
    tab = OpenPage(browser, web_app.url, size)
    page = tab.page
    found = {}
    try:
        for state in states(page, tab, language):
            problems = violations(page)
            if problems:
                found[state] = problems
    finally:
        tab.close()
    assert not found, found
