"""The real Cog server (coglet) on 127.0.0.1, as Replicate runs the model: `pytest -m server` runs these alone.

Three groups, one server start each where possible: the preview backend (fast) for the HTTP contract,
the tiny random-weight SDXL behind tests/support/server_predictors.py for out-of-memory, busy and cancel, and
one short-lived server per broken weight file for setup failures.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from rubber_tile_dev.cog_server import (
    CogServer,
    WebhookReceiver,
    decode_data_uri,
)
from tests.support.server_predictors import FREED_MEMORY_LOG, INJECTED_OOM_LOG, OOM_FLAG_ENV

pytestmark = [pytest.mark.server, pytest.mark.usefixtures("coglet_runs_here")]

PROJECT_DIR = Path(__file__).resolve().parent.parent
MIX = "50% red, 30% black, 20% pearl"
TEST_PREDICTOR = "tests/support/server_predictors.py:FaultInjectingPredictor"
WEBHOOK_TIMEOUT_S = 60.0
FINAL_STATUSES = ("succeeded", "failed", "canceled")


@pytest.fixture(scope="module")
def webhooks() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def png_of(output: str) -> Image.Image:
    mime, data = decode_data_uri(output)
    assert mime == "image/png"
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def step_numbers(messages: list[str]) -> list[int]:
    return [int(match[1]) for message in messages if (match := re.search(r"step (\d+)/\d+", message))]


# ---------------------------------------------------------------- the preview backend: the HTTP contract


@pytest.fixture(scope="module")
def worker_tmp(tmp_path_factory) -> Path:
    """The preview server's TMPDIR, where predict() writes its output files."""
    return tmp_path_factory.mktemp("worker_tmp")


@pytest.fixture(scope="module")
def preview_server(tmp_path_factory, worker_tmp) -> Iterator[CogServer]:
    """Started by scripts/serve.sh, as `make serve` starts it."""
    log_path = tmp_path_factory.mktemp("preview_server") / "server.log"
    env = {"TILE_BACKEND": "preview", "TMPDIR": str(worker_tmp)}
    with CogServer(log_path, env, via_serve_script=True) as server:
        server.wait_for_status("READY")
        yield server


def test_health_check_is_ready_and_openapi_is_the_bundled_schema(preview_server):
    assert "openapi_schema.json is up to date" in preview_server.log_text()  # serve.sh checked it
    health = preview_server.health()
    assert health["status"] == "READY" and health["setup"]["status"] == "succeeded"
    served = preview_server.request("GET", "/openapi.json").json()
    bundled = json.loads((PROJECT_DIR / ".cog" / "openapi_schema.json").read_text())
    assert served["components"]["schemas"]["Input"] == bundled["components"]["schemas"]["Input"]


def test_sync_prediction_returns_a_png_data_uri_of_the_asked_size(preview_server):
    reply = preview_server.predict({"prompt": MIX, "width": 512, "height": 576, "seed": 3})
    assert reply.status == 200, reply.text
    prediction = reply.json()
    assert prediction["status"] == "succeeded", prediction
    image = png_of(prediction["output"])
    assert image.format == "PNG" and image.size == (512, 576)
    assert image.text["seed"] == "3" and image.text["backend"] == "preview"


def test_async_prediction_sends_start_and_completed_webhooks_with_the_image(preview_server, webhooks):
    reply = preview_server.predict_async(
        {"prompt": MIX, "width": 512, "height": 512, "seed": 8}, webhooks.url, events=["start", "completed"]
    )
    assert reply.status == 202, reply.text
    prediction_id = reply.json()["id"]
    completed = webhooks.wait_for_completion(prediction_id, WEBHOOK_TIMEOUT_S)

    def start_arrived(events: list[dict]) -> bool:
        return any(e.get("id") == prediction_id and e.get("status") == "processing" for e in events)

    webhooks.wait_for(start_arrived, WEBHOOK_TIMEOUT_S)  # coglet sends `start` without waiting for it
    time.sleep(0.2)  # a stray extra event (logs, a duplicate) would land by now
    events = webhooks.for_prediction(prediction_id)
    assert sorted(event["status"] for event in events) == ["processing", "succeeded"]
    start = next(event for event in events if event["status"] == "processing")
    assert not start.get("output")
    assert png_of(completed["output"]).size == (512, 512)


def test_output_files_do_not_pile_up_on_a_long_running_server(preview_server, worker_tmp):
    for seed in range(4):
        prediction = preview_server.predict({"prompt": MIX, "width": 512, "height": 512, "seed": seed}).json()
        assert prediction["status"] == "succeeded", prediction
    left = [path for path in worker_tmp.rglob("*") if path.is_file()]
    assert len(left) <= 1, left  # only the latest prediction's image


