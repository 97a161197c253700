"""`make web` (scripts/web.sh) starts the Cog server it needs and stops it with itself; two make targets
started at once build the virtual environment once, one after the other (a lock)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from rubber_tile_dev.cog_server import free_port, group_processes

PROJECT_DIR = Path(__file__).resolve().parent.parent


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as reply:
        return json.load(reply)


def wait_json(url: str, timeout: float, log: Path) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return get_json(url)
        except OSError:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)


@pytest.mark.server
@pytest.mark.usefixtures("coglet_runs_here")
def test_make_web_starts_the_cog_server_and_stops_it_with_itself(tmp_path) -> None:
    web_port, cog_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("COG_URL", "REPLICATE_API_TOKEN")} | {
        "PORT": str(web_port), "COG_PORT": str(cog_port), "WEB_RENDER_WORKERS": "0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'orders.sqlite3'}", "WEB_LOG_DIR": str(tmp_path)}
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        web = subprocess.Popen(["bash", "scripts/web.sh"], cwd=PROJECT_DIR, env=env, stdout=out,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        health = wait_json(f"http://127.0.0.1:{web_port}/api/health", 120, log)
        assert health["render_backend"] == "preview" and health["render_server"] is True
        cog_health = get_json(f"http://127.0.0.1:{cog_port}/health-check")
        assert cog_health["status"] in ("READY", "STARTING")
    finally:
        os.killpg(web.pid, signal.SIGINT)  # Ctrl-C in the terminal
        web.wait(timeout=60)
    time.sleep(0.5)
    assert group_processes(web.pid) == [], log.read_text()[-2000:]
    with pytest.raises(OSError):
        get_json(f"http://127.0.0.1:{cog_port}/health-check")  # the Cog server it started is gone
    assert "stopped the Cog server" in log.read_text()


def test_two_make_targets_started_at_once_build_the_venv_once(tmp_path) -> None:
    if shutil.which("flock") is None or shutil.which("make") is None:
        pytest.skip("flock or make is not installed")
    shutil.copy(PROJECT_DIR / "Makefile", tmp_path / "Makefile")
    for name in ("requirements.txt", "requirements-dev.txt", "requirements-web.txt", "pyproject.toml"):
        (tmp_path / name).write_text("")
    calls = tmp_path / "calls.log"
    # A stand-in for python3: `-m venv DIR` makes DIR/bin/python, which logs each pip run and takes 1 s.
    fake_python = tmp_path / "python3"
    fake_python.write_text(f"""#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin"; cp "$0" "$3/bin/python"; echo "venv $$" >> {calls}; exit 0
fi
echo "start $$ $*" >> {calls}; sleep 0.3; echo "end $$" >> {calls}
""")
    fake_python.chmod(0o755)
    runs = [subprocess.Popen(["make", "--no-print-directory", "-C", str(tmp_path), target, f"PYTHON={fake_python}"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for target in ("setup", ".venv/.web-installed")]
    outputs = [run.communicate(timeout=60)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    lines = calls.read_text().splitlines()
    assert sum(line.startswith("venv") for line in lines) == 1, lines  # built once
    depth = 0
    for line in lines:  # never two pip runs at once
        depth += line.startswith("start") - line.startswith("end")
        assert depth <= 1, lines
