"""Load on the real Cog server (coglet) on 127.0.0.1, preview backend: prints the numbers for the notes.

    .venv/bin/python scripts/bench/load_test.py                       # 300 sequential + 100 async, 512 px
    .venv/bin/python scripts/bench/load_test.py --sequential 50 --async-count 10

Phase 1 sends sequential synchronous predictions and checks each output is a PNG of the asked size;
it samples the resident memory of the server and its worker (their whole process group) and
the files the predictions leave behind. Phase 2 sends async predictions with a webhook receiver
running here, one after another (the server has one slot), and counts the events that arrive.
Exit status 1 when a threshold is missed.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from rubber_tile_dev.cog_server import CogServer, WebhookReceiver, decode_data_uri, group_processes

MIXES = ("50% red, 30% black, 20% pearl", "100% sand", "25% blue, 25% white, 25% yellow, 25% green apple", "70% gray, 30% beige")
MAX_RSS_GROWTH_MB = 50.0
WARMUP_PREDICTIONS = 10
BUSY_RETRY_S = 0.05
BUSY_RETRIES = 200
WEBHOOK_TIMEOUT_S = 60.0


@dataclass
class SequentialResult:
    count: int = 0
    busy_retries: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    rss_mb: list[tuple[int, float]] = field(default_factory=list)  # (predictions done, MB)


@dataclass
class AsyncResult:
    submitted: int = 0
    busy_retries: int = 0
    start_events: int = 0
    completed_events: int = 0
    succeeded: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def group_rss_mb(group_id: int) -> float:
    """Resident memory of every process in a process group (server and worker), from /proc."""
    total_kb = 0
    for pid in group_processes(group_id):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue  # it ended while we looked
        total_kb += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total_kb / 1024


def folder_usage(folder: Path) -> tuple[int, float]:
    files = [path for path in folder.rglob("*") if path.is_file()]
    return len(files), sum(path.stat().st_size for path in files) / 2**20


def check_png(output: object, size: int) -> str | None:
    """None if `output` is a data URI of a PNG of size x size, else what is wrong."""
    if not isinstance(output, str):
        return f"output is {type(output).__name__}"
    mime, data = decode_data_uri(output)
    with Image.open(io.BytesIO(data)) as image:
        if mime != "image/png" or image.format != "PNG" or image.size != (size, size):
            return f"got {mime} {image.format} {image.size}"
    return None


def run_sequential(server: CogServer, count: int, size: int) -> SequentialResult:
    result = SequentialResult()
    group = server.process.pid
    for index in range(count):
        inputs = {"prompt": MIXES[index % len(MIXES)], "seed": index, "width": size, "height": size}
        started = time.perf_counter()
        for _ in range(BUSY_RETRIES):
            reply = server.predict(inputs, timeout=60, busy_retry_s=0)
            if reply.status != 409:
                break
            # coglet answers a moment before the slot is free again; a client retries 409.
            result.busy_retries += 1
            time.sleep(BUSY_RETRY_S)
        result.seconds.append(time.perf_counter() - started)
        result.count += 1
        prediction = reply.json() if reply.status == 200 else {}
        problem = (
            f"HTTP {reply.status}: {reply.text[:200]}"
            if reply.status != 200
            else (prediction.get("error") if prediction.get("status") != "succeeded" else check_png(prediction.get("output"), size))
        )
        if problem:
            result.failures.append(f"#{index}: {problem}")
        if index + 1 in (1, WARMUP_PREDICTIONS) or (index + 1) % 50 == 0 or index + 1 == count:
            result.rss_mb.append((index + 1, group_rss_mb(group)))
    return result


def run_async(server: CogServer, receiver: WebhookReceiver, count: int, size: int) -> AsyncResult:
    result = AsyncResult()
    started = time.perf_counter()
    for index in range(count):
        inputs = {"prompt": MIXES[index % len(MIXES)], "seed": 1000 + index, "width": size, "height": size}
        for _ in range(BUSY_RETRIES):
            reply = server.predict_async(inputs, receiver.url, events=["start", "completed"], busy_retry_s=0)
            if reply.status != 409:
                break
            # The completed webhook can arrive a moment before the slot is free again.
            result.busy_retries += 1
            time.sleep(BUSY_RETRY_S)
        if reply.status != 202:
            result.failures.append(f"#{index}: HTTP {reply.status}: {reply.text[:200]}")
            continue
        result.submitted += 1
        prediction_id = reply.json()["id"]
        completed = receiver.wait_for_completion(prediction_id, WEBHOOK_TIMEOUT_S)
        problem = completed.get("error") if completed["status"] != "succeeded" else check_png(completed.get("output"), size)
        if problem:
            result.failures.append(f"#{index}: {problem}")
        else:
            result.succeeded += 1
    result.seconds = time.perf_counter() - started
    time.sleep(0.5)  # let any late or duplicate webhook land before counting
    for event in receiver.events:
        if event.get("status") == "processing":
            result.start_events += 1
        elif event.get("status") in ("succeeded", "failed", "canceled"):
            result.completed_events += 1
    return result


def report_sequential(result: SequentialResult, size: int) -> bool:
    seconds = sorted(result.seconds)
    p95 = seconds[int(0.95 * (len(seconds) - 1))]
    print(
        f"sequential: {result.count} predictions at {size}x{size}, {len(result.failures)} failures, "
        f"{result.busy_retries} retries after 409"
    )
    print(f"  latency: median {statistics.median(seconds) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {seconds[-1] * 1000:.0f} ms")
    print("  server+worker RSS (MB) after n predictions: " + ", ".join(f"{n}: {mb:.1f}" for n, mb in result.rss_mb))
    after_warmup = next(mb for n, mb in result.rss_mb if n >= min(WARMUP_PREDICTIONS, result.count))
    growth = result.rss_mb[-1][1] - after_warmup
    print(f"  RSS growth after the {WARMUP_PREDICTIONS} warm-up predictions: {growth:+.1f} MB (limit {MAX_RSS_GROWTH_MB:.0f} MB)")
    for failure in result.failures[:10]:
        print(f"  failure {failure}")
    return not result.failures and growth < MAX_RSS_GROWTH_MB


def report_async(result: AsyncResult, count: int) -> bool:
    print(
        f"async: {result.submitted}/{count} accepted (202), {result.succeeded} succeeded, "
        f"webhooks: {result.start_events} start, {result.completed_events} completed, "
        f"{result.busy_retries} retries after 409, {result.seconds:.1f} s"
    )
    for failure in result.failures[:10]:
        print(f"  failure {failure}")
    return not result.failures and result.completed_events == count and result.succeeded == count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load on the real Cog server, preview backend.")
    parser.add_argument("--sequential", type=int, default=300)
    parser.add_argument("--async-count", type=int, default=100)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="load-test-") as work:
        work_dir = Path(work)
        scratch = work_dir / "tmp"  # the worker's TMPDIR: what predictions leave behind lands here
        scratch.mkdir()
        env = {"TILE_BACKEND": "preview", "TMPDIR": str(scratch)}
        with CogServer(work_dir / "server.log", env) as server, WebhookReceiver() as receiver:
            server.wait_for_status("READY")
            print(f"server ready on 127.0.0.1:{server.port}, RSS {group_rss_mb(server.process.pid):.1f} MB")
            sequential = run_sequential(server, args.sequential, args.size)
            sequential_ok = report_sequential(sequential, args.size)
            files, megabytes = folder_usage(scratch)
            print(f"  files left in the worker's TMPDIR: {files} ({megabytes:.1f} MB; only the latest output should stay)")
            sequential_ok = sequential_ok and files <= 1
            asynchronous = run_async(server, receiver, args.async_count, args.size)
            async_ok = report_async(asynchronous, args.async_count)
            print(f"final health: {server.health()['status']}")
    print("PASS" if sequential_ok and async_ok else "FAIL")
    return 0 if sequential_ok and async_ok else 1


if __name__ == "__main__":
    sys.exit(main())
