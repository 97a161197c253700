"""The real Cog server (Rust coglet) on 127.0.0.1 for tests and the load test, and a webhook receiver.

`CogServer` starts `python -m cog.server.http` from the project folder on a free port, the venv first
on PATH (coglet starts its worker as plain `python`), in its own process group so that stopping it
also ends the worker. Its output goes to a log file that failures quote. Every request goes to
127.0.0.1 and every wait has a deadline. Used by tests/test_server.py and scripts/bench/load_test.py.
"""

from __future__ import annotations

import atexit
import base64
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = [
    "CogServer",
    "Response",
    "ServerError",
    "WebhookReceiver",
    "coglet_unavailable_reason",
    "decode_data_uri",
    "free_port",
    "group_processes",
    "venv_bin_dir",
]

# The checkout this package is installed from (editable): predict.py and scripts/serve.sh live there.
PROJECT_DIR = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
DEFAULT_PREDICTOR = "predict.py:Predictor"
READY_TIMEOUT_S = 180.0
REQUEST_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 15.0
BUSY_RETRY_S = 10.0
POLL_INTERVAL_S = 0.1

_running: set[CogServer] = set()


def venv_bin_dir() -> Path:
    """The bin folder of the Python running this code (the project venv under `make test`)."""
    return Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def group_processes(group_id: int) -> list[int]:
    """The ids of the live processes in a process group, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) == group_id and not _is_zombie(entry):
                members.append(int(entry.name))
        except (ProcessLookupError, FileNotFoundError):
            continue  # it ended while we looked
    return members


def _is_zombie(proc_entry: Path) -> bool:
    state = next(line for line in (proc_entry / "status").read_text().splitlines() if line.startswith("State:"))
    return state.split()[1] == "Z"


def coglet_unavailable_reason() -> str | None:
    """Why coglet cannot run here, or None when it can."""
    probe = subprocess.run(
        [sys.executable, "-c", "import coglet, cog.server.http; print(coglet.__version__)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if probe.returncode != 0:
        return f"coglet cannot be imported by {sys.executable}: {probe.stderr.strip()[-500:]}"
    return None


class ServerError(RuntimeError):
    """The server did not do what a test waited for; the message carries the end of its log."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class CogServer:
    """One coglet server process; use as a context manager or call start() and stop()."""

    def __init__(
        self,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        predictor: str = DEFAULT_PREDICTOR,
        port: int | None = None,
        via_serve_script: bool = False,
    ) -> None:
        """`via_serve_script` starts it the way `make serve` does (scripts/serve.sh, which also
        refuses a stale schema) instead of running `python -m cog.server.http` directly."""
        self.log_path = log_path
        self.via_serve_script = via_serve_script
        self.port = port or free_port()
        self.predictor = predictor
        self.extra_env = dict(env or {})
        self.process: subprocess.Popen | None = None
        self.group_id: int | None = None  # the server's pid, kept after stop() for checks
        self._log_file: io.BufferedWriter | None = None

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.extra_env)
        env["PATH"] = f"{venv_bin_dir()}{os.pathsep}{env.get('PATH', '')}"
        env["PORT"] = str(self.port)
        env["COG_PREDICT_TYPE_STUB"] = self.predictor
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def start(self) -> CogServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = self.log_path.open("wb")
        command = (
            ["bash", str(PROJECT_DIR / "scripts" / "serve.sh")]
            if self.via_serve_script
            else [sys.executable, "-m", "cog.server.http", "--host", HOST]
        )
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends the worker with it
        )
        self.group_id = self.process.pid
        _running.add(self)
        return self

    def stop(self) -> None:
        """End the server and its worker: SIGTERM, a grace period, then SIGKILL to the whole group."""
        process = self.process
        if process is None:
            return
        try:
            if process.poll() is None:
                self._signal_group(signal.SIGTERM)
                try:
                    process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    self._signal_group(signal.SIGKILL)
                    process.wait(timeout=STOP_TIMEOUT_S)
            if not self._group_exits_within(STOP_TIMEOUT_S / 3):
                self._signal_group(signal.SIGKILL)  # a worker that outlived its server
                if not self._group_exits_within(STOP_TIMEOUT_S):
                    raise ServerError(f"processes {group_processes(process.pid)} of the server survived SIGKILL")
        finally:
            if self._log_file is not None:
                self._log_file.close()
            _running.discard(self)
            self.process = None

    def _group_exits_within(self, seconds: float) -> bool:
        assert self.group_id is not None
        deadline = time.monotonic() + seconds
        while group_processes(self.group_id):
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_INTERVAL_S / 2)
        return True

    def _signal_group(self, sig: int) -> None:
        assert self.group_id is not None
        try:
            os.killpg(self.group_id, sig)
        except ProcessLookupError:
            pass  # the whole group has already exited

    def __enter__(self) -> CogServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.is_file() else ""

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_text()[-chars:]

    def prediction_log(self, prediction_id: str) -> list[str]:
        """The messages coglet logged for one prediction (its own and the predictor's), in order.

        coglet writes one JSON object a line; the sync reply of a failed prediction can come back
        with empty `logs`, so tests read them here.
        """
        messages = []
        for line in self.log_text().splitlines():
            if not line.startswith("{"):
                continue
            fields = json.loads(line).get("fields", {})
            if fields.get("prediction_id") == prediction_id:
                messages.append(str(fields.get("message", "")))
        return messages

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = REQUEST_TIMEOUT_S,
    ) -> Response:
        """One HTTP request to this server; `body` is sent as JSON unless it is bytes."""
        payload = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=payload, headers=all_headers)
            reply = connection.getresponse()
            return Response(reply.status, reply.read())
        finally:
            connection.close()

    def predict(
        self,
        inputs: Mapping[str, Any],
        timeout: float = REQUEST_TIMEOUT_S,
        busy_retry_s: float = BUSY_RETRY_S,
        **fields: Any,
    ) -> Response:
        """A synchronous POST /predictions, sent again for up to `busy_retry_s` while the answer is 409."""
        body = {"input": dict(inputs), **fields}
        return self._post_when_free(body, {}, timeout, busy_retry_s)

    def predict_async(
        self,
        inputs: Mapping[str, Any],
        webhook: str,
        events: list[str] | None = None,
        busy_retry_s: float = BUSY_RETRY_S,
        **fields: Any,
    ) -> Response:
        """POST /predictions with `Prefer: respond-async` and a webhook (202 when accepted)."""
        body = {"input": dict(inputs), "webhook": webhook, **fields}
        if events is not None:
            body["webhook_events_filter"] = events
        return self._post_when_free(body, {"Prefer": "respond-async"}, REQUEST_TIMEOUT_S, busy_retry_s)

    def _post_when_free(self, body: Any, headers: Mapping[str, str], timeout: float, busy_retry_s: float) -> Response:
        # coglet sends a prediction's final answer (reply or webhook) a moment before its slot is free
        # again, so a client that sends the next prediction at once can get 409: retry those briefly.
        deadline = time.monotonic() + busy_retry_s
        while True:
            reply = self.request("POST", "/predictions", body, headers=headers, timeout=timeout)
            if reply.status != 409 or time.monotonic() >= deadline:
                return reply
            time.sleep(POLL_INTERVAL_S / 2)

    def health(self) -> dict[str, Any]:
        return self.request("GET", "/health-check", timeout=10).json()

    def wait_for_status(self, *statuses: str, timeout: float = READY_TIMEOUT_S) -> dict[str, Any]:
        """Poll /health-check until its status is one of `statuses`; fail early if the server exits."""
        deadline = time.monotonic() + timeout
        last: dict[str, Any] | str = "no answer yet"
        while time.monotonic() < deadline:
            if not self.is_running():
                raise ServerError(f"server exited with {self.process and self.process.returncode}:\n{self.log_tail()}")
            try:
                last = self.health()
            except (ConnectionError, OSError, http.client.HTTPException) as error:
                last = f"{type(error).__name__}: {error}"
            else:
                if last.get("status") in statuses:
                    return last
            time.sleep(POLL_INTERVAL_S)
        raise ServerError(f"health-check never reached {statuses} in {timeout:.0f} s (last: {last!r}):\n{self.log_tail()}")


