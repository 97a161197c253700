"""Replicate mode: the official client against a local fake of its API, and Standard Webhooks checks on
deliveries signed here with the `standardwebhooks` library (valid, tampered, stale, unsigned, replayed)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import replicate
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from rubber_tile.web import SettingsError, WebSettings, create_app
from rubber_tile.web.backends import ReplicateBackend
from tests.support.web import QUICK, finished, is_cyrillic, wait_for_order, web_settings

TOKEN = "r8_secret_token_for_tests_only_0123456789"
SECRET = "whsec_" + base64.b64encode(b"a signing key of 32 bytes here!!").decode()
VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
OUTPUT_URL = "https://replicate.delivery/pbxt/abc/tile.png"
ORDER = {"mix": "50% red, 30% black, 20% pearl", "seed": 5, "language": "en"}


@dataclass
class FakeReplicate:
    """POST /v1/predictions and GET /v1/predictions/{id}, as Replicate answers them."""

    created: list[dict[str, Any]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    refuse: bool = False
    reply: str = "json"  # "html200": an answer the client cannot read
    lock: threading.Lock = field(default_factory=threading.Lock)

    def prediction(self, prediction_id: str, **fields: Any) -> dict[str, Any]:
        return {
            "id": prediction_id,
            "model": "owner/rubber-tile",
            "version": VERSION,
            "status": "starting",
            "input": {},
            "output": None,
            "logs": "",
            "error": None,
            "metrics": {},
            "created_at": "2026-12-02T10:00:00Z",
            "urls": {"get": f"https://api.replicate.com/v1/predictions/{prediction_id}"},
        } | fields

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.authorizations.append(request.headers.get("authorization", ""))
            if request.method == "GET" and request.url.path == "/v1/account":
                return httpx.Response(200, json={"type": "organization", "username": "owner", "name": "Owner"})
            if self.reply == "html200":
                if request.method == "POST":
                    self.created.append(json.loads(request.content))
                return httpx.Response(200, text="<html><body>Service Unavailable</body></html>")
            if self.refuse:
                return httpx.Response(
                    422, json={"title": "Invalid version", "detail": "version does not exist", "status": 422}
                )
            if request.method == "POST" and request.url.path == "/v1/predictions":
                body = json.loads(request.content)
                self.created.append(body)
                prediction_id = f"pred{len(self.created)}"
                self.states[prediction_id] = self.prediction(prediction_id, input=body["input"])
                return httpx.Response(201, json=self.states[prediction_id])
            if request.method == "GET" and request.url.path.startswith("/v1/predictions/"):
                return httpx.Response(200, json=self.states[request.url.path.rsplit("/", 1)[-1]])
            return httpx.Response(404, json={"detail": "not found"})


def settings(folder: Path, **changes: Any) -> WebSettings:
    return web_settings(
        folder,
        public_url="https://tiles.example.com",
        replicate_api_token=TOKEN,
        replicate_model_version=VERSION,
        replicate_webhook_secret=SECRET,
        **(QUICK | changes),
    )


def make_client(fake: FakeReplicate, folder: Path, **changes: Any) -> TestClient:
    config = settings(folder, **changes)
    official = replicate.Client(
        api_token=TOKEN, base_url="http://replicate.test", transport=httpx.MockTransport(fake.handle)
    )
    return TestClient(create_app(config, backend=ReplicateBackend(config, client=official)))


@pytest.fixture
def fake() -> FakeReplicate:
    return FakeReplicate()


@pytest.fixture
def client(fake: FakeReplicate, tmp_path) -> Iterator[TestClient]:
    with make_client(fake, tmp_path) as test_client:
        yield test_client


def order(client: TestClient, fake: FakeReplicate, **changes: Any) -> dict[str, Any]:
    """An order, once the dispatcher has created its prediction on (fake) Replicate."""
    reply = client.post("/api/renders", json=ORDER | changes)
    assert reply.status_code == 202, reply.text
    created = len(fake.created)
    wait_for_order(client, reply.json()["id"], lambda s: s["status"] != "queued" and len(fake.created) >= created)
    return reply.json()


def signed(payload: dict[str, Any], message_id: str = "msg_1", at: datetime | None = None, secret: str = SECRET):
    body = json.dumps(payload)
    when = at or datetime.now(tz=timezone.utc)
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, when, body),
        "Content-Type": "application/json",
    }
    return body.encode(), headers


def deliver(client: TestClient, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return client.post("/api/webhooks/replicate", content=body, headers=headers)


def test_renders_go_to_replicate_with_the_token_kept_on_the_server(client: TestClient, fake: FakeReplicate) -> None:
    render = client.post("/api/renders", json=ORDER)
    assert render.status_code == 202
    wait_for_order(client, render.json()["id"], lambda s: s["status"] == "starting")
    assert fake.created[0]["version"] == VERSION
    assert fake.created[0]["input"]["prompt"] == ORDER["mix"] and fake.created[0]["input"]["seed"] == 5
    assert fake.created[0]["webhook"] == "https://tiles.example.com/api/webhooks/replicate"
    assert set(fake.created[0]["webhook_events_filter"]) == {"start", "output", "logs", "completed"}
    assert set(fake.authorizations) == {f"Bearer {TOKEN}"}
    for text in (
        render.text,
        client.get("/api/config").text,
        client.get("/").text,
        client.get("/static/app.js").text,
        client.get(f"/api/renders/{render.json()['id']}").text,
    ):
        assert TOKEN not in text and SECRET not in text


def test_a_signed_webhook_finishes_the_render_and_its_image_redirects_to_replicate(client, fake) -> None:
    render = order(client, fake)
    reply = deliver(
        client, *signed({"id": "pred1", "status": "succeeded", "output": [OUTPUT_URL], "logs": "step 20/20"})
    )
    assert reply.status_code == 200 and reply.json() == {"accepted": True}
    status = client.get(f"/api/renders/{render['id']}").json()
    assert status["status"] == "succeeded" and status["progress"] == {"done": 20, "total": 20}
    image = client.get(status["image_url"], follow_redirects=False)
    assert image.status_code == 307 and image.headers["location"] == OUTPUT_URL


def test_a_tampered_body_is_refused(client: TestClient, fake: FakeReplicate) -> None:
    render = order(client, fake)
    body, headers = signed({"id": "pred1", "status": "failed", "error": "x"})
    reply = deliver(client, body.replace(b"failed", b"succeeded"), headers)
    assert reply.status_code == 401 and "signature" in reply.json()["error"]["message"].lower()
    assert client.get(f"/api/renders/{render['id']}").json()["status"] == "starting"


@pytest.mark.parametrize("minutes", [-10, 10])
def test_a_stale_or_future_timestamp_is_refused_even_when_correctly_signed(client, fake, minutes: int) -> None:
    order(client, fake)
    at = datetime.now(tz=timezone.utc) + timedelta(minutes=minutes)
    reply = deliver(client, *signed({"id": "pred1", "status": "succeeded", "output": OUTPUT_URL}, at=at))
    assert reply.status_code == 401 and "timestamp" in reply.json()["error"]["message"].lower()


@pytest.mark.parametrize("dropped", ["webhook-id", "webhook-timestamp", "webhook-signature", "all"])
def test_unsigned_deliveries_are_refused(client: TestClient, fake: FakeReplicate, dropped: str) -> None:
    order(client, fake)
    body, headers = signed({"id": "pred1", "status": "succeeded", "output": OUTPUT_URL})
    kept = (
        {"Content-Type": "application/json"} if dropped == "all" else {k: v for k, v in headers.items() if k != dropped}
    )
    assert deliver(client, body, kept).status_code == 401


@pytest.mark.parametrize("signature", ["v1", "v1,not base64!", "v2,AAAA", "garbage", ""])
def test_garbled_signature_headers_are_a_401_not_a_crash(client: TestClient, signature: str) -> None:
    body, headers = signed({"id": "pred1", "status": "succeeded"})
    assert deliver(client, body, headers | {"webhook-signature": signature}).status_code == 401


def test_a_delivery_signed_with_another_secret_is_refused(client: TestClient) -> None:
    other = "whsec_" + base64.b64encode(b"somebody else's key, 32 bytes..").decode()
    assert deliver(client, *signed({"id": "pred1", "status": "succeeded"}, secret=other)).status_code == 401


def test_a_replayed_delivery_is_refused(client: TestClient, fake: FakeReplicate) -> None:
    render = order(client, fake)
    body, headers = signed({"id": "pred1", "status": "processing", "logs": "step 3/20"}, message_id="msg_replay")
    assert deliver(client, body, headers).status_code == 200
    replay = deliver(client, body, headers)
    assert replay.status_code == 409 and replay.json()["error"]["code"] == "webhook_replayed"
    assert client.get(f"/api/renders/{render['id']}").json()["progress"] == {"done": 3, "total": 20}


def test_a_verified_webhook_for_an_unknown_prediction_is_a_404(client: TestClient) -> None:
    assert deliver(client, *signed({"id": "pred_other", "status": "succeeded"})).status_code == 404


def test_replicate_refusing_the_prediction_fails_the_order_with_its_reason(fake: FakeReplicate, tmp_path) -> None:
    fake.refuse = True
    with make_client(fake, tmp_path) as client:
        reply = client.post("/api/renders", json=ORDER)
        failed = wait_for_order(client, reply.json()["id"], finished)
    assert failed["error"]["code"] == "render_refused" and "version does not exist" in failed["error"]["detail"]
    assert TOKEN not in json.dumps(failed) and len(fake.created) == 0


def test_an_unreadable_reply_to_the_create_fails_the_order_and_is_never_sent_again(fake, tmp_path, caplog) -> None:
    # Problem 4: HTML with 200 killed the watcher ("Task exception was never retrieved"), a plain-text 500.
    fake.reply = "html200"
    with make_client(fake, tmp_path) as client:
        reply = client.post("/api/renders", json=ORDER)
        failed = wait_for_order(client, reply.json()["id"], finished)
    assert reply.status_code == 202 and failed["error"]["code"] == "render_lost"
    assert failed["error"]["message"].startswith("The render server lost") and len(fake.created) == 1
    assert "Task exception was never retrieved" not in caplog.text


def test_an_unreadable_prediction_read_fails_the_order_in_its_language(fake, tmp_path) -> None:
    with make_client(fake, tmp_path, webhook_poll_after_s=0.05) as client:
        render = order(client, fake, language="ru")
        fake.reply = "html200"
        failed = wait_for_order(client, render["id"], finished)
    assert failed["error"]["code"] == "render_server_unreadable" and is_cyrillic(failed["error"]["message"])


def test_an_output_url_off_replicates_delivery_host_is_refused(client: TestClient, fake: FakeReplicate) -> None:
    render = order(client, fake)
    elsewhere = signed({"id": "pred1", "status": "succeeded", "output": ["https://evil.example/x.png"]})
    assert deliver(client, *elsewhere).status_code == 400
    state = client.get(f"/api/renders/{render['id']}").json()
    assert state["status"] == "failed" and state["image_url"] is None
    assert client.get(f"/api/renders/{render['id']}/image", follow_redirects=False).status_code == 404


def test_a_signed_webhook_over_1_mb_is_refused_before_it_is_read(client: TestClient) -> None:
    body, headers = signed({"id": "pred1", "status": "succeeded", "logs": "x" * 1_100_000})
    assert deliver(client, body, headers).status_code == 413

    def chunks():
        for _ in range(40):
            yield b"x" * 65536

    assert client.post("/api/webhooks/replicate", content=chunks(), headers=headers).status_code == 413


def test_the_daily_cap_of_paid_orders_holds_for_every_client(fake: FakeReplicate, tmp_path) -> None:
    with make_client(fake, tmp_path, replicate_daily_cap=3) as client:
        answers = [TestClient(client.app, client=(f"10.1.0.{i}", 1)).post("/api/renders", json=ORDER | {"seed": i})
                   for i in range(5)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429, 429]
    assert answers[-1].json()["error"]["code"] == "daily_cap" and len(fake.created) <= 3


def test_without_webhooks_the_watcher_reads_the_prediction_from_replicate(fake: FakeReplicate, tmp_path) -> None:
    with make_client(fake, tmp_path, webhook_poll_after_s=0.05) as client:
        render = order(client, fake)
        fake.states["pred1"] |= {"status": "succeeded", "output": OUTPUT_URL}
        deadline = time.monotonic() + 10
        while (status := client.get(f"/api/renders/{render['id']}").json())["status"] != "succeeded":
            assert time.monotonic() < deadline, status
            time.sleep(0.05)
    assert status["arrived_via"] == "poll"


def test_cog_webhook_urls_do_nothing_in_replicate_mode_and_replicate_ones_nothing_in_cog_mode(
    client: TestClient, fake: FakeReplicate, tmp_path
) -> None:
    render = order(client, fake)
    assert (
        client.post(f"/api/webhooks/cog/{render['id']}/guess", json={"id": "pred1", "status": "failed"}).status_code
        == 404
    )
    with TestClient(create_app(web_settings(tmp_path / "cog"))) as cog_client:
        assert deliver(cog_client, *signed({"id": "pred1", "status": "succeeded"})).status_code == 404


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"REPLICATE_API_TOKEN": TOKEN}, "missing: REPLICATE_MODEL_VERSION, REPLICATE_WEBHOOK_SECRET"),
        (
            {"REPLICATE_API_TOKEN": TOKEN, "REPLICATE_MODEL_VERSION": VERSION, "REPLICATE_WEBHOOK_SECRET": "plain"},
            "whsec_",
        ),
        (
            {"REPLICATE_API_TOKEN": TOKEN, "REPLICATE_MODEL_VERSION": VERSION, "REPLICATE_WEBHOOK_SECRET": SECRET},
            "PUBLIC_URL",
        ),
        ({"PORT": "http"}, "PORT"),
        ({"COG_URL": "localhost:5000"}, "COG_URL"),
        ({"MATERIAL_BINDER_PERCENT": "lots"}, "MATERIAL_BINDER_PERCENT"),
        ({"MATERIAL_CRUMB_KG_PER_M2": "-3"}, "crumb_kg_per_m2"),
        ({"MATERIAL_PRICES": "red=cheap"}, "MATERIAL_PRICES"),
        ({"MATERIAL_PRICES": "perl=300"}, "not a tile colour"),
        ({"MATERIAL_PRICES": "red 300"}, "colour=price"),
        ({"MATERIAL_PRICES": "red=300", "MATERIAL_CURRENCY": "рубли"}, "MATERIAL_CURRENCY"),
    ],
)
def test_settings_that_cannot_work_stop_the_start_with_a_message(env: dict[str, str], says: str) -> None:
    with pytest.raises(SettingsError, match=says):
        WebSettings.from_env(env)


def test_settings_read_from_the_environment() -> None:
    config = WebSettings.from_env(
        {
            "PORT": "8100",
            "COG_URL": "http://10.0.0.5:5000",
            "MATERIAL_BINDER_PERCENT": "20,5",
            "MATERIAL_PRICES": "red=320; жемчужный=410,5; *=300; binder=450",
            "MATERIAL_CURRENCY": "eur",
            "WEB_RENDER_WORKERS": "3",
        }
    )
    assert (config.port, config.cog_url, config.render_workers, config.backend) == (
        8100,
        "http://10.0.0.5:5000",
        3,
        "cog",
    )
    assert config.materials.binder_percent == 20.5
    prices = config.prices
    assert (prices.color_price("red"), prices.color_price("pearl"), prices.color_price("blue")) == (320, 410.5, 300)
    assert (prices.binder_per_kg, prices.currency) == (450, "EUR")
    assert config.webhook_base_url == "http://127.0.0.1:8100"
    assert settings(Path("/nonexistent")).backend == "replicate"


def test_a_delivery_that_came_before_its_render_was_known_can_be_retried(client: TestClient) -> None:
    early = signed({"id": "pred_not_yet_known", "status": "processing"}, message_id="msg_early")
    assert deliver(client, *early).status_code == 404
    assert deliver(client, *early).status_code == 404  # a retry is not a replay: the first was not applied
