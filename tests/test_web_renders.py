"""Render orders against a fake Cog server that forgets, retries and refuses as coglet does
(rubber_tile_dev/fake_cog.py): an order is queued, sent once, finished from its webhook and read from
the store; every webhook is checked against its order's token."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from rubber_tile_dev.fake_cog import FakeCog, png_data_uri
from tests.support.web import PUBLIC_URL, cog_app, finished, is_cyrillic, nowhere, wait_for_order

ORDER = {"mix": "60% красный, 40% белый", "seed": 11, "grade": "fine", "view": "installed", "language": "ru"}


@pytest.fixture
def client(tmp_path, fake: FakeCog) -> Iterator[TestClient]:
    with cog_app(tmp_path, fake) as test_client:
        yield test_client


def submit(client: TestClient, **changes) -> dict:
    reply = client.post("/api/renders", json=ORDER | changes)
    assert reply.status_code == 202, reply.text
    return reply.json()


def test_an_order_is_queued_sent_once_with_a_tokened_webhook_and_finished(client: TestClient, fake: FakeCog) -> None:
    order = submit(client)
    assert order["status"] == "queued" and order["queue_position"] == 1 and order["language"] == "ru"
    assert order["inputs"] == {"mix": "60% red, 40% white", "seed": 11, "grade": "fine", "framing": "full_frame",
                               "view": "installed", "size": 1024}
    done = wait_for_order(client, order["id"], finished)
    assert done["status"] == "succeeded" and done["arrived_via"] == "webhook" and done["queue_position"] is None
    assert done["progress"] == {"done": 2, "total": 2}
    image = client.get(done["image_url"])
    assert image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).getpixel((0, 0)) == (200, 30, 30)
    assert fake.runs == {order["id"]: 1}
    token = client.portal.call(client.app.state.services.book.get, order["id"]).token
    assert token in fake.webhook_urls[order["id"]]
    assert "token" not in json.dumps(done) and token not in json.dumps(done) and PUBLIC_URL not in json.dumps(done)


def test_a_finished_order_is_read_from_the_store_and_never_run_again(client: TestClient, fake: FakeCog) -> None:
    # Problem 1: coglet forgets a finished prediction and runs a repeated PUT again.
    order = submit(client)
    wait_for_order(client, order["id"], finished)
    for _ in range(20):
        assert client.get(f"/api/renders/{order['id']}").json()["status"] == "succeeded"
    with client.stream("GET", order["events_url"]) as stream:
        lines = [line for line in stream.iter_lines() if line.startswith("data:")]
    assert json.loads(lines[-1].removeprefix("data:"))["status"] == "succeeded"
    assert fake.runs[order["id"]] == 1 and [s for i, s in fake.answers if i == order["id"]] == [202]


def test_without_any_webhook_the_order_fails_as_lost_and_is_never_sent_again(tmp_path, fake: FakeCog) -> None:
    # Problem 1: a PUBLIC_URL coglet cannot reach. The old watcher PUT it again every 10 s (6 runs in 50 s).
    with cog_app(tmp_path, fake) as client:
        fake.deliver = nowhere
        order = submit(client)
        failed = wait_for_order(client, order["id"], finished)
    fake.wait_idle()
    assert failed["status"] == "failed" and failed["error"]["code"] == "render_lost"
    assert is_cyrillic(failed["error"]["message"])
    assert fake.runs[order["id"]] == 1 and len([a for a in fake.answers if a[0] == order["id"]]) == 1
    assert sum(1 for d in fake.deliveries if d[1] == "succeeded") == 13  # coglet's 12 retries, all refused


def test_repeated_and_late_webhooks_cannot_undo_a_finished_order(client: TestClient, fake: FakeCog) -> None:
    order = submit(client)
    wait_for_order(client, order["id"], finished)
    hook = fake.webhook_urls[order["id"]].removeprefix(PUBLIC_URL)
    assert hook.startswith(f"/api/webhooks/cog/{order['id']}/") and len(hook.rsplit("/", 1)[-1]) >= 40
    late = client.post(hook, json={"id": order["id"], "status": "processing", "logs": "step 1/20"})
    again = client.post(hook, json={"id": order["id"], "status": "failed", "error": "x"})
    assert late.json() == {"accepted": False} and again.json() == {"accepted": False}
    assert client.get(f"/api/renders/{order['id']}").json()["status"] == "succeeded"
    other = client.post(hook, json={"id": "another", "status": "succeeded"})
    assert other.status_code == 400


@pytest.mark.parametrize("change", ["token", "order", "both"])
def test_a_webhook_with_a_wrong_token_or_order_is_a_404(client: TestClient, fake: FakeCog, change: str) -> None:
    fake.stop()  # keep the orders waiting
    order, other = submit(client), submit(client, seed=12)
    real_token = client.portal.call(client.app.state.services.book.get, order["id"]).token
    # "order": this order's real token opens no other order; "both": neither is known.
    order_id = {"token": order["id"], "order": other["id"], "both": "unknown"}[change]
    token = real_token if change == "order" else "x" * 43
    reply = client.post(f"/api/webhooks/cog/{order_id}/{token}", json={"id": order_id, "status": "succeeded",
                                                                       "output": png_data_uri()})
    assert reply.status_code == 404
    assert [client.get(f"/api/renders/{o['id']}").json()["status"] for o in (order, other)] == ["queued", "queued"]
    assert real_token not in reply.text


def test_a_failed_prediction_says_so_in_the_orders_language_with_the_servers_words(client: TestClient,
                                                                                  fake: FakeCog) -> None:
    fake.fail_with = "CUDA out of memory"
    failed = wait_for_order(client, submit(client)["id"], finished)
    assert failed["error"]["code"] == "prediction_failed" and is_cyrillic(failed["error"]["message"])
    assert failed["error"]["detail"] == "CUDA out of memory"
    fake.fail_with = "boom"
    english = wait_for_order(client, submit(client, language="en")["id"], finished)
    assert english["error"]["message"].startswith("The picture could not be drawn")


def test_unknown_renders_and_ids_coglet_could_not_take_are_a_404(client: TestClient) -> None:
    for path in ("/api/renders/nope", "/api/renders/nope/events", "/api/renders/nope/image",
                 "/api/renders/" + "x" * 300, "/api/renders/..%2F..%2Fetc"):
        assert client.get(path).status_code == 404, path


def test_a_bad_order_never_reaches_the_cog_server(client: TestClient, fake: FakeCog) -> None:
    for order in (ORDER | {"mix": "50% перл, 50% белый"}, ORDER | {"size": 4096}, ORDER | {"framing": "wide"}):
        assert client.post("/api/renders", json=order).status_code == 422
    assert fake.answers == []
