"""Problems 5-7 of the issue: per-client limits, preview sizes above the page's own only with a key,
request timeouts, the picture pinned to a data: URI, ids checked before coglet sees them, /api/health."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from rubber_tile.web import SettingsError, WebSettings
from rubber_tile.web.backends import CogBackend
from rubber_tile.web.limits import RequestTimeout
from rubber_tile_dev.fake_cog import FakeCog
from tests.support.web import cog_app, finished, is_cyrillic, wait_for_order, web_settings

ORDER = {"mix": "50% red, 50% white", "seed": 1, "language": "en"}


def test_orders_per_client_are_rate_limited_in_the_orders_language(tmp_path, fake: FakeCog) -> None:
    with cog_app(tmp_path, fake, order_rate_limit="2/minute") as client:
        answers = [client.post("/api/renders", json=ORDER | {"seed": s, "language": "ru"}) for s in range(3)]
        other = TestClient(client.app, client=("10.9.9.9", 1)).post("/api/renders", json=ORDER)
    assert [a.status_code for a in answers] == [202, 202, 429]
    refusal = answers[-1]
    assert refusal.json()["error"]["code"] == "rate_limited" and is_cyrillic(refusal.json()["error"]["message"])
    assert 1 <= int(refusal.headers["retry-after"]) <= 60 and other.status_code == 202


def test_a_client_has_at_most_its_cap_of_open_orders_and_the_queue_a_length(tmp_path, fake: FakeCog) -> None:
    fake.stop()  # nothing is sent: every order stays queued
    with cog_app(tmp_path, fake, orders_open_per_client=2, queue_max=3, render_server_dead_after_s=60) as client:
        mine = [client.post("/api/renders", json=ORDER | {"seed": s}).status_code for s in range(3)]
        others = [TestClient(client.app, client=(f"10.0.0.{i}", 1)).post("/api/renders", json=ORDER).status_code
                  for i in range(3)]
    assert mine == [202, 202, 429] and others == [202, 503, 503]


def test_previews_above_the_pages_size_need_the_key(tmp_path) -> None:
    settings = web_settings(tmp_path, preview_key="s3cret", preview_free_size=1024)
    from rubber_tile.web import create_app

    with TestClient(create_app(settings)) as client:
        query = {"mix": "100% red", "seed": 1, "size": 1536, "language": "ru"}
        refused = client.get("/api/preview", params=query)
        wrong = client.get("/api/preview", params=query, headers={"X-Preview-Key": "guess"})
        allowed = client.get("/api/preview", params=query, headers={"X-Preview-Key": "s3cret"})
        page_size = client.get("/api/preview", params=query | {"size": 1024})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "preview_size_needs_key"
    assert is_cyrillic(refused.json()["error"]["message"]) and wrong.status_code == 403
    assert allowed.status_code == 200 and page_size.status_code == 200


def test_layouts_above_the_free_size_need_the_key_as_previews_do(tmp_path) -> None:
    from rubber_tile.web import create_app

    with TestClient(create_app(web_settings(tmp_path, preview_key="s3cret", preview_free_size=512))) as client:
        query = {"seed": 1, "size": 1024, "language": "en"}
        refused = client.get("/api/preview/layout", params=query)
        allowed = client.get("/api/preview/layout", params=query, headers={"X-Preview-Key": "s3cret"})
        free = client.get("/api/preview/layout", params=query | {"size": 512})
        bad_grade = client.get("/api/preview/layout", params={"seed": 1, "grade": "gravel", "language": "en"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "preview_size_needs_key"
    assert allowed.status_code == 200 and free.status_code == 200
    assert bad_grade.status_code == 422 and "grade" in bad_grade.json()["error"]["message"]


def test_previews_are_rate_limited_by_cost(tmp_path) -> None:
    from rubber_tile.web import create_app

    with TestClient(create_app(web_settings(tmp_path, preview_rate_limit="8/minute"))) as client:
        small = [client.get("/api/preview", params={"mix": "100% red", "seed": s}).status_code for s in range(4)]
        large = client.get("/api/preview", params={"mix": "100% red", "seed": 9, "size": 1024})  # costs 4
        over = client.get("/api/preview", params={"mix": "100% red", "seed": 10})
    assert small == [200] * 4 and large.status_code == 200
    assert over.status_code == 429 and over.json()["error"]["code"] == "rate_limited" and "retry-after" in over.headers


def test_health_says_whether_the_render_server_answers_and_what_it_draws(tmp_path, fake: FakeCog) -> None:
    with cog_app(tmp_path, fake, cog_render_backend="preview") as client:
        up = client.get("/api/health").json()
        fake.stop()
        time.sleep(0.6)  # the app asks the render server at most every half second
        down = client.get("/api/health").json()
    assert up["render_server"] is True and up["render_backend"] == "preview" and up["status"] == "ok"
    assert down["render_server"] is False and down["status"] == "degraded"


def test_a_cog_output_that_is_not_a_data_uri_fails_the_order(tmp_path, fake: FakeCog) -> None:
    with cog_app(tmp_path, fake) as client:
        fake.stop()
        order = client.post("/api/renders", json=ORDER).json()
        stored = client.portal.call(client.app.state.services.book.get, order["id"])
        hook = f"/api/webhooks/cog/{order['id']}/{stored.token}"
        reply = client.post(hook, json={"id": order["id"], "status": "succeeded", "output": "http://evil.example/x"})
        state = client.get(f"/api/renders/{order['id']}").json()
    assert reply.status_code == 400 and state["status"] == "failed" and state["image_url"] is None
    assert state["error"]["code"] == "render_server_unreadable"


def test_an_id_coglet_cannot_take_is_never_sent(tmp_path) -> None:
    # coglet joins the id to a path and keeps its slot for ever when that fails (issue, problem 7).
    seen: list[httpx.Request] = []
    settings = web_settings(tmp_path)
    backend = CogBackend(settings, transport=httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(500)))
    fake_order = type("O", (), {"id": "../../etc/passwd", "request": {}, "token": "t"})()
    for bad_id in ("../../etc/passwd", "a/b", "x" * 300, ""):
        fake_order.id = bad_id
        result = asyncio.run(backend.send(fake_order))
        assert result.outcome == "refused" and result.proves_not_started
    assert seen == []


def test_a_stalled_body_gets_408_and_a_slow_answer_503() -> None:
    async def slow_app(scope, receive, send) -> None:
        await receive()
        await asyncio.sleep(5)

    async def call(app, receive) -> list[dict]:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        await app({"type": "http", "path": "/api/mix", "headers": []}, receive, send)
        return sent

    async def stalled() -> dict:
        await asyncio.sleep(10)
        return {"type": "http.request", "body": b""}

    async def complete() -> dict:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    guarded = RequestTimeout(slow_app, total_s=0.3, body_s=0.1)
    assert asyncio.run(call(guarded, stalled))[0]["status"] == 408
    assert asyncio.run(call(guarded, complete))[0]["status"] == 503


def test_new_settings_come_from_the_environment_with_their_names() -> None:
    config = WebSettings.from_env({"DATABASE_URL": "postgresql+psycopg://u@db/tiles", "PREVIEW_KEY": "k",
                                   "ORDER_RATE_LIMIT": "1/second", "REPLICATE_DAILY_CAP": "7", "RENDER_BACKEND": "sdxl"})
    assert (config.database_url, config.preview_key, config.order_rate_limit, config.replicate_daily_cap,
            config.render_backend) == ("postgresql+psycopg://u@db/tiles", "k", "1/second", 7, "sdxl")
    with pytest.raises(SettingsError, match="PREVIEW_RATE_LIMIT"):
        WebSettings.from_env({"PREVIEW_RATE_LIMIT": "lots"})
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        WebSettings.from_env({"DATABASE_URL": "mysql://x"})
    assert dataclasses.is_dataclass(config) is False  # a pydantic-settings BaseSettings, frozen
    with pytest.raises(Exception, match="frozen"):
        config.port = 1


def test_failed_orders_are_final_and_the_next_one_runs(tmp_path, fake: FakeCog) -> None:
    fake.fail_with = "boom"
    with cog_app(tmp_path, fake) as client:
        first = wait_for_order(client, client.post("/api/renders", json=ORDER).json()["id"], finished)
        second = wait_for_order(client, client.post("/api/renders", json=ORDER | {"seed": 2}).json()["id"], finished)
    assert first["status"] == "failed" and second["status"] == "succeeded"


def test_an_unexpected_error_is_still_json_the_page_can_read(tmp_path, fake: FakeCog) -> None:
    # Problem 4: a submit that broke inside gave a plain-text 500.
    with cog_app(tmp_path, fake) as client:
        book = client.app.state.services.book

        async def broken(*args) -> None:
            raise RuntimeError("the store fell over")

        book.add = broken
        browser = TestClient(client.app, raise_server_exceptions=False)
        reply = browser.post("/api/renders", json=ORDER)
    assert reply.status_code == 500 and reply.json()["error"]["code"] == "internal"
    assert "the store fell over" not in reply.text