@pytest.mark.parametrize(
    "inputs, field",
    [
        ({"prompt": MIX, "seed": "abc"}, "seed"),
        ({"prompt": MIX, "width": "512"}, "width"),
        ({"prompt": MIX, "preview": "yes"}, "preview"),
        ({"prompt": 42}, "prompt"),
        ({"seed": 1}, "prompt"),
        ({"prompt": MIX, "num_inference_steps": 0}, "num_inference_steps"),
        ({"prompt": MIX, "num_inference_steps": 2.5}, "num_inference_steps"),
        ({"prompt": MIX, "guidance_scale": 20.5}, "guidance_scale"),
        ({"prompt": MIX, "width": 4096}, "width"),
        ({"prompt": MIX, "seed": 2**32}, "seed"),
        ({"prompt": MIX, "seed": -2}, "seed"),
        ({"prompt": MIX, "output_format": "gif"}, "output_format"),
    ],
)
def test_inputs_of_the_wrong_type_or_range_get_422_naming_the_input(preview_server, inputs, field):
    reply = preview_server.predict(inputs)
    assert reply.status == 422, reply.text
    (problem,) = reply.json()["detail"]
    assert problem["loc"] == ["body", "input", field] and problem["msg"]


@pytest.mark.parametrize(
    "inputs, message",
    [
        ({"prompt": "50% red, 50% perl"}, r"unknown colour 'perl': did you mean 'pearl'"),
        ({"prompt": "50% red, 30% black"}, r"the shares add up to 80%, not 100%"),
        ({"prompt": "20% red, 20% black, 20% pearl, 20% sand, 20% beige"}, r"at most 4"),
        ({"prompt": "x" * 1_000_000}, r"prompt is 1000000 characters long; the limit is 2000"),
        ({"prompt": "50% red,\x0050% black"}, r"prompt contains a control character \('\\x00'\)"),
        ({"prompt": MIX, "negative_prompt": "blurry\x1b[2J"}, r"negative_prompt contains a control character"),
        ({"prompt": "   "}, r"prompt is empty"),
        ({"prompt": MIX, "width": 1001}, r"width must be a multiple of 8, got 1001: use 1000 or 1008"),
    ],
)
def test_inputs_the_schema_cannot_judge_fail_the_prediction_with_a_readable_error(preview_server, inputs, message):
    reply = preview_server.predict(inputs)
    assert reply.status == 200, reply.text[:500]
    prediction = reply.json()
    assert prediction["status"] == "failed" and "output" not in prediction
    assert re.search(message, prediction["error"]), prediction["error"]


def test_a_russian_mix_error_reaches_the_api_in_russian_with_its_structure_in_the_logs(preview_server, webhooks):
    reply = preview_server.predict_async({"prompt": "50% перл, 50% белый"}, webhooks.url, events=["completed"])
    assert reply.status == 202, reply.text
    prediction = webhooks.wait_for_completion(reply.json()["id"], WEBHOOK_TIMEOUT_S)
    assert prediction["status"] == "failed"
    # coglet 0.23 wraps every exception as "Prediction failed: Prediction failed: <type>: <message>"
    # (crates/coglet-python/src/predictor.rs); the message after it is ours, whole.
    wrapped = re.fullmatch(r"(?:Prediction failed: )+MixError: (.*)", prediction["error"], flags=re.DOTALL)
    assert wrapped, prediction["error"]
    assert wrapped.group(1).startswith("неизвестный цвет «перл»") and "Доступные цвета:" in wrapped.group(1)
    # The webhook (Replicate's and the configurator's path) carries the logs; a synchronous reply has none.
    logged = re.search(r"mix refused: (\{.*\})", prediction["logs"])
    assert logged, prediction["logs"]
    document = json.loads(logged.group(1))
    assert document["code"] == "unknown_colour" and document["fragment"] == "перл" and document["language"] == "ru"


def test_unknown_input_fields_are_stripped_by_coglet_and_named_in_the_server_log(preview_server):
    # coglet 0.23 drops inputs the schema does not name before run() sees them, "to match Replicate's
    # historical API behavior" (crates/coglet/src/transport/http/routes.rs): no predictor can refuse them.
    # This test notices if a later coglet lets them through (then run() would get them and fail).
    reply = preview_server.predict({"prompt": MIX, "width": 512, "height": 512, "granule_size": "large", "params_json": "{}"})
    assert reply.status == 200 and reply.json()["status"] == "succeeded", reply.text[:300]
    assert re.search(r"Stripped unknown input fields.*granule_size.*params_json", preview_server.log_text())


def test_the_server_stays_ready_after_bad_requests(preview_server):
    malformed = preview_server.request("POST", "/predictions", b"{not json")
    assert malformed.status in (400, 422)
    assert preview_server.wait_for_status("READY", timeout=30)["status"] == "READY"  # BUSY for a moment after a reply
    assert preview_server.predict({"prompt": MIX, "width": 512, "height": 512}).json()["status"] == "succeeded"


# ---------------------------------------------------------------- the tiny SDXL: out of memory, busy, cancel


