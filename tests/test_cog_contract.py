"""The real coglet and the fake the web tests use (rubber_tile_dev/fake_cog.py), asked the same things:
they must answer alike on every point the configurator relies on. Marked `server` (real coglet).

Two servers on the preview backend behind tests/support/server_predictors.py:SlowPredictor (a slow
setup, renders as slow as a file says): one for setup, repeats, busy, webhooks and a bad id (last:
it keeps the slot for ever), one whose worker is killed.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from rubber_tile_dev.cog_server import HOST, CogServer, group_processes
from rubber_tile_dev.fake_cog import FakeCog
from tests.support.server_predictors import RENDER_DELAY_ENV, SETUP_DELAY_ENV

pytestmark = [pytest.mark.server, pytest.mark.usefixtures("coglet_runs_here")]

PREDICTOR = "tests/support/server_predictors.py:SlowPredictor"
INPUT = {"prompt": "50% red, 50% white", "width": 512, "height": 512, "seed": 1}
SETUP_S = 3.0


class Receiver:
    """Webhooks on 127.0.0.1; answers each `completed` delivery with the next status in `script`."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.script: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                event = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                final = event.get("status") in ("succeeded", "failed", "canceled")
                status = receiver.script.pop(0) if final and receiver.script else 200
                receiver.events.append(event | {"answered": status})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://{HOST}:{self.server.server_address[1]}/hook"

    def deliver(self, url: str, payload: dict[str, Any]) -> int:
        return httpx.post(url, json=payload, timeout=10).status_code

    def finals(self, prediction_id: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["id"] == prediction_id and e["status"] in ("succeeded", "failed")]

    def wait_finals(self, prediction_id: str, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.finals(prediction_id)) < count:
            assert time.monotonic() < deadline, f"{prediction_id}: {self.finals(prediction_id)}"
            time.sleep(0.02)
        return self.finals(prediction_id)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture(scope="module")
def delay_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("delay") / "render_delay_s"


def start(folder: Path, delay_file: Path, setup_s: float) -> CogServer:
    env = {"TILE_BACKEND": "preview", SETUP_DELAY_ENV: str(setup_s), RENDER_DELAY_ENV: str(delay_file)}
    server = CogServer(folder / "server.log", env, predictor=PREDICTOR).start()
    deadline = time.monotonic() + 60
    while True:  # listening (coglet answers /health-check while setup runs)
        try:
            server.health()
            return server
        except OSError:
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.05)


@pytest.fixture(scope="module")
def real(tmp_path_factory, delay_file) -> Iterator[CogServer]:
    server = start(tmp_path_factory.mktemp("cog"), delay_file, SETUP_S)
    yield server
    server.stop()


def put(client: httpx.Client, prediction_id: str, webhook: str) -> tuple[int, dict[str, Any]]:
    body = {"input": INPUT, "webhook": webhook, "webhook_events_filter": ["start", "completed"]}
    reply = client.put(f"/predictions/{prediction_id}", json=body, headers={"Prefer": "respond-async"})
    return reply.status_code, reply.json()


def real_client(server: CogServer) -> httpx.Client:
    return httpx.Client(base_url=f"http://{HOST}:{server.port}", timeout=30)


def fake_client(fake: FakeCog) -> httpx.Client:
    return httpx.Client(base_url="http://cog.test", transport=httpx.MockTransport(fake.handle))


def runs(server: CogServer, prediction_id: str) -> int:
    return sum(line == "Starting prediction" for line in server.prediction_log(prediction_id))


def test_during_setup_both_answer_503_and_start_nothing(real: CogServer, receiver: Receiver) -> None:
    fake = FakeCog(receiver.deliver, setup_s=SETUP_S)
    real_answer = put(real_client(real), "setup-1", receiver.url)
    fake_answer = put(fake_client(fake), "setup-1", receiver.url)
    assert real.health()["status"] == "STARTING" == fake.health_status()
    assert real_answer == fake_answer == (503, {"error": real_answer[1]["error"], "status": "failed"})
    assert "Setup has not finished" in real_answer[1]["error"]
    real.wait_for_status("READY", timeout=60)
    assert runs(real, "setup-1") == 0 and fake.runs["setup-1"] == 0


