"""The web app's tests: an in-process client, and a real server on loopback for the
browser tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from support import in_ci

pytest.importorskip("starlette", reason='the web extra is not installed: pip install ".[test]"')


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    """Starlette's test client on the app (no server, no network)."""
    from starlette.testclient import TestClient  # noqa: PLC0415

    from taperplan.web.app import create_app  # noqa: PLC0415

    with TestClient(create_app(), base_url="http://127.0.0.1:8000") as test_client:
        yield test_client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """``taperplan serve`` on a free loopback port; its base URL."""
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from taperplan.cli.main import main; sys.exit(main(sys.argv[1:]))",
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None:
                pytest.fail(
                    f"taperplan serve exited: {process.stderr.read().decode() if process.stderr else ''}"
                )
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("taperplan serve did not start within 30 s")
    yield base
    process.terminate()
    process.wait(timeout=10)
    if process.stderr is not None:
        process.stderr.close()


def missing(reason: str) -> None:
    """A missing browser or driver: a failure in CI, a skip with its reason elsewhere."""
    if in_ci():
        pytest.fail(f"browser test client missing under CI: {reason}")
    pytest.skip(reason)