@pytest.fixture(scope="module")
def oom_flag(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("oom") / "next-call-runs-out-of-memory"


@pytest.fixture(scope="module")
def sdxl_server(tmp_path_factory, tiny_weights_env, oom_flag) -> Iterator[CogServer]:
    log_path = tmp_path_factory.mktemp("sdxl_server") / "server.log"
    env = tiny_weights_env | {"TILE_BACKEND": "sdxl", OOM_FLAG_ENV: str(oom_flag)}
    with CogServer(log_path, env, predictor=TEST_PREDICTOR) as server:
        server.wait_for_status("READY")
        yield server


def sdxl_inputs(steps: int, seed: int = 1) -> dict[str, object]:
    return {"prompt": MIX, "width": 512, "height": 512, "num_inference_steps": steps, "seed": seed}


def test_sdxl_prediction_over_http_logs_every_step(sdxl_server):
    prediction = sdxl_server.predict(sdxl_inputs(steps=2)).json()
    assert prediction["status"] == "succeeded", prediction
    image = png_of(prediction["output"])
    assert image.size == (512, 512) and image.text["backend"] == "sdxl" and image.text["steps"] == "2"
    assert step_numbers(prediction["logs"].splitlines()) == [1, 2]


def test_out_of_memory_fails_that_prediction_frees_memory_and_the_next_one_succeeds(sdxl_server, oom_flag):
    oom_flag.touch()
    failed = sdxl_server.predict(sdxl_inputs(steps=2)).json()
    assert failed["status"] == "failed"
    assert "the GPU ran out of memory generating 512x512; memory was freed" in failed["error"]
    assert "smaller width and height" in failed["error"]
    log = sdxl_server.prediction_log(failed["id"])
    assert any(INJECTED_OOM_LOG in line for line in log) and any(FREED_MEMORY_LOG in line for line in log)
    assert not oom_flag.exists()
    assert sdxl_server.wait_for_status("READY", timeout=30)["status"] == "READY"
    assert sdxl_server.predict(sdxl_inputs(steps=2)).json()["status"] == "succeeded"


def test_put_with_the_same_id_is_idempotent_and_other_requests_get_409_while_busy(sdxl_server, webhooks):
    prediction_id = "put-idempotent-1"
    body = {"input": sdxl_inputs(steps=12), "webhook": webhooks.url, "webhook_events_filter": ["completed"]}
    async_header = {"Prefer": "respond-async"}
    sdxl_server.wait_for_status("READY", timeout=30)  # the previous prediction's slot is free again
    first = sdxl_server.request("PUT", f"/predictions/{prediction_id}", body, headers=async_header)
    again = sdxl_server.request("PUT", f"/predictions/{prediction_id}", body, headers=async_header)
    busy = sdxl_server.predict({"prompt": MIX, "preview": True, "width": 512, "height": 512}, busy_retry_s=0)
    health = sdxl_server.health()["status"]

    completed = webhooks.wait_for_completion(prediction_id, WEBHOOK_TIMEOUT_S)
    assert (first.status, again.status) == (202, 202)
    assert first.json()["id"] == again.json()["id"] == prediction_id
    assert busy.status == 409 and "busy" in busy.json()["error"]
    assert health == "BUSY"
    assert completed["status"] == "succeeded"
    assert sum(line == "Starting prediction" for line in sdxl_server.prediction_log(prediction_id)) == 1
    assert step_numbers(sdxl_server.prediction_log(prediction_id)) == list(range(1, 13))


def test_cancel_stops_denoising_between_steps_and_the_next_prediction_runs(sdxl_server, webhooks):
    asked_steps = 100
    reply = sdxl_server.predict_async(sdxl_inputs(steps=asked_steps), webhooks.url, events=["start", "logs", "completed"])
    assert reply.status == 202, reply.text
    prediction_id = reply.json()["id"]

    def reached_step_two(events: list[dict]) -> bool:
        return any(e.get("id") == prediction_id and "step 2/100" in (e.get("logs") or "") for e in events)

    webhooks.wait_for(reached_step_two, WEBHOOK_TIMEOUT_S)
    cancel = sdxl_server.request("POST", f"/predictions/{prediction_id}/cancel")
    assert cancel.status == 200
    completed = webhooks.wait_for_completion(prediction_id, WEBHOOK_TIMEOUT_S)
    assert completed["status"] == "canceled" and not completed.get("output")

    steps_at_cancel = step_numbers(sdxl_server.prediction_log(prediction_id))
    assert 2 <= len(steps_at_cancel) < asked_steps and steps_at_cancel == list(range(1, len(steps_at_cancel) + 1))
    assert sdxl_server.wait_for_status("READY", timeout=30)["status"] == "READY"

    # The one worker runs the next prediction: had the cancelled sampling gone on, its steps (of 100)
    # would show up under either prediction while this one runs.
    following = sdxl_server.predict(sdxl_inputs(steps=2)).json()
    assert following["status"] == "succeeded"
    assert step_numbers(sdxl_server.prediction_log(following["id"])) == [1, 2]
    assert not any("/100" in line for line in sdxl_server.prediction_log(following["id"]))
    assert step_numbers(sdxl_server.prediction_log(prediction_id)) == steps_at_cancel


def test_cancelling_an_unknown_prediction_is_404(sdxl_server):
    assert sdxl_server.request("POST", "/predictions/no-such-prediction/cancel").status == 404
