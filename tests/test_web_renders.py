"""Photoreal renders through the API: submitted to a (fake) Cog server, finished by its webhook, by events or
by the polling fallback; every webhook checked (the Cog token; Replicate's signatures in test_web_replicate.py)."""

from __future__ import annotations

import base64
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from rubber_tile.web import WebSettings, create_app
from rubber_tile.web.backends import CogBackend

ORDER = {"mix": "60% красный, 40% белый", "seed": 11, "grade": "fine", "view": "installed", "language": "ru"}
PUBLIC_URL = "http://configurator.test"


def png_data_uri(color: tuple[int, int, int] = (200, 30, 30)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@dataclass
class FakeCog:
    """Answers PUT /predictions/{id} the way coglet does: 202 at first, the stored state when sent again."""

    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    busy: int = 0  # answer 409 this many times first
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            if self.busy:
                self.busy -= 1
                return httpx.Response(409, json={"detail": "Already running a prediction"})
            prediction_id = request.url.path.rsplit("/", 1)[-1]
            body = json.loads(request.content)
            self.received.append({"id": prediction_id, "method": request.method, "prefer": request.headers.get("prefer"), **body})
            state = self.states.setdefault(prediction_id, {"id": prediction_id, "status": "starting"})
            return httpx.Response(200 if state["status"] == "succeeded" else 202, json=state)

    def webhook_path(self, render_id: str) -> str:
        url = next(r["webhook"] for r in self.received if r["id"] == render_id)
        assert url.startswith(PUBLIC_URL)
        return url.removeprefix(PUBLIC_URL)


def make_client(fake: FakeCog, **settings: Any) -> TestClient:
    config = WebSettings(render_workers=0, public_url=PUBLIC_URL, cog_url="http://cog.test", **settings)
    backend = CogBackend(config, transport=httpx.MockTransport(fake.handle))
    return TestClient(create_app(config, backend=backend))


@pytest.fixture
def fake() -> FakeCog:
    return FakeCog()


@pytest.fixture
def client(fake: FakeCog) -> Iterator[TestClient]:
    with make_client(fake) as test_client:
        yield test_client


def submit(client: TestClient) -> dict[str, Any]:
    reply = client.post("/api/renders", json=ORDER)
    assert reply.status_code == 202, reply.text
    return reply.json()


def test_a_render_is_submitted_with_the_checked_inputs_and_a_tokened_webhook(client: TestClient, fake: FakeCog) -> None:
    render = submit(client)
    sent = fake.received[0]
    assert sent["id"] == render["id"] and sent["method"] == "PUT" and sent["prefer"] == "respond-async"
    assert sent["input"] == {"prompt": "60% red, 40% white", "seed": 11, "width": 1024, "height": 1024,
                             "output_format": "png", "grade": "fine", "framing": "full_frame", "view": "installed"}
    assert set(sent["webhook_events_filter"]) == {"start", "output", "logs", "completed"}
    token = sent["webhook"].rsplit("/", 1)[-1]
    assert len(token) >= 40
    assert token not in json.dumps(render)  # the page never sees the token
    assert render["status"] == "starting" and render["events_url"] == f"/api/renders/{render['id']}/events"


def test_webhooks_carry_progress_and_the_picture(client: TestClient, fake: FakeCog) -> None:
    render = submit(client)
    hook = fake.webhook_path(render["id"])
    logs = "seed 11\nstep 1/4\nstep 2/4\n"
    assert client.post(hook, json={"id": render["id"], "status": "processing", "logs": logs}).json() == {"accepted": True}
    status = client.get(f"/api/renders/{render['id']}").json()
    assert status["status"] == "processing" and status["progress"] == {"done": 2, "total": 4}
    assert status["image_url"] is None
    done = {"id": render["id"], "status": "succeeded", "logs": logs + "step 4/4\n", "output": png_data_uri()}
    assert client.post(hook, json=done).json() == {"accepted": True}
    status = client.get(f"/api/renders/{render['id']}").json()
    assert status["status"] == "succeeded" and status["arrived_via"] == "webhook"
    image = client.get(status["image_url"])
    assert image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).getpixel((0, 0)) == (200, 30, 30)


def test_a_finished_render_ignores_late_and_repeated_webhooks(client: TestClient, fake: FakeCog) -> None:
    render = submit(client)
    hook = fake.webhook_path(render["id"])
    client.post(hook, json={"id": render["id"], "status": "succeeded", "output": png_data_uri()})
    late = client.post(hook, json={"id": render["id"], "status": "processing", "logs": "step 1/20"})
    assert late.status_code == 200 and late.json() == {"accepted": False}
    assert client.get(f"/api/renders/{render['id']}").json()["status"] == "succeeded"


def test_a_refused_mix_in_the_logs_comes_back_structured(client: TestClient, fake: FakeCog) -> None:
    render = submit(client)
    refusal = {"code": "unknown_colour", "message": "unknown colour 'x'", "problems": []}
    failed = {"id": render["id"], "status": "failed", "error": "Prediction failed: Prediction failed: MixError: unknown colour 'x'",
              "logs": f"mix refused: {json.dumps(refusal)}\n"}
    client.post(fake.webhook_path(render["id"]), json=failed)
    error = client.get(f"/api/renders/{render['id']}").json()["error"]
    assert error["code"] == "mix" and error["mix"]["code"] == "unknown_colour"
    other = submit(client)
    client.post(fake.webhook_path(other["id"]), json={"id": other["id"], "status": "failed", "error": "CUDA out of memory"})
    assert client.get(f"/api/renders/{other['id']}").json()["error"] == {"code": "prediction_failed", "message": "CUDA out of memory"}


