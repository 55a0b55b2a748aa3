"""Load on the JSON API: requests per second and latency percentiles for ``/plan`` and
the ``.ics`` export, with the server on one and on two workers.

Run:  python benchmarks/bench_web.py [--requests 400] [--clients 8]

Starts ``taperplan serve`` on a free loopback port for each worker count, then keeps
``--clients`` requests in flight over the clinic panel (``tests/data/clinic``, each
regimen file sent as its TOML text) until ``--requests`` have completed. Every request
must succeed (status 200); the run stops at the first that does not.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parents[1]
PANEL = sorted((ROOT / "tests" / "data" / "clinic").glob("*.toml"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [
        sys.executable,
        "-c",
        "import sys; from taperplan.cli.main import main; sys.exit(main(sys.argv[1:]))",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)  # noqa: S603 - our own command
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.2)
    time.sleep(1.0 * workers)  # every worker up
    return process, base


async def _run(base: str, path: str, total: int, clients: int) -> tuple[float, list[float]]:
    bodies = [{"regimen": p.read_text(encoding="utf-8"), "start": "2027-01-04"} for p in PANEL]
    latencies: list[float] = []
    next_index = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal next_index
        while next_index < total:
            body = bodies[next_index % len(bodies)]
            next_index += 1
            began = time.perf_counter()
            answer = await client.post(base + path, json=body)
            latencies.append(time.perf_counter() - began)
            if answer.status_code != 200:
                raise SystemExit(f"{path}: status {answer.status_code}: {answer.text[:300]}")

    async with httpx.AsyncClient(timeout=60) as client:
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return len(latencies) / elapsed, latencies


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} cores; {len(PANEL)} clinic regimens"
    )
    print("| workers | endpoint | requests/s | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|---|")
    for workers in (1, 2):
        process, base = _serve(workers)
        try:
            for path in ("/api/v1/plan", "/api/v1/export/ics"):
                asyncio.run(_run(base, path, min(40, args.requests), args.clients))  # warm up
                rate, latencies = asyncio.run(_run(base, path, args.requests, args.clients))
                print(
                    f"| {workers} | {path} | {rate:.1f} | {statistics.median(latencies) * 1000:.0f} | "
                    f"{_percentile(latencies, 0.95):.0f} | {_percentile(latencies, 0.99):.0f} |"
                )
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