def test_a_repeat_in_flight_runs_nothing_and_after_the_end_runs_again(real, receiver, delay_file) -> None:
    delay_file.write_text("1.5")
    fake = FakeCog(receiver.deliver, render_s=1.5)
    for name, client in (("real", real_client(real)), ("fake", fake_client(fake))):
        prediction_id = f"repeat-{name}"
        first, again = put(client, prediction_id, receiver.url), put(client, prediction_id, receiver.url)
        assert first == (202, {"id": prediction_id, "status": "starting"}), name
        assert again[0] == 202 and again[1]["status"] in ("starting", "processing") and again[1]["input"] == INPUT
        receiver.wait_finals(prediction_id, 1)
        time.sleep(0.3)  # coglet has forgotten it now
        assert put(client, prediction_id, receiver.url) == (202, {"id": prediction_id, "status": "starting"}), name
        receiver.wait_finals(prediction_id, 2)
    delay_file.write_text("0")
    assert runs(real, "repeat-real") == 2 and fake.runs["repeat-fake"] == 2


def test_while_busy_both_answer_409_and_start_nothing(real, receiver, delay_file) -> None:
    delay_file.write_text("1.0")
    fake = FakeCog(receiver.deliver, render_s=1.0)
    answers = {}
    for name, client in (("real", real_client(real)), ("fake", fake_client(fake))):
        real.wait_for_status("READY", timeout=30)
        assert put(client, f"long-{name}", receiver.url)[0] == 202
        answers[name] = put(client, f"second-{name}", receiver.url)
        receiver.wait_finals(f"long-{name}", 1)
    delay_file.write_text("0")
    assert answers["real"] == answers["fake"] == (409, {"error": "At capacity - all prediction slots busy",
                                                        "status": "failed"})
    assert runs(real, "second-real") == 0 and fake.runs["second-fake"] == 0


def test_the_completed_webhook_is_retried_after_503_and_not_after_404(real, receiver) -> None:
    fake = FakeCog(receiver.deliver)
    answered: dict[str, list[int]] = {}
    for name, client in (("real", real_client(real)), ("fake", fake_client(fake))):
        for script, label in (([503, 503], "retried"), ([404], "final")):
            real.wait_for_status("READY", timeout=30)
            receiver.script = list(script)
            prediction_id = f"hook-{label}-{name}"
            assert put(client, prediction_id, receiver.url)[0] == 202
            receiver.wait_finals(prediction_id, len(script) if label == "final" else 3)
            time.sleep(1.0)  # a retry after the 404 would have come by now
            answered[prediction_id] = [e["answered"] for e in receiver.finals(prediction_id)]
    fake.wait_idle()
    for name in ("real", "fake"):
        assert answered[f"hook-retried-{name}"] == [503, 503, 200], name
        assert answered[f"hook-final-{name}"] == [404], name


def test_an_id_coglet_cannot_make_a_folder_of_keeps_the_slot_for_ever(real, receiver) -> None:
    # Last against this server: it is useless afterwards. The configurator never sends such an id.
    fake = FakeCog(receiver.deliver)
    long_id = "x" * 300
    real.wait_for_status("READY", timeout=30)
    for client in (real_client(real), fake_client(fake)):
        assert put(client, long_id, receiver.url)[0] == 202
        time.sleep(0.5)
        assert put(client, "after-long-id", receiver.url)[0] == 409
    assert real.health()["status"] == "BUSY" == fake.health_status()


def test_a_dead_worker_fails_its_prediction_and_poisons_the_slot(tmp_path, receiver, delay_file) -> None:
    delay_file.write_text("3")
    server = start(tmp_path, delay_file, setup_s=0)
    fake = FakeCog(receiver.deliver, render_s=3)
    try:
        server.wait_for_status("READY", timeout=60)
        for name, client in (("real", real_client(server)), ("fake", fake_client(fake))):
            assert put(client, f"doomed-{name}", receiver.url)[0] == 202
            time.sleep(0.8)
            if name == "real":
                worker = next(pid for pid in group_processes(server.group_id) if pid != server.group_id)
                os.kill(worker, signal.SIGKILL)
            else:
                fake.kill_worker()
            (final,) = receiver.wait_finals(f"doomed-{name}", 1)
            assert (final["status"], final["error"]) == ("failed", "Worker crashed"), name
            time.sleep(0.5)
            assert put(client, f"next-{name}", receiver.url)[0] == 409, name
        assert server.health()["status"] == "UNHEALTHY" == fake.health_status()
        assert server.is_running()  # the HTTP server stays up, useless until restarted
    finally:
        delay_file.write_text("0")
        server.stop()
    assert Counter(fake.runs) == Counter({"doomed-fake": 1})
