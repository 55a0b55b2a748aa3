"""Run taperplan command lines, each in its own process, and measure each one.

tests/test_hostile.py starts this module once (``python tests/hostile_runner.py``) and
writes a JSON list of runs to its standard input: ``{"argv": [...], "cwd": FOLDER, "capture":
PREFIX}``. The module imports every command once, then forks a child per run: the child
changes to ``cwd``, sends its standard output and error to ``PREFIX.out`` and ``PREFIX.err``
(real file descriptors, as a shell would), runs ``taperplan.cli.main.main(argv)`` and exits
with its code. The parent waits for it with ``os.wait4`` and writes one JSON result per run:
the exit code, the wall-clock seconds from fork to exit and the child's largest resident
size (``ru_maxrss``, in KiB on Linux).

A fresh ``python -m`` process per case would spend most of its time importing; a forked child
starts with everything imported, so its time is the command's own, and its resident size is
what a real process would hold (the imported modules included). A child that runs away is
stopped after 20 seconds (SIGALRM) and may not take more than 2 GiB of address space, so a
regression fails the test instead of the machine.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import signal
import sys
import time
from typing import Any

_ALARM_SECONDS = 20
_ADDRESS_SPACE = 2 << 30


def _child(run: dict[str, Any]) -> None:  # pragma: no cover - runs in the forked child
    from taperplan.cli.main import main  # noqa: PLC0415 - imported by the parent already

    code = 70
    try:
        os.chdir(run["cwd"])
        for descriptor, suffix in ((1, ".out"), (2, ".err")):
            target = os.open(run["capture"] + suffix, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, descriptor)
            os.close(target)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        resource.setrlimit(resource.RLIMIT_AS, (_ADDRESS_SPACE, _ADDRESS_SPACE))
        signal.alarm(_ALARM_SECONDS)
        code = main(run["argv"])
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def measure(run: dict[str, Any]) -> dict[str, Any]:
    """Run one command line in a forked child; its exit code, seconds and max RSS (KiB)."""
    sys.stdout.flush()
    sys.stderr.flush()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        _child(run)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - started
    return {
        "code": os.waitstatus_to_exitcode(status),
        "seconds": seconds,
        "max_rss_kib": usage.ru_maxrss,
    }


def main() -> None:
    from taperplan.cli.main import COMMANDS  # noqa: PLC0415

    for command in COMMANDS.values():
        importlib.import_module(command.module)
    runs = json.load(sys.stdin)
    results = [measure(run) for run in runs]
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