@atexit.register
def _stop_leftover_servers() -> None:
    for server in list(_running):
        server.stop()


def decode_data_uri(uri: str) -> tuple[str, bytes]:
    """(mime type, bytes) of a `data:<mime>;base64,<data>` URI."""
    header, _, data = uri.partition(",")
    if not header.startswith("data:") or not header.endswith(";base64"):
        raise ValueError(f"not a base64 data URI: {uri[:60]!r}")
    return header[len("data:") : -len(";base64")], base64.b64decode(data)


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", "0"))
                event = json.loads(self.rfile.read(length))
                with receiver._changed:
                    receiver.events.append(event)
                    receiver._changed.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass  # one line per webhook would flood the test output

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}/webhook"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=STOP_TIMEOUT_S)

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def for_prediction(self, prediction_id: str) -> list[dict[str, Any]]:
        with self._changed:
            return [event for event in self.events if event.get("id") == prediction_id]

    def wait_for(self, condition: Callable[[list[dict[str, Any]]], bool], timeout: float) -> list[dict[str, Any]]:
        """Wait until `condition(events so far)` holds; returns a copy of the events."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self.events):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    summary = [(e.get("id"), e.get("status")) for e in self.events[-20:]]
                    raise ServerError(f"webhooks never met the condition in {timeout:.0f} s; last events: {summary}")
                self._changed.wait(remaining)
            return list(self.events)

    def wait_for_completion(self, prediction_id: str, timeout: float) -> dict[str, Any]:
        """The `completed` event of one prediction (the first with a final status)."""
        final = ("succeeded", "failed", "canceled")

        def done(events: list[dict[str, Any]]) -> bool:
            return any(e.get("id") == prediction_id and e.get("status") in final for e in events)

        events = self.wait_for(done, timeout)
        return next(e for e in events if e.get("id") == prediction_id and e.get("status") in final)
