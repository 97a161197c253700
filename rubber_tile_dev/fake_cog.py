"""A fake Cog HTTP server that fails the way coglet 0.23 does, for the configurator's tests
(an httpx transport: `httpx.MockTransport(fake.handle)`); tests/test_cog_contract.py checks the same
points against the real coglet.

What coglet does, read in replicate/cog at 6110c912 (crates/coglet/src; the 0.23.1 wheel's tracing
locations differ by a few lines) and seen on the installed 0.23.1:
- It forgets a prediction when it finishes: the async task calls `remove_prediction` right after
  `predict()` returns (transport/http/routes.rs:512-519). A later `PUT /predictions/{id}` starts it
  again and answers only `{"id", "status": "starting"}` (routes.rs:526-532).
- A `PUT` of an id still in flight answers 202 with the state snapshot and runs nothing
  (routes.rs:352-361, service.rs:565-573).
- Not READY (setup running or failed): 503 `{"error": "Setup has not finished yet. ...", "status":
  "failed"}`; no free slot: 409 `{"error": "At capacity - all prediction slots busy", "status":
  "failed"}` (routes.rs:470-490, service.rs:521-532, predictor.rs:73). Neither starts anything.
- The slot comes back in a task spawned after the result (service.rs:745-753, waiting for the
  worker's Idle), while the terminal webhook was already fired (prediction.rs:271-287): a request
  sent right after the answer can get 409 (seen: 10 of 40 back-to-back synchronous requests).
- The id is joined to /tmp/coglet/predictions/{id} unchecked (service.rs:659-667); when creating it
  fails (over 255 bytes, ...) the permit is dropped in use and never returned (permit/pool.rs:105-110):
  409 for ever, health BUSY.
- A dead worker: every prediction in flight fails "Worker crashed" (orchestrator.rs:874-886), its
  slot is poisoned (service.rs:749-751): 409 for ever, health UNHEALTHY; the HTTP server stays up.
- The terminal (`completed`) webhook is retried 12 times, 100 ms x 2^attempt apart, on request
  errors and on 429/500/502/503/504; any other status is final (webhook.rs:64-79, 197-263). Start,
  output and logs webhooks are sent once, never retried (webhook.rs:181-195).
- Each run logs "Starting prediction" with its id (orchestrator.rs:968-972); `runs` counts them here.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
from PIL import Image

__all__ = ["FakeCog", "png_data_uri"]

NOT_READY = "Setup has not finished yet. Wait until it has finished, or GET /health-check for status."
AT_CAPACITY = "At capacity - all prediction slots busy"
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_RETRIES = 12
Deliver = Callable[[str, dict[str, Any]], int]


def png_data_uri(color: tuple[int, int, int] = (200, 30, 30), size: int = 8) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


class FakeCog:
    """One slot, webhooks delivered by `deliver(url, payload) -> HTTP status` (raising when unreachable).

    Knobs: `render_s` per prediction, `setup_s` after each start, `release_s` (the slot-release window),
    `backoff_s` (the webhook retry base, coglet's 0.1 s scaled down), `reply` ("json", "html200",
    "text500" for unreadable answers), `fail_with` (the next prediction fails with this error)."""

    def __init__(self, deliver: Deliver, render_s: float = 0.05, setup_s: float = 0.0, release_s: float = 0.0,
                 backoff_s: float = 0.0005) -> None:
        self.deliver = deliver
        self.render_s, self.release_s, self.backoff_s = render_s, release_s, backoff_s
        self.lock = threading.RLock()
        self.runs: Counter[str] = Counter()
        self.answers: list[tuple[str, int]] = []  # (prediction id, HTTP status) of every PUT
        self.deliveries: list[tuple[str, str, int | str]] = []  # (id, status, answer or error) of every webhook try
        self.webhook_urls: dict[str, str] = {}  # the webhook URL each prediction was sent with
        self.reply = "json"
        self.fail_with: str | None = None
        self.threads: list[threading.Thread] = []
        self.up = False
        self.start(setup_s)

    # ------------------------------------------------------------------ the process

    def start(self, setup_s: float = 0.0, setup_fails: bool = False) -> None:
        """A new coglet process: nothing in flight, a free slot once setup is done."""
        with self.lock:
            self.up, self.generation = True, getattr(self, "generation", 0) + 1
            self.ready_at = time.monotonic() + setup_s
            self.setup_fails = setup_fails
            self.in_flight: dict[str, dict[str, Any]] = {}
            self.slot: str | None = None  # the id holding the slot, or "poisoned"
            self.slot_free_at = 0.0
            self.unhealthy = False

    def finish_setup(self) -> None:
        """Setup ends now (a test that waits for a 503 first need not guess how long setup takes)."""
        with self.lock:
            self.ready_at = time.monotonic()

    def stop(self) -> None:
        """SIGKILL: predictions in flight vanish without a webhook; connections are refused."""
        with self.lock:
            self.up, self.generation = False, self.generation + 1
            self.in_flight.clear()

    def kill_worker(self) -> None:
        """The worker dies: the prediction in flight fails "Worker crashed"; the slot is poisoned."""
        with self.lock:
            crashed = list(self.in_flight.values())
            self.in_flight.clear()
            self.slot, self.unhealthy = "poisoned", True
            self.generation += 1  # the render threads' results are dropped
            generation = self.generation
        for prediction in crashed:
            self._spawn(self._send_terminal, prediction | {"status": "failed", "error": "Worker crashed"}, generation)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Until every render and webhook thread has ended."""
        deadline = time.monotonic() + timeout
        for thread in list(self.threads):
            thread.join(max(0.0, deadline - time.monotonic()))

    # ------------------------------------------------------------------ HTTP

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            if not self.up:
                raise httpx.ConnectError("connection refused", request=request)
            path = request.url.path
            unreadable = {"html200": (200, "<html><body>502 Bad Gateway</body></html>"),
                          "text500": (500, "Internal Server Error")}.get(self.reply)
            if unreadable is not None:
                if request.method == "PUT":
                    self.answers.append((path.removeprefix("/predictions/"), unreadable[0]))
                return httpx.Response(unreadable[0], text=unreadable[1])
            if request.method == "GET" and path == "/health-check":
                return httpx.Response(200, json={"status": self.health_status(), "setup": {"status": "succeeded"}})
            if request.method == "PUT" and path.startswith("/predictions/"):
                prediction_id = path.removeprefix("/predictions/")
                reply = self._put(prediction_id, json.loads(request.content or b"{}"))
                self.answers.append((prediction_id, reply.status_code))
                return reply
            return httpx.Response(404, json={"detail": "Not Found"})

    def health_status(self) -> str:
        with self.lock:
            if self.unhealthy:
                return "UNHEALTHY"
            if time.monotonic() < self.ready_at:
                return "STARTING"
            if self.setup_fails:
                return "SETUP_FAILED"
            return "BUSY" if self._slot_taken() else "READY"

    def _slot_taken(self) -> bool:
        return self.slot is not None or time.monotonic() < self.slot_free_at

    def _put(self, prediction_id: str, body: dict[str, Any]) -> httpx.Response:
        if prediction_id in self.in_flight:
            return httpx.Response(202, json=_public(self.in_flight[prediction_id]) | {"input": body.get("input")})
        if not isinstance(body.get("input"), dict) or "prompt" not in body["input"]:
            detail = [{"loc": ["body", "input", "prompt"], "msg": "Field required", "type": "value_error"}]
            return httpx.Response(422, json={"detail": detail})
        if self.health_status() in ("STARTING", "SETUP_FAILED"):
            return httpx.Response(503, json={"error": NOT_READY, "status": "failed"})
        if self._slot_taken():
            return httpx.Response(409, json={"error": AT_CAPACITY, "status": "failed"})
        self.runs[prediction_id] += 1
        self.webhook_urls[prediction_id] = str(body.get("webhook"))
        if "/" in prediction_id or len(prediction_id.encode()) > 255:
            self.slot = "poisoned"  # "Failed to create output dir": the permit is never returned
            return httpx.Response(202, json={"id": prediction_id, "status": "starting"})
        prediction = {"id": prediction_id, "status": "starting", "logs": "", "webhook": body.get("webhook"),
                      "events": set(body.get("webhook_events_filter") or ["start", "output", "logs", "completed"])}
        self.in_flight[prediction_id] = prediction
        self.slot = prediction_id
        self._spawn(self._run, prediction_id, self.generation, self.fail_with)
        self.fail_with = None
        return httpx.Response(202, json={"id": prediction_id, "status": "starting"})

    # ------------------------------------------------------------------ a prediction and its webhooks

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _run(self, prediction_id: str, generation: int, fail_with: str | None) -> None:
        for event, logs, pause in (("start", "", 0.0), ("logs", "step 1/2\n", self.render_s / 2)):
            time.sleep(pause)
            with self.lock:
                if self.generation != generation:
                    return
                prediction = self.in_flight[prediction_id]
                prediction |= {"status": "processing", "logs": logs}
                snapshot = dict(prediction)
            if event in snapshot["events"]:
                self._try_deliver(snapshot["webhook"], snapshot)
        time.sleep(self.render_s / 2)
        with self.lock:
            if self.generation != generation:
                return
            result = {"status": "failed", "error": fail_with} if fail_with else {"status": "succeeded",
                                                                                 "output": png_data_uri()}
            final = self.in_flight.pop(prediction_id) | result | {"logs": "step 2/2\n"}
            self.slot, self.slot_free_at = None, time.monotonic() + self.release_s
        self._send_terminal(final, generation)

    def _send_terminal(self, payload: dict[str, Any], generation: int) -> None:
        """The `completed` webhook, retried as coglet retries it, until the process that sends it is killed."""
        if payload.get("webhook") is None or "completed" not in (payload.get("events") or {"completed"}):
            return
        for attempt in range(MAX_RETRIES + 1):
            with self.lock:
                if self.generation != generation:
                    return
            status = self._try_deliver(payload["webhook"], payload)
            if status is not None and status not in RETRY_STATUSES:
                return
            time.sleep(self.backoff_s * 2 ** min(attempt + 1, 10))

    def _try_deliver(self, url: str, payload: dict[str, Any]) -> int | None:
        body = _public(payload)
        try:
            status = self.deliver(url, body)
        except Exception as error:  # noqa: BLE001 - the receiver is down: coglet logs and retries
            self.deliveries.append((body["id"], body["status"], type(error).__name__))
            return None
        self.deliveries.append((body["id"], body["status"], status))
        return status


def _public(prediction: dict[str, Any]) -> dict[str, Any]:
    """The prediction as coglet sends it (without what the fake keeps about where to send it)."""
    return {key: value for key, value in prediction.items() if key not in ("webhook", "events")}
