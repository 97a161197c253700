"""A customer dragging a share slider on a phone, measured in Chromium: prints the numbers for the notes.

    .venv/bin/python scripts/bench/web_drag.py                    # 390 x 844, a 2 s drag, 3 runs
    .venv/bin/python scripts/bench/web_drag.py --seconds 2 --runs 5 --width 1366 --height 850
    .venv/bin/python scripts/bench/web_drag.py --url http://127.0.0.1:8000   # a configurator already running

Starts the configurator (`python -m rubber_tile.web`, one preview worker) on 127.0.0.1 unless --url is
given, opens the page in Debian's Chromium, waits for the layout, then drags the first slider with the
slider for --seconds (an input every 16 ms, as a finger on a 60 Hz screen; --drag mouse: Playwright's
mouse, whose moves are slower, each a round trip to the driver) and reads the page's own counts
(window.tilePreview): redraws during the drag, and for each input the time from the input to its
picture on the canvas, and the requests the page sent meanwhile. The server's CPU time (all its processes) is read from /proc before and after
the drag and divided by the slider moves. Targets: >= 30 redraws in 2 s, median input-to-picture <=
50 ms. Exit status 1 when one is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rubber_tile_dev.web_process import WebAppProcess

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright's own browser download cannot run here
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

REDRAW_TARGET_PER_2S = 30
LATENCY_TARGET_MS = 50.0
MOVE_INTERVAL_MS = 16


def process_tree_cpu_seconds(root_pid: int) -> float:
    """user + system CPU seconds of `root_pid` and every process in its session (the preview workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    session = os.getsid(root_pid)
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # field 6 of stat, the session id
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def drag_with_the_mouse(page, seconds: float) -> int:
    """Drag the first slider with the mouse from 10% to 90% of its width and back; the number of moves.
    Each move is a round trip to the browser driver, so this drag sends fewer moves than a finger."""
    slider = page.locator("#shares .share-slider").first
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.1, y)
    page.mouse.down()
    start, moves = time.monotonic(), 0
    while (elapsed := time.monotonic() - start) < seconds:
        phase = (elapsed / seconds) * 2.0
        share = phase if phase <= 1.0 else 2.0 - phase
        page.mouse.move(box["x"] + box["width"] * (0.1 + 0.8 * share), y)
        moves += 1
        page.wait_for_timeout(MOVE_INTERVAL_MS)
    page.mouse.up()
    return moves


# A finger on a 60 Hz phone: the slider's value changes and an `input` event fires every 16 ms, in the page.
FINGER_JS = """([seconds, interval]) => new Promise((done) => {
  const slider = document.querySelector('#shares .share-slider');
  const start = performance.now();
  let moves = 0;
  const timer = setInterval(() => {
    const phase = 2 * (performance.now() - start) / (seconds * 1000);
    if (phase >= 2) { clearInterval(timer); done(moves); return; }
    const share = phase <= 1 ? phase : 2 - phase;
    slider.value = String(Math.round(5 + 85 * share));
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    moves += 1;
  }, interval);
})"""


def drag(page, seconds: float, how: str) -> int:
    if how == "mouse":
        return drag_with_the_mouse(page, seconds)
    return page.evaluate(FINGER_JS, [seconds, MOVE_INTERVAL_MS])


def measure(url: str, width: int, height: int, seconds: float, server_pid: int | None, how: str) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(f"{url}/?seed=3&mix=50%25+red%2C+30%25+black%2C+20%25+pearl")
        page.wait_for_selector("#preview[data-state=ready][data-source=browser]", timeout=60_000)
        page.evaluate("() => { window.tilePreview.latencies.length = 0; window.tilePreview.drawMs.length = 0; }")
        draws_before = page.evaluate("() => window.tilePreview.draws")
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        cpu_before = process_tree_cpu_seconds(server_pid) if server_pid else 0.0
        moves = drag(page, seconds, how)
        page.wait_for_timeout(300)
        cpu_after = process_tree_cpu_seconds(server_pid) if server_pid else 0.0
        stats = page.evaluate("() => ({draws: window.tilePreview.draws, latencies: [...window.tilePreview.latencies], drawMs: [...window.tilePreview.drawMs]})")
        browser.close()
    return {
        "moves": moves,
        "redraws": stats["draws"] - draws_before,
        "latency_median_ms": statistics.median(stats["latencies"]),
        "latency_p95_ms": sorted(stats["latencies"])[int(0.95 * (len(stats["latencies"]) - 1))],
        "draw_median_ms": statistics.median(stats["drawMs"]),
        "requests": len(requests),
        "server_cpu_ms_per_move": 1000.0 * (cpu_after - cpu_before) / max(moves, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a configurator already running (its server CPU is then not measured)")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--width", type=int, default=390)
    parser.add_argument("--height", type=int, default=844)
    parser.add_argument("--drag", choices=("finger", "mouse"), default="finger",
                        help="finger: an input every 16 ms in the page (the target); mouse: Playwright's mouse, "
                        "limited by the driver's round trips")
    args = parser.parse_args()
    if not CHROMIUM.is_file():
        print(f"cannot measure: no Chromium at {CHROMIUM} (apt-get install chromium)", file=sys.stderr)
        return 2
    if args.url:
        results = [measure(args.url, args.width, args.height, args.seconds, None, args.drag) for _ in range(args.runs)]
    else:
        log = Path(tempfile.mkdtemp()) / "web.log"
        with WebAppProcess(log, {"WEB_RENDER_WORKERS": "1"}) as app:
            app.wait_until_ready()
            results = [measure(app.url, args.width, args.height, args.seconds, app.process.pid, args.drag) for _ in range(args.runs)]
    print(f"{args.width}x{args.height}, {args.seconds:g} s drag ({args.drag}), {args.runs} runs:")
    for number, result in enumerate(results, 1):
        print(f"  run {number}: " + ", ".join(f"{key} {value:.1f}" for key, value in result.items()))
    redraws = statistics.median(r["redraws"] * 2.0 / args.seconds for r in results)
    latency = statistics.median(r["latency_median_ms"] for r in results)
    cpu = statistics.median(r["server_cpu_ms_per_move"] for r in results)
    print(f"median: {redraws:.0f} redraws per 2 s (target >= {REDRAW_TARGET_PER_2S}), "
          f"input to picture {latency:.1f} ms (target <= {LATENCY_TARGET_MS:g}), server CPU {cpu:.2f} ms per move")
    return 0 if redraws >= REDRAW_TARGET_PER_2S and latency <= LATENCY_TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
