"""A throwaway PostgreSQL server on 127.0.0.1 for tests and benchmarks (Debian's `postgresql` package).

`TemporaryPostgres()` runs initdb and pg_ctl in a new folder under the system's temporary folder (as
the `postgres` user when this process is root, since PostgreSQL refuses to run as root; pytest's own
folders are closed to that user), with trust authentication on loopback only, and deletes it on stop;
`url` is a SQLAlchemy URL for psycopg. `unavailable_reason()` says why it cannot run here, or None.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from .cog_server import free_port

__all__ = ["TemporaryPostgres", "postgres_bin_dir", "unavailable_reason"]

USER = "tiles"
TIMEOUT_S = 60


def postgres_bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found:
        return found[-1].parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def unavailable_reason() -> str | None:
    if postgres_bin_dir() is None:
        return "PostgreSQL is not installed (apt-get install postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user to run PostgreSQL as"
    return None


class TemporaryPostgres:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="rubber-tile-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.bin = postgres_bin_dir()
        self.as_postgres = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=TIMEOUT_S)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(command[0]).name} failed: {done.stdout[-1000:]} {done.stderr[-1000:]}")

    def start(self) -> TemporaryPostgres:
        assert self.bin is not None, unavailable_reason()
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            shutil.chown(self.folder, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", USER, "--no-sync")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"),
                  "-w", "start")
        return self

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> TemporaryPostgres:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
