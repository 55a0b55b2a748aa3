"""``taperplan batch --dask``: the same batch on a real Dask cluster (a ``LocalCluster`` of
two worker processes and a real ``distributed`` scheduler), byte-identical to the local run."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from batch.test_batch import GOOD, listing, registered, run  # noqa: F401
from batch.test_resume import batch_args, clinic, epoch  # noqa: F401
from taperplan.batch import BatchItem, plan_one
from taperplan.batch import cluster as _cluster
from taperplan.errors import ClusterError

distributed = pytest.importorskip(
    "distributed", reason='needs "dask[distributed]" (the test extra)'
)


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of a local Dask cluster: a scheduler and two worker processes."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def test_the_cluster_writes_what_this_machine_writes(
    tmp_path: Path, scheduler: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = clinic(tmp_path, 30)
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert run(batch_args(source, local, "--jobs", "1"), capsys)[0] == 0
    code, stdout, stderr = run(batch_args(source, remote, "--dask", scheduler), capsys)
    assert code == 0, stderr
    assert "30 of 30 planned" in stdout
    assert listing(remote) == listing(local)


def test_workers_need_no_files(tmp_path: Path) -> None:
    """An item carries its file's bytes: a worker plans it without the file, and an error
    still names the path."""
    item = BatchItem("p1", str(tmp_path / "gone.toml"), content=GOOD.format(dose=10).encode())
    assert plan_one(item, start=dt.date(2027, 1, 4)).ok
    broken = BatchItem("p2", str(tmp_path / "gone.toml"), content=b'[[medication]]\ndrug = "x\n')
    result = plan_one(broken, start=dt.date(2027, 1, 4))
    assert result.error_type == "RegimenFileError"
    assert str(tmp_path / "gone.toml") in (result.error or "")


def test_an_unreachable_scheduler_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_cluster, "CONNECT_SECONDS", 1.0)
    source = clinic(tmp_path, 2)
    out = tmp_path / "out"
    code, stdout, stderr = run(batch_args(source, out, "--dask", "tcp://127.0.0.1:9"), capsys)
    assert (code, stdout) == (2, "")
    assert "--dask: cannot reach the Dask scheduler at tcp://127.0.0.1:9" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize("address", ["nonsense", "ucx://h:1", "tcp://", "tcp://host:port"])
def test_a_malformed_address_exits_2_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], address: str
) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run(batch_args(clinic(tmp_path, 1), out, "--dask", address), capsys)
    assert (code, stdout) == (2, "")
    assert "give tcp://host:port" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not out.exists()


class _Workers:
    """A stand-in client whose workers run another taperplan."""

    def __init__(self, versions: dict[str, str]) -> None:
        self.versions = versions

    def run(self, function: Any) -> dict[str, str]:
        return self.versions


def test_workers_of_another_version_are_refused() -> None:
    with pytest.raises(ClusterError, match=r"run taperplan 0\.0\.1, not"):
        _cluster._same_version(_Workers({"w1": _cluster.version(), "w2": "0.0.1"}), "tcp://h:1")
    _cluster._same_version(_Workers({"w1": _cluster.version()}), "tcp://h:1")


def test_without_distributed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the extra the message says what to install."""

    real = builtins.__import__

    def no_distributed(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "distributed":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    source = clinic(tmp_path, 1)
    code, _, stderr = run(batch_args(source, tmp_path / "out", "--dask", "tcp://h:8786"), capsys)
    assert code == 2
    assert 'pip install "dask[distributed]"' in stderr
