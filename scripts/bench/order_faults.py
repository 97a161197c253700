"""Render orders through the real configurator and the real coglet while both are killed and restarted.

    .venv/bin/python scripts/bench/order_faults.py                       # 20 orders, faults (the acceptance run)
    .venv/bin/python scripts/bench/order_faults.py --orders 200 --no-faults --size 512 --open 10
                                                                         # 200 back-to-back orders, no faults

Starts coglet (preview backend) and `python -m rubber_tile.web` on 127.0.0.1 with an SQLite store in
a temporary folder, keeps `--open` orders open at a time (one client, limits lifted), and with faults
on: SIGKILLs coglet during a render and starts it again, SIGKILLs the web app and starts it again,
stops the web app with SIGTERM and starts it again, then SIGKILLs coglet once more. Reports, per
order: finished (succeeded, picture served), failed with a reason (an error code and a message),
lost (never finished, or unknown after a restart: must be 0) and run twice (coglet logged "Starting
prediction" more than once for it, over every coglet process: must be 0); and every answer a
customer saw that was a 409 or 503 (must be 0 in the run without faults). Exit status 1 when lost or
run twice is not 0, or (without faults) any order failed or a customer saw 409/503.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from rubber_tile_dev.cog_server import CogServer, free_port
from rubber_tile_dev.web_process import WebAppProcess

FINAL = ("succeeded", "failed", "canceled")
MIX = "45% terracotta, 35% sand, 20% black"


@dataclass
class Stand:
    """coglet and the web app, each restartable on its own port; every coglet log is kept."""

    folder: Path
    cog_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    cog: CogServer | None = None
    web: WebAppProcess | None = None
    cog_logs: list[Path] = field(default_factory=list)
    web_starts: int = 0

    def start_cog(self) -> None:
        log = self.folder / f"cog{len(self.cog_logs)}.log"
        self.cog_logs.append(log)
        self.cog = CogServer(log, {"TILE_BACKEND": "preview"}, port=self.cog_port).start()

    def kill_cog(self) -> None:
        assert self.cog is not None and self.cog.group_id is not None
        os.killpg(self.cog.group_id, signal.SIGKILL)
        self.cog.stop()

    def start_web(self, env: dict[str, str]) -> None:
        self.web_starts += 1
        self.web = WebAppProcess(self.folder / f"web{self.web_starts}.log", env, port=self.web_port).start()
        self.web.wait_until_ready()

    def kill_web(self, sig: int) -> None:
        assert self.web is not None and self.web.process is not None
        if sig == signal.SIGKILL:
            os.killpg(self.web.process.pid, signal.SIGKILL)
        self.web.stop()

    def runs(self) -> Counter[str]:
        counted: Counter[str] = Counter()
        for log in self.cog_logs:
            for line in log.read_text(errors="replace").splitlines():
                if line.startswith("{") and '"Starting prediction"' in line:
                    counted[json.loads(line)["fields"]["prediction_id"]] += 1
        return counted


@dataclass
class Tally:
    orders: dict[str, dict] = field(default_factory=dict)
    refused: Counter[int] = field(default_factory=Counter)
    unreachable_polls: int = 0


def web_env(folder: Path, cog_port: int) -> dict[str, str]:
    return {"COG_URL": f"http://127.0.0.1:{cog_port}", "WEB_RENDER_WORKERS": "0",
            "DATABASE_URL": f"sqlite:///{folder / 'orders.sqlite3'}", "ORDER_RATE_LIMIT": "100000/second",
            "ORDERS_OPEN_PER_CLIENT": "1000", "ORDER_QUEUE_MAX": "1000", "RENDER_BACKEND": "preview"}


def submit(client: httpx.Client, tally: Tally, seed: int, size: int) -> None:
    body = {"mix": MIX, "seed": seed, "size": size, "view": "installed" if size > 512 else "top", "language": "ru"}
    try:
        reply = client.post("/api/renders", json=body)
    except httpx.HTTPError:
        tally.refused[0] += 1
        return
    if reply.status_code == 202:
        tally.orders[reply.json()["id"]] = reply.json()
    else:
        tally.refused[reply.status_code] += 1


def poll(client: httpx.Client, tally: Tally) -> int:
    """Reads every open order once; how many are still open."""
    still_open = 0
    for order_id, state in tally.orders.items():
        if state["status"] in FINAL:
            continue
        try:
            reply = client.get(f"/api/renders/{order_id}")
            tally.orders[order_id] = reply.json() if reply.status_code == 200 else state | {"lost": reply.status_code}
        except httpx.HTTPError:
            tally.unreachable_polls += 1
        still_open += tally.orders[order_id]["status"] not in FINAL
    return still_open


def fault_plan(stand: Stand, env: dict[str, str]) -> list[tuple[float, str, object]]:
    def restart_cog_after(pause: float):
        def act() -> None:
            stand.kill_cog()
            time.sleep(pause)
            stand.start_cog()
        return act

    def restart_web(sig: int):
        def act() -> None:
            stand.kill_web(sig)
            time.sleep(1.0)
            stand.start_web(env)
        return act

    return [(4.0, "SIGKILL coglet, start it 2 s later", restart_cog_after(2.0)),
            (14.0, "SIGKILL the web app, start it again", restart_web(signal.SIGKILL)),
            (24.0, "SIGTERM the web app, start it again", restart_web(signal.SIGTERM)),
            (34.0, "SIGKILL coglet, start it 12 s later", restart_cog_after(12.0))]


def run(args: argparse.Namespace, folder: Path) -> int:  # long: the whole run, its faults and its report
    stand = Stand(folder)
    env = web_env(folder, stand.cog_port)
    stand.start_cog()
    stand.start_web(env)
    client = httpx.Client(base_url=f"http://127.0.0.1:{stand.web_port}", timeout=30)
    tally, plan, events = Tally(), [] if args.no_faults else fault_plan(stand, env), []
    started = time.monotonic()
    submitted = 0
    while time.monotonic() - started < args.deadline_s:
        now = time.monotonic() - started
        if plan and now >= plan[0][0]:
            _, what, act = plan.pop(0)
            events.append(f"{now:5.1f} s: {what}")
            act()
        open_orders = poll(client, tally) if tally.orders else 0
        while submitted < args.orders and open_orders < args.open:
            submit(client, tally, submitted, args.size)
            submitted, open_orders = submitted + 1, open_orders + 1
        if submitted >= args.orders and open_orders == 0 and not plan:
            break
        time.sleep(0.1)
    elapsed = time.monotonic() - started
    health = client.get("/api/health").json()
    images = sum(client.get(f"/api/renders/{i}/image").status_code == 200
                 for i, s in tally.orders.items() if s["status"] == "succeeded")
    stand.kill_web(signal.SIGTERM)
    stand.cog.stop()
    runs = stand.runs()
    states = list(tally.orders.values())
    finished = sum(s["status"] == "succeeded" for s in states)
    failed = [s for s in states if s["status"] == "failed" and s.get("error", {}).get("message")]
    lost = len(states) - finished - len(failed) + (args.orders - submitted)
    twice = sum(count > 1 for order_id, count in runs.items() if order_id in tally.orders)
    busy_seen = sum(1 for s in failed if "busy" in json.dumps(s["error"])) + tally.refused[409] + tally.refused[503]
    print(f"orders: {args.orders} at {args.size} px, {args.open} open at a time, {elapsed:.1f} s, faults: "
          f"{'none' if args.no_faults else len(events)}")
    for event in events:
        print(f"  {event}")
    print(f"finished: {finished} (pictures served: {images})")
    print(f"failed with a reason: {len(failed)} {dict(Counter(s['error']['code'] for s in failed))}")
    print(f"lost: {lost}")
    print(f"run twice: {twice} (coglet processes: {len(stand.cog_logs)}, web app starts: {stand.web_starts})")
    print(f"refused at submit: {dict(tally.refused)}; 409/503 seen by a customer: {busy_seen}")
    print(f"waited out by the dispatcher (this web process): {health.get('render_waits')}")
    bad = lost or twice or (args.no_faults and (failed or busy_seen))
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--open", type=int, default=20, help="orders kept open at a time")
    parser.add_argument("--size", type=int, default=1536, help="pixels; above 512 the installed view (slower)")
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--deadline-s", type=float, default=600.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="order-faults-") as folder:
        return run(args, Path(folder))


if __name__ == "__main__":
    sys.exit(main())
