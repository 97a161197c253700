"""What the configurator's browser tests share: one Chromium and one configurator process per test module,
pages opened at a phone's or a desktop's size, and the checks of where the page's controls lie.

Import the configurator into a test module: `from tests.support.web_pages import web_app  # noqa: F401`; `browser`
is tests/conftest.py's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rubber_tile_dev.web_process import WebAppProcess

TIMEOUT_MS = 30_000
PHONE = (390, 844)
DESKTOP = (1366, 850)
# A Cog server that is not there: pages that never order a photoreal picture need none.
NO_RENDER_SERVER = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def web_app(browser, tmp_path_factory) -> Iterator[WebAppProcess]:
    """The configurator with one preview worker and no render server."""
    env = {"COG_URL": NO_RENDER_SERVER, "WEB_RENDER_WORKERS": "1"}
    with WebAppProcess(tmp_path_factory.mktemp("web") / "app.log", env) as process:
        process.wait_until_ready()
        yield process


class OpenPage:
    """A page in a context of its own; script errors on it fail the test that closes it."""

    def __init__(self, browser, url: str, size: tuple[int, int]) -> None:
        self.context = browser.new_context(viewport={"width": size[0], "height": size[1]}, accept_downloads=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.url = url

    def open(self, query: str = "seed=3", ready: str = "#preview[data-state=ready]"):
        self.page.goto(f"{self.url}/?{query}")
        self.page.wait_for_selector("body[data-ready=true]")
        if ready:
            self.page.wait_for_selector(ready)
        return self.page

    def close(self) -> None:
        self.context.close()
        assert not self.errors, f"script errors on the page: {self.errors}"


def wait_for_mix(page, expected: str) -> None:
    """The picture shows this mix (the canonical text: `50% red, 50% white`)."""
    page.wait_for_function(
        "(mix) => { const f = document.getElementById('preview'); return f.dataset.mix === mix && f.dataset.state === 'ready'; }",
        arg=expected,
    )


def share_numbers(page) -> list[int]:
    return [int(v) for v in page.eval_on_selector_all("#shares .share-number", "inputs => inputs.map(i => i.value)")]


# Every visible control (and every labelled text a control needs): its box, whether its text is cut, and
# the boxes of others it overlaps. A select's chosen text is measured with its own font.
CONTROL_GEOMETRY_JS = """() => {
  const visible = (e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && !e.closest('[hidden]'); };
  const controls = [...document.querySelectorAll('button, select, input, a.button, summary')].filter(visible);
  const canvas = document.createElement('canvas').getContext('2d');
  const name = (e) => e.id || e.dataset.color || e.className || e.tagName;
  const report = controls.map((e) => {
    const r = e.getBoundingClientRect();
    let cut = false;
    if (e.tagName === 'SELECT') {
      const s = getComputedStyle(e);
      canvas.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
      const text = e.options[e.selectedIndex]?.text || '';
      const room = e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight) - 20;
      cut = canvas.measureText(text).width > room;
    } else if (e.tagName === 'BUTTON' || e.tagName === 'A') {
      cut = e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1;
    }
    return { name: name(e), left: r.left + scrollX, right: r.right + scrollX, top: r.top + scrollY, bottom: r.bottom + scrollY, cut };
  });
  const overlaps = [];
  for (let i = 0; i < report.length; i += 1) for (let j = i + 1; j < report.length; j += 1) {
    const a = report[i], b = report[j];
    const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (x > 1 && y > 1) overlaps.push(`${a.name} / ${b.name}`);
  }
  return { width: document.documentElement.clientWidth, scrollWidth: document.documentElement.scrollWidth,
           outside: report.filter((c) => c.left < -1 || c.right > document.documentElement.clientWidth + 1).map((c) => c.name),
           cut: report.filter((c) => c.cut).map((c) => c.name), overlaps, count: report.length };
}"""