@pytest.mark.parametrize("change", ["token", "render", "both"])
def test_a_webhook_with_a_wrong_token_or_render_is_a_404(client: TestClient, fake: FakeCog, change: str) -> None:
    render = submit(client)
    _, _, _, _, render_id, token = fake.webhook_path(render["id"]).split("/")
    if change in ("token", "both"):
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    if change in ("render", "both"):
        render_id = "unknown"
    reply = client.post(f"/api/webhooks/cog/{render_id}/{token}", json={"id": render["id"], "status": "succeeded", "output": png_data_uri()})
    assert reply.status_code == 404
    assert client.get(f"/api/renders/{render['id']}").json()["status"] == "starting"


def test_one_renders_token_does_not_open_another(client: TestClient, fake: FakeCog) -> None:
    first, second = submit(client), submit(client)
    first_token = fake.webhook_path(first["id"]).rsplit("/", 1)[-1]
    reply = client.post(f"/api/webhooks/cog/{second['id']}/{first_token}", json={"id": second["id"], "status": "failed"})
    assert reply.status_code == 404


@pytest.mark.parametrize(
    ("payload", "status"),
    [(b"{not json", 400), (b"[1, 2]", 400), (json.dumps({"id": "other", "status": "processing"}).encode(), 400),
     (json.dumps({"status": "exploded"}).encode(), 400), (json.dumps({"status": "succeeded", "output": 5}).encode(), 400)],
)
def test_malformed_webhooks_are_a_400(client: TestClient, fake: FakeCog, payload: bytes, status: int) -> None:
    render = submit(client)
    if b'"status"' in payload and b"other" not in payload:
        payload = json.dumps({"id": render["id"], **json.loads(payload)}).encode()
    reply = client.post(fake.webhook_path(render["id"]), content=payload, headers={"Content-Type": "application/json"})
    assert reply.status_code == status and reply.json()["error"]["message"]


def test_webhooks_may_carry_a_picture_far_over_the_api_limit(client: TestClient, fake: FakeCog) -> None:
    render = submit(client)
    big = png_data_uri() + "=" * 0  # a valid data URI padded by a long log
    reply = client.post(fake.webhook_path(render["id"]),
                        json={"id": render["id"], "status": "succeeded", "output": big, "logs": "x" * 500_000})
    assert reply.status_code == 200


def test_events_stream_the_status_until_the_render_finishes(client: TestClient, fake: FakeCog) -> None:
    render = submit(client)
    client.post(fake.webhook_path(render["id"]), json={"id": render["id"], "status": "succeeded", "output": png_data_uri()})
    with client.stream("GET", render["events_url"]) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in stream.iter_lines() if line.startswith("data:")]
    assert json.loads(lines[-1].removeprefix("data:"))["status"] == "succeeded"


def test_unknown_renders_are_a_404(client: TestClient) -> None:
    for path in ("/api/renders/nope", "/api/renders/nope/events", "/api/renders/nope/image"):
        assert client.get(path).status_code == 404, path


def test_no_image_before_the_render_succeeds(client: TestClient) -> None:
    render = submit(client)
    reply = client.get(f"/api/renders/{render['id']}/image")
    assert reply.status_code == 404 and "no picture yet" in reply.json()["error"]["message"]


def test_a_bad_order_never_reaches_the_cog_server(client: TestClient, fake: FakeCog) -> None:
    for order in (ORDER | {"mix": "50% перл, 50% белый"}, ORDER | {"size": 4096}, ORDER | {"framing": "wide"}):
        assert client.post("/api/renders", json=order).status_code == 422
    assert fake.received == []


def test_a_busy_cog_server_is_asked_again_then_reported(fake: FakeCog) -> None:
    fake.busy = 2
    with make_client(fake, cog_busy_retry_s=0.6) as client:
        assert client.post("/api/renders", json=ORDER).status_code == 202
        fake.busy = 10_000
        reply = client.post("/api/renders", json=ORDER)
    assert reply.status_code == 503 and reply.json()["error"]["code"] == "render_server_busy"


def test_an_unreachable_cog_server_is_a_502_saying_how_to_start_it() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    config = WebSettings(render_workers=0, cog_url="http://127.0.0.1:9")
    app = create_app(config, backend=CogBackend(config, transport=httpx.MockTransport(refuse)))
    with TestClient(app) as client:
        reply = client.post("/api/renders", json=ORDER)
    assert reply.status_code == 502 and "make serve" in reply.json()["error"]["message"]


def test_without_webhooks_the_watcher_polls_the_cog_server(fake: FakeCog) -> None:
    with make_client(fake, webhook_poll_after_s=0.05) as client:
        render = submit(client)
        fake.states[render["id"]] = {"id": render["id"], "status": "succeeded", "output": png_data_uri((1, 2, 3))}
        with client.stream("GET", render["events_url"]) as stream:
            statuses = [json.loads(line.removeprefix("data:"))["status"] for line in stream.iter_lines() if line.startswith("data:")]
        status = client.get(f"/api/renders/{render['id']}").json()
    assert statuses[-1] == "succeeded" and status["arrived_via"] == "poll"
    polls = [r for r in fake.received if r["id"] == render["id"]]
    assert len(polls) >= 2 and all(r["input"] == polls[0]["input"] for r in polls)  # the same prediction, asked again
