"""The configurator as a real uvicorn process on 127.0.0.1, for the browser tests and the load script.

Like cog_server.CogServer: a free port, its own process group (stopping it ends its preview
workers too), its output in a log file that failures quote, and a deadline on every wait.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .cog_server import HOST, PROJECT_DIR, ServerError, free_port, group_processes

__all__ = ["WebAppProcess"]

READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


class WebAppProcess:
    """`python -m rubber_tile.web` with `env` on top of this environment; a context manager.

    Its orders go to a SQLite file beside its log unless `env` names a DATABASE_URL, so no test or
    benchmark writes into the project's own store (var/web/).
    """

    def __init__(self, log_path: Path, env: Mapping[str, str] | None = None, port: int | None = None) -> None:
        self.log_path = log_path
        self.port = port or free_port()
        self.extra_env = dict(env or {})
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> WebAppProcess:
        own_store = {"DATABASE_URL": f"sqlite:///{self.log_path.with_name(self.log_path.stem + '-orders.sqlite3')}"}
        env = dict(os.environ) | own_store | self.extra_env | {"PORT": str(self.port), "HOST": HOST, "PYTHONUNBUFFERED": "1"}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "rubber_tile.web"],
                cwd=PROJECT_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_until_ready(self, timeout: float = READY_TIMEOUT_S) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise ServerError(f"the configurator exited:\n{self.log_tail()}")
            try:
                status, body = self.get("/api/health")
                if status == 200:
                    return json.loads(body)
                last = f"HTTP {status}"
            except OSError as error:
                last = f"{type(error).__name__}: {error}"
            time.sleep(0.1)
        raise ServerError(f"the configurator was not ready in {timeout:.0f} s ({last}):\n{self.log_tail()}")

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            connection.request("GET", path)
            reply = connection.getresponse()
            return reply.status, reply.read()
        finally:
            connection.close()

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.is_file() else ""

    def stop(self) -> None:
        """SIGTERM to the whole group (uvicorn and its preview workers), SIGKILL after a grace period."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT_S)
        if group_processes(process.pid):  # a preview worker that outlived the server
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass  # it ended meanwhile

    def __enter__(self) -> WebAppProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
