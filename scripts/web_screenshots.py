"""The screenshots in docs/web.md: the configurator on a phone (390 x 844) in each state, one desktop view,
and the PDF's first page in both languages.

    .venv/bin/python scripts/web_screenshots.py --out docs/images

Starts the configurator on 127.0.0.1 with example prices (MATERIAL_PRICES) and no render server. The
photoreal states are shown with contract B's answers played by the browser (the order queue is the
server's side, issue 20): an order waiting in the queue, one done (the picture is the preview at 1024 px,
labelled as the page labels it) and one failed. Every picture is the procedural preview; no photo.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.request import urlopen

from PIL import Image

from rubber_tile_dev.web_process import WebAppProcess

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 850}
PRICES = "red=320, black=250, pearl=410, terracotta=330, sand=300, *=300, binder=450"
TILE = "seed=42&mix=45%25+terracotta%2C+35%25+sand%2C+20%25+black"
MIX = f"{TILE}&area=12%2C5&thickness=20"


def order(status: str, **fields) -> dict:
    return {"id": "shot", "status": status, "queue_position": None, "progress": None, "error": None, "language": "ru",
            "inputs": {}, "seed": 42, "image_url": None, "arrived_via": None, "events_url": None} | fields


def save(page, path: Path, full: bool = False) -> None:
    shot = Image.open(io.BytesIO(page.screenshot(full_page=full))).convert("RGB")
    shot.save(path, "JPEG", quality=84, optimize=True)
    print(f"wrote {path} ({path.stat().st_size // 1024} kB)")


def render_states(page, picture: bytes, states: list[dict], backend: str = "sdxl") -> None:
    """The page's order answered by `states`: POST the first, each poll the next (the last repeats)."""
    answered = {"gets": 0}

    def poll(route) -> None:
        answered["gets"] += 1
        route.fulfill(json=states[min(answered["gets"], len(states) - 1)])

    page.route("**/api/health", lambda route: route.fulfill(json={"status": "ok", "render_backend": backend}))
    page.route("**/api/renders", lambda route: route.fulfill(status=202, json=states[0]))
    page.route("**/api/renders/shot", poll)
    page.route("**/api/renders/shot/image", lambda route: route.fulfill(body=picture, content_type="image/png"))


def phone_states(browser, url: str, out: Path, picture: bytes) -> None:  # long: one screenshot per state, in order
    def fresh(query: str = MIX, states: list[dict] | None = None, backend: str = "sdxl"):
        page = browser.new_page(viewport=PHONE)
        if states:
            render_states(page, picture, states, backend)
        page.goto(f"{url}/?{query}")
        page.wait_for_selector("#preview[data-state=ready]")
        page.wait_for_selector("#estimate-result:not([hidden])")
        return page

    page = fresh()
    save(page, out / "phone_1_start.jpg")
    page.evaluate("() => window.scrollTo(0, document.querySelector('#shares .share-row:nth-child(3)').getBoundingClientRect().top + scrollY - 470)")
    page.locator("#shares .share-slider").nth(2).focus()
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(300)
    save(page, out / "phone_2_shares.jpg")
    page.eval_on_selector("#colors-heading", "e => e.scrollIntoView()")
    page.evaluate("() => window.scrollBy(0, -420)")
    save(page, out / "phone_3_swatches.jpg")
    page.fill("#typed-mix", "50% red 50% красный")
    page.wait_for_selector("#mix-error:not([hidden])")
    page.eval_on_selector("#typed-mix", "e => e.scrollIntoView()")
    page.evaluate("() => window.scrollBy(0, -380)")
    save(page, out / "phone_4_typed_error.jpg")
    page.fill("#typed-mix", "33% красный 33% чёрный 33% белый")
    page.wait_for_selector("#mix-note:not([hidden])")
    save(page, out / "phone_5_typed_scaled.jpg")
    page.close()

    page = fresh()
    page.eval_on_selector("#estimate-heading", "e => e.scrollIntoView()")
    save(page, out / "phone_6_estimate.jpg")
    page.fill("#area", "12,5,3")
    page.wait_for_selector("#estimate-error:not([hidden])")
    save(page, out / "phone_7_estimate_error.jpg")
    page.close()

    done = order("succeeded", image_url="/api/renders/shot/image", arrived_via="webhook")
    for name, states in (
        ("phone_8_render_queued.jpg", [order("queued", queue_position=3)]),
        ("phone_9_render_done.jpg", [order("queued", queue_position=1), done]),
        ("phone_10_render_failed.jpg", [order("queued", queue_position=1), order("failed", error={
            "code": "render_server_unreachable", "message": "the render server at http://127.0.0.1:5600 does not answer"})]),
    ):
        page = fresh(states=states)
        page.click("#photoreal")
        page.wait_for_selector(f"#render-status[data-status={states[-1]['status']}]", timeout=15_000)
        if name == "phone_9_render_done.jpg":
            page.wait_for_function("() => document.getElementById('render-image').naturalWidth > 0")
            page.click("button.swatch[data-color='white']")  # the mix changes: the picture is marked
            page.wait_for_selector("#render-stale:not([hidden])")
        page.eval_on_selector("#render-heading", "e => e.scrollIntoView()")
        save(page, out / name)
        page.close()
    page = fresh(query=f"{MIX}&lang=en", states=[order("queued")], backend="preview")
    page.eval_on_selector("#render-heading", "e => e.scrollIntoView()")
    save(page, out / "phone_11_preview_only_en.jpg")
    page.close()


def pdf_pages(url: str, out: Path) -> None:
    for language in ("ru", "en"):
        data = urlopen(f"{url}/api/quote.pdf?{MIX}&lang={language}").read()
        with tempfile.TemporaryDirectory() as folder:
            pdf = Path(folder) / "quote.pdf"
            pdf.write_bytes(data)
            subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", str(pdf), f"{folder}/page"], check=True)
            page = next(Path(folder).glob("page*.png"))
            Image.open(page).convert("RGB").save(out / f"pdf_{language}.jpg", "JPEG", quality=85, optimize=True)
        print(f"wrote {out / f'pdf_{language}.jpg'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    log = Path(tempfile.mkdtemp()) / "web.log"
    env = {"COG_URL": "http://127.0.0.1:9", "WEB_RENDER_WORKERS": "1", "MATERIAL_PRICES": PRICES}
    with WebAppProcess(log, env) as app, sync_playwright() as playwright:
        app.wait_until_ready()
        picture = urlopen(f"{app.url}/api/preview?{TILE}&size=1024&format=png").read()
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        phone_states(browser, app.url, args.out, picture)
        page = browser.new_page(viewport=DESKTOP)
        page.goto(f"{app.url}/?{MIX}")
        page.wait_for_selector("#preview[data-state=ready]")
        save(page, args.out / "desktop_ru.jpg")
        browser.close()
        pdf_pages(app.url, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
