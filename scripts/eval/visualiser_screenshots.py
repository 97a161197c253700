"""Screenshots of the visualiser panel for docs/web.md: a phone (390 px) and a desktop (1366 px), in
Russian and English, with a courtyard photo laid with the default mix.

    .venv/bin/python scripts/eval/visualiser_screenshots.py --out docs/images

Starts the configurator on 127.0.0.1 and Debian's Chromium; the photo is a ray-cast courtyard
(rubber_tile_dev/synthetic), stored as a phone stores it (EXIF orientation 6), so no one's photo is
in the docs. Writes visualiser_<width>_<language>.jpg (the panel only).
"""

from __future__ import annotations

import argparse
import io
import tempfile
from pathlib import Path
from urllib.parse import quote

from PIL import Image

from rubber_tile_dev.synthetic.courtyard import render
from rubber_tile_dev.synthetic.courtyard_scenes import courtyard_for_tests
from rubber_tile_dev.visualiser_harness import phone_jpeg
from rubber_tile_dev.web_process import WebAppProcess

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MIX = "50% red, 30% black, 20% pearl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, WebAppProcess(Path(folder) / "app.log", {"WEB_RENDER_WORKERS": "1"}) as app:
        photo = Path(folder) / "yard.jpg"
        scene = courtyard_for_tests(640, 480, seed=1)
        photo.write_bytes(phone_jpeg(render(scene)["photo"], (1600, 1200), orientation=6))
        corners = [[round(x * 2), round(y * 2)] for x, y in scene.corners_px()]  # 640 -> the panel's 1280 px
        app.wait_until_ready()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for width in (390, 1366):
                for language in ("ru", "en"):
                    page = browser.new_page(viewport={"width": width, "height": 900})
                    page.goto(f"{app.url}/?seed=3&lang={language}&mix={quote(MIX)}")
                    page.wait_for_selector("body[data-ready=true]")
                    page.set_input_files("#visualiser input[data-v=file-input]", str(photo))
                    page.wait_for_selector("#visualiser[data-state=ready]", state="attached", timeout=60_000)
                    page.evaluate("(corners) => window.tileVisualiser.setCorners(corners)", corners)
                    page.fill("#visualiser input[data-v=width]", "3,2")
                    page.fill("#visualiser input[data-v=depth]", "2,6")
                    page.wait_for_timeout(1500)
                    page.wait_for_selector("#visualiser[data-state=ready]", state="attached", timeout=60_000)
                    shot = Image.open(io.BytesIO(page.locator("#visualiser").screenshot())).convert("RGB")
                    path = args.out / f"visualiser_{width}_{language}.jpg"
                    shot.save(path, "JPEG", quality=85)
                    print(path)
                    page.close()
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
