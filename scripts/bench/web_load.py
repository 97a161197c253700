"""Load on the configurator's live preview, loopback only: prints the numbers for the notes.

    .venv/bin/python scripts/bench/web_load.py                        # 20 clients, 1,000 previews at 512 px
    .venv/bin/python scripts/bench/web_load.py --clients 20 --requests 1000 --workers 2
    .venv/bin/python scripts/bench/web_load.py --think-ms 1000        # customers who look before moving again
    .venv/bin/python scripts/bench/web_load.py --sliders              # each customer keeps his layout (seed)
    .venv/bin/python scripts/bench/web_load.py --layouts              # a new seed's layout for the page to colour
    .venv/bin/python scripts/bench/web_load.py --url http://127.0.0.1:8000   # a configurator already running

Starts the configurator (`python -m rubber_tile.web`) on 127.0.0.1 unless --url is given. Each client
is one customer moving sliders: a keep-alive connection sending GET /api/preview, each request a mix
(1-4 colours in whole parts) and seed of its own, so no two requests draw the same picture; back to
back by default (the worst case), or with --think-ms (0.5-1.5 times it, at random) between them.
With --sliders each customer keeps one seed (his granule layout) and only the mix changes, as when
he moves the sliders: the renderer then redraws colours on a layout it keeps. (The page itself no
longer asks for a preview on a slider move: it colours the seed's layout in the browser; --layouts
loads GET /api/preview/layout with a new seed each request, which is what a new seed, grade or
framing costs the server now; scripts/bench/web_drag.py measures the drag in the browser.) A round trip is from sending the request to the last byte of the image. Then bad input
(malformed JSON, a body over 64 kB, an unknown field, a bad mix) is sent and every answer must be 4xx.
Targets: p50 <= 150 ms, p95 <= 400 ms, 0 server errors. Exit status 1 when one is missed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from rubber_tile.colors.vocabulary import COLOR_NAMES
from rubber_tile_dev.web_process import WebAppProcess

P50_TARGET_MS = 150.0
P95_TARGET_MS = 400.0
REQUEST_TIMEOUT_S = 30.0
BAD_INPUTS = (
    ("POST", "/api/mix", b'{"text": "50% red', "malformed JSON"),
    ("POST", "/api/mix", json.dumps({"text": "x" * 70_000}).encode(), "body over 64 kB"),
    ("POST", "/api/estimate", json.dumps({"mix": "100% red", "area_m2": 1, "thickness_mm": 10, "extra": 1}).encode(), "unknown field"),
    ("POST", "/api/renders", json.dumps({"mix": "50% perl, 50% white", "seed": 1}).encode(), "bad mix"),
    ("GET", "/api/preview?mix=100%25+red&seed=1&size=100", None, "size below 512"),
)


@dataclass
class ClientResult:
    seconds: list[float] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    other_failures: list[str] = field(default_factory=list)


def random_mix(rng: random.Random) -> str:
    """1-4 colours, whole parts summing to 100, each at least 1."""
    colors = rng.sample(COLOR_NAMES, rng.randint(1, 4))
    cuts = sorted(rng.sample(range(1, 100), len(colors) - 1))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    return ", ".join(f"{part}% {name}" for part, name in zip(parts, colors, strict=True))


def preview_paths(count: int, size: int, seed: int, layout_seeds: list[int] | None = None, layouts: bool = False) -> list[str]:
    """`count` distinct preview paths; with `layout_seeds`, path i keeps layout_seeds[i % len] (a customer's);
    with `layouts`, layout documents of distinct seeds."""
    rng = random.Random(seed)
    if layouts:
        return [f"/api/preview/layout?seed={layout}&size={size}" for layout in rng.sample(range(2**31), count)]
    paths, seen = [], set()
    while len(paths) < count:
        layout = layout_seeds[len(paths) % len(layout_seeds)] if layout_seeds else rng.randrange(2**31)
        query = {"mix": random_mix(rng), "seed": layout, "size": size, "language": "en"}
        key = (query["mix"], query["seed"])
        if key not in seen:
            seen.add(key)
            paths.append("/api/preview?" + urlencode(query))
    return paths


def run_client(host: str, port: int, paths: list[str], result: ClientResult, think_s: float, seed: int) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_S)
    try:
        for path in paths:
            if think_s:
                time.sleep(think_s * rng.uniform(0.5, 1.5))
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                reply = connection.getresponse()
                body = reply.read()
            except (OSError, http.client.HTTPException) as error:
                result.other_failures.append(f"{type(error).__name__}: {error}")
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_S)
                continue
            result.seconds.append(time.perf_counter() - started)
            if reply.status >= 500:
                result.server_errors.append(f"HTTP {reply.status}: {body[:200]!r}")
            elif reply.status != 200 or not body.startswith(b"\x1f\x8b" if "/layout" in path else b"\xff\xd8"):
                result.other_failures.append(f"HTTP {reply.status} {reply.getheader('content-type')}: {body[:200]!r}")
    finally:
        connection.close()


def run_load(
    host: str, port: int, clients: int, requests: int, size: int, think_s: float, sliders: bool = False,
    layouts: bool = False,
) -> tuple[list[ClientResult], float]:
    layout_seeds = [random.Random(client).randrange(2**31) for client in range(clients)] if sliders else None
    paths = preview_paths(requests, size, seed=13, layout_seeds=layout_seeds, layouts=layouts)
    shares = [paths[index::clients] for index in range(clients)]
    results = [ClientResult() for _ in range(clients)]
    threads = [threading.Thread(target=run_client, args=(host, port, share, result, think_s, index))
               for index, (share, result) in enumerate(zip(shares, results, strict=True))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


def check_bad_inputs(host: str, port: int) -> list[str]:
    """Each bad request once; what did not come back as 4xx with a message."""
    problems = []
    for method, path, body, what in BAD_INPUTS:
        connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_S)
        try:
            connection.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
            reply = connection.getresponse()
            answer = reply.read()
        finally:
            connection.close()
        message = json.loads(answer).get("error", {}).get("message", "") if answer.startswith(b"{") else ""
        verdict = "ok" if 400 <= reply.status < 500 and message else "WRONG"
        print(f"  {what:16s} -> {reply.status} {verdict}: {message[:90]}")
        if verdict != "ok":
            problems.append(f"{what}: HTTP {reply.status}")
    return problems


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report(results: list[ClientResult], seconds: float, clients: int) -> list[str]:
    times_ms = [1000 * s for r in results for s in r.seconds]
    server_errors = [e for r in results for e in r.server_errors]
    failures = [e for r in results for e in r.other_failures]
    p50, p95 = statistics.median(times_ms), percentile(times_ms, 0.95)
    print(f"  {len(times_ms)} previews by {clients} clients in {seconds:.1f} s ({len(times_ms) / seconds:.1f} per s)")
    print(f"  round trip ms: p50 {p50:.0f}, p95 {p95:.0f}, p99 {percentile(times_ms, 0.99):.0f}, "
          f"max {max(times_ms):.0f}, min {min(times_ms):.0f}, mean {statistics.fmean(times_ms):.0f}")
    print(f"  server errors (5xx): {len(server_errors)}; other failures: {len(failures)}")
    for line in (server_errors + failures)[:5]:
        print(f"    {line}")
    missed = []
    if p50 > P50_TARGET_MS:
        missed.append(f"p50 {p50:.0f} ms > {P50_TARGET_MS:.0f} ms")
    if p95 > P95_TARGET_MS:
        missed.append(f"p95 {p95:.0f} ms > {P95_TARGET_MS:.0f} ms")
    if server_errors or failures:
        missed.append(f"{len(server_errors)} server errors, {len(failures)} other failures")
    return missed


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--think-ms", type=float, default=0.0, help="pause of each client between its requests")
    parser.add_argument("--sliders", action="store_true", help="each client keeps one seed and changes the mix")
    parser.add_argument("--layouts", action="store_true", help="layout documents (a new seed each) instead of previews")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="preview worker processes of the started app")
    parser.add_argument("--url", default="", help="load a configurator already running here instead of starting one")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 200 or not 1 <= args.requests <= 100_000:
        parser.error("--clients must be 1-200 and --requests 1-100000")
    if args.url and urlsplit(args.url).hostname not in ("127.0.0.1", "localhost"):
        parser.error("--url must be on 127.0.0.1: this script loads loopback only")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"machine: {os.cpu_count()} CPUs; {args.clients} clients, {args.requests} previews at {args.size} px, "
          f"think time {args.think_ms:.0f} ms, {'one seed per client' if args.sliders else 'a new seed per request'}")
    with tempfile.TemporaryDirectory(prefix="web-load-") as folder:
        if args.url:
            parts = urlsplit(args.url)
            host, port, app = parts.hostname or "127.0.0.1", parts.port or 80, None
        else:
            # Every simulated customer comes from 127.0.0.1: one client to the rate limit, so lift it here.
            env = {"WEB_RENDER_WORKERS": str(args.workers), "PREVIEW_RATE_LIMIT": "100000/second",
                   "DATABASE_URL": f"sqlite:///{Path(folder) / 'orders.sqlite3'}"}
            app = WebAppProcess(Path(folder) / "app.log", env).start()
            print(f"configurator: {args.workers} preview workers, ready: {app.wait_until_ready()}")
            host, port = "127.0.0.1", app.port
        try:
            run_load(host, port, min(args.clients, 4), min(args.requests, 40), args.size, 0.0)  # warm-up, not counted
            results, seconds = run_load(
                host, port, args.clients, args.requests, args.size, args.think_ms / 1000, sliders=args.sliders,
                layouts=args.layouts,
            )
            missed = report(results, seconds, args.clients)
            print("bad input (each must be 4xx with a message):")
            missed += check_bad_inputs(host, port)
        finally:
            if app is not None:
                app.stop()
    print("targets met" if not missed else "targets MISSED: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
