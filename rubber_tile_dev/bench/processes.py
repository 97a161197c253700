"""Child processes run to their end, with their own peak memory: the bake and each fresh-process load."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass

from rubber_tile.sdxl.paths import PROJECT_DIR

from .report import GIB


@dataclass(frozen=True)
class ChildRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_gib: float


def run_child(args: Sequence[str], env: dict[str, str] | None = None) -> ChildRun:
    """Run a command to its end; its own peak RSS comes from wait4, its output from temporary files."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(list(args), stdout=out, stderr=err, env=env, cwd=PROJECT_DIR)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ChildRun(process.returncode, out.read(), err.read(), seconds, usage.ru_maxrss * 1024 / GIB)


def checked(run: ChildRun, what: str) -> ChildRun:
    if run.returncode != 0:
        raise RuntimeError(f"{what} failed with exit status {run.returncode}:\n{run.stderr[-4000:]}")
    return run
