"""Batches that survive a crash: kill -9, a full disk, ``--resume``; workers that die with
their parent.

The kill tests run ``taperplan batch`` in a child process, kill it with SIGKILL
while it writes, and check that its worker processes end, that a rerun with
``--resume`` finishes byte for byte as an uninterrupted run does, and that no
temporary file is left. The full-disk tests write to a small tmpfs (root only;
CI runs as root, elsewhere they skip).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from batch.test_batch import EPOCH, GOOD, listing, registered, run, summary  # noqa: F401
from support import DATA, in_ci
from taperplan.batch.manifest import MANIFEST_FILE, read_manifest
from taperplan.cli import batch_steps

START = "2027-01-04"
#: The command line of the CLI in a child process.
CLI = [
    sys.executable,
    "-c",
    "import sys; from taperplan.cli import main; sys.exit(main(sys.argv[1:]))",
]


def clinic(tmp_path: Path, count: int) -> Path:
    """A folder of ``count`` regimens: the clinic panel's files in turn, then simple ones."""
    folder = tmp_path / "regimens"
    folder.mkdir()
    panel = sorted((DATA / "clinic").glob("*.toml"))
    for index in range(count):
        if index % 2 and panel:
            text = panel[(index // 2) % len(panel)].read_text(encoding="utf-8")
        else:
            text = GOOD.format(dose=5 * (1 + index % 6))
        (folder / f"p{index:03}.toml").write_text(text, encoding="utf-8")
    return folder


def batch_args(source: Path, out: Path, *more: str) -> list[str]:
    """``taperplan batch SOURCE --out OUT`` with a fixed start and no progress bar."""
    return ["batch", str(source), "--out", str(out), "--start", START, "--no-progress", *more]


def environment() -> dict[str, str]:
    return os.environ | {"SOURCE_DATE_EPOCH": EPOCH}


@pytest.fixture(autouse=True)
def epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    found: set[int] = set()
    queue = [pid]
    while queue:
        parent = queue.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            with contextlib.suppress(OSError):
                children = (task / "children").read_text().split()
                for child in map(int, children):
                    if child not in found:
                        found.add(child)
                        queue.append(child)
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in {"Z", "X"}


def manifest_lines(out: Path) -> int:
    try:
        return (out / MANIFEST_FILE).read_bytes().count(b"\n")
    except OSError:
        return 0


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".new")))


needs_proc = pytest.mark.skipif(
    not Path("/proc/self/task").exists(), reason="needs Linux /proc to find worker processes"
)


@needs_proc
@pytest.mark.parametrize("after", [0, 20])
def test_kill_9_then_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str], after: int) -> None:
    """SIGKILL the batch while it writes (before its first patient and midway): its
    workers end, and ``--resume`` finishes byte-identical to an uninterrupted run."""
    source = clinic(tmp_path, 80)
    reference = tmp_path / "reference"
    code, _, _ = run(batch_args(source, reference, "--jobs", "1"), capsys)
    assert code == 0

    out = tmp_path / "out"
    child = subprocess.Popen(
        [*CLI, *batch_args(source, out, "--jobs", "2")],
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    while manifest_lines(out) <= after and child.poll() is None and time.monotonic() < deadline:
        workers |= descendants(child.pid)
        time.sleep(0.005)
    workers |= descendants(child.pid)
    if child.poll() is not None:
        pytest.fail(f"the batch finished (exit {child.returncode}) before it could be killed")
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    # Every worker ends within a few seconds of its parent, however the parent died.
    deadline = time.monotonic() + 10
    while any(map(alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if alive(pid)], "workers outlived their parent"
    assert summary_missing(out)

    # A temporary file of a write the kill cut short, as a crash leaves one.
    (out / ".p000.json.0123456789ab.tmp").write_bytes(b"half a plan")
    code, stdout, stderr = run(batch_args(source, out, "--jobs", "2", "--resume"), capsys)
    assert code == 0, stderr
    header, finished = read_manifest(out)
    assert header is not None
    assert len(finished) == 80
    if after:
        assert "Resumed: " in stdout
    assert listing(out) == listing(reference)
    assert temporaries(out) == []


def summary_missing(out: Path) -> bool:
    return not (out / "summary.csv").exists()


def test_resume_keeps_finished_and_replans_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A patient whose files are gone or changed is planned again; the others are kept."""
    source = clinic(tmp_path, 12)
    out = tmp_path / "out"
    assert run(batch_args(source, out, "--jobs", "1"), capsys)[0] == 0
    reference = listing(out)
    (out / "p003.csv").unlink()
    (out / "p004.json").write_text("{}", encoding="utf-8")
    (out / "summary.csv").unlink()
    code, stdout, _ = run(batch_args(source, out, "--jobs", "1", "--resume"), capsys)
    assert code == 0
    assert "Resumed: 10 of 12 written by the interrupted run" in stdout
    assert listing(out) == reference


def test_a_line_cut_short_is_ignored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A crash while appending to the manifest leaves half a line: that patient is replanned."""
    source = clinic(tmp_path, 6)
    out = tmp_path / "out"
    assert run(batch_args(source, out, "--jobs", "1"), capsys)[0] == 0
    reference = listing(out)
    manifest = out / MANIFEST_FILE
    lines = manifest.read_bytes().split(b"\n")
    manifest.write_bytes(b"\n".join(lines[:-3]) + b"\n" + lines[-2][:25])
    code, stdout, _ = run(batch_args(source, out, "--jobs", "1", "--resume"), capsys)
    assert code == 0
    assert "Resumed: 4 of 6" in stdout
    assert listing(out) == reference


def test_resume_refuses_other_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A resume from changed regimen files or options would mix two batches: refused."""
    source = clinic(tmp_path, 4)
    out = tmp_path / "out"
    assert run(batch_args(source, out, "--jobs", "1"), capsys)[0] == 0
    before = listing(out)
    (source / "p000.toml").write_text(GOOD.format(dose=15), encoding="utf-8")
    code, stdout, stderr = run(batch_args(source, out, "--resume"), capsys)
    assert (code, stdout) == (2, "")
    assert "the batch's input files changed" in stderr
    assert "--force" in stderr
    (source / "p000.toml").write_text(GOOD.format(dose=5), encoding="utf-8")
    code, _, stderr = run(batch_args(source, out, "--resume", "--pace", "va-slowest"), capsys)
    assert code == 2
    assert "--pace changed" in stderr
    assert listing(out) == before


def test_resume_with_nothing_to_resume_runs_the_batch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = clinic(tmp_path, 3)
    out = tmp_path / "out"
    code, stdout, _ = run(batch_args(source, out, "--jobs", "1", "--resume"), capsys)
    assert code == 0
    assert "Resumed" not in stdout
    assert len(summary(out)) == 3


def test_a_plain_rerun_points_to_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = clinic(tmp_path, 3)
    out = tmp_path / "out"
    assert run(batch_args(source, out, "--jobs", "1"), capsys)[0] == 0
    code, stdout, stderr = run(batch_args(source, out), capsys)
    assert (code, stdout) == (2, "")
    assert "--resume" in stderr
    assert "--force" in stderr


def test_force_and_resume_together_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = clinic(tmp_path, 2)
    code, stdout, stderr = run(batch_args(source, tmp_path / "out", "--force", "--resume"), capsys)
    assert (code, stdout) == (2, "")
    assert "give one of them" in stderr
    assert not (tmp_path / "out").exists()


# --- a full disk ----------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """Mounts a tmpfs of the given size in KiB, unmounted afterwards (needs root; CI
    runs as root)."""
    mounted: list[Path] = []

    def make(kib: int) -> Path:
        mount = tmp_path / f"disk{len(mounted)}"
        mount.mkdir()
        made = (
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={kib}k,mode=0755", "tmpfs", str(mount)],
                capture_output=True,
                text=True,
                check=False,
            )
            if shutil.which("mount")
            else None
        )
        if made is None or made.returncode != 0:
            why = "cannot mount a small tmpfs here (needs root)"
            if in_ci():
                pytest.fail(f"{why}: {made.stderr if made else 'no mount command'}")
            pytest.skip(why)
        mounted.append(mount)
        return mount

    try:
        yield make
    finally:
        for mount in mounted:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def grow(mount: Path) -> None:
    subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True)


def test_full_disk_then_resume(
    tmp_path: Path, small_disk: Callable[[int], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """The disk fills midway: exit 2 with the cause and the way on, every patient on disk
    whole, no temporary file; after space is freed, --resume finishes as if nothing happened."""
    source = clinic(tmp_path, 40)
    reference = tmp_path / "reference"
    assert run(batch_args(source, reference, "--jobs", "1"), capsys)[0] == 0
    total = sum(len(data) for data in listing(reference).values())
    disk = small_disk(total // 2 // 1024)
    out = disk / "plans"
    code, stdout, stderr = run(batch_args(source, out, "--jobs", "1"), capsys)
    assert (code, stdout) == (2, "")
    assert "No space left on device" in stderr
    assert "--resume" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert temporaries(out) == []
    _, finished = read_manifest(out)
    assert 0 < len(finished) < 40
    listed = {name for done in finished.values() for name, _ in done.files}
    on_disk = set(listing(out))
    assert on_disk == listed, "a patient is on disk in part, or without its manifest line"
    grow(disk)
    code, stdout, _ = run(batch_args(source, out, "--jobs", "1", "--resume"), capsys)
    assert code == 0
    assert f"Resumed: {len(finished)} of 40" in stdout
    assert listing(out) == listing(reference)


def test_full_disk_plan_writes_nothing(
    tmp_path: Path, small_disk: Callable[[int], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """``plan`` with six exports on a full disk: exit 2, one message, not one file left."""
    disk = small_disk(96)
    regimen = tmp_path / "r.toml"
    regimen.write_text(GOOD.format(dose=10), encoding="utf-8")
    filler = disk / "filler"
    # Leave about 8 KiB: enough for a file or two, not for every export.
    filler.write_bytes(b"\0" * (88 * 1024))
    outputs = {
        "--json": "p.json",
        "--csv": "p.csv",
        "--ics": "p.ics",
        "--fhir": "p.fhir.json",
        "--handout": "p.html",
        "--summary": "s.html",
    }
    args = ["plan", str(regimen), "--start", START]
    for option, name in outputs.items():
        args += [option, str(disk / name)]
    code, stdout, stderr = run(args, capsys)
    assert (code, stdout) == (2, ""), stderr
    assert "No space left on device" in stderr
    assert sorted(p.name for p in disk.iterdir()) == ["filler"]


def test_the_manifest_records_each_patient(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One line per patient after the header, each naming its files with their SHA-256."""
    source = clinic(tmp_path, 3)
    out = tmp_path / "out"
    assert run(batch_args(source, out, "--jobs", "1"), capsys)[0] == 0
    lines = [json.loads(line) for line in (out / MANIFEST_FILE).read_text().splitlines()]
    assert lines[0]["kind"] == "taperplan.batch/1"
    assert [line["id"] for line in lines[1:]] == ["p000", "p001", "p002"]
    assert [name for name, _ in lines[1]["files"]] == ["p000.json", "p000.csv", "p000.ics"]


# --- what a resume must never do ---------------------------------------------------


def test_resume_without_a_manifest_replaces_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no manifest (an older taperplan's folder, the user's own files), --resume is
    a new batch, which replaces nothing without --force."""
    source = clinic(tmp_path, 3)
    out = tmp_path / "out"
    out.mkdir()
    (out / "p000.json").write_text("MY OWN NOTES", encoding="utf-8")
    code, stdout, stderr = run(batch_args(source, out, "--resume"), capsys)
    assert (code, stdout) == (2, "")
    assert "1 output file exist" in stderr
    assert (out / "p000.json").read_text(encoding="utf-8") == "MY OWN NOTES"


@pytest.mark.parametrize("kind", ["link", "folder", "junk"])
def test_a_manifest_that_is_not_one_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    source = clinic(tmp_path, 2)
    out = tmp_path / "out"
    out.mkdir()
    (out / "p000.json").write_text("MY OWN NOTES", encoding="utf-8")
    manifest = out / MANIFEST_FILE
    if kind == "link":
        (tmp_path / "real.jsonl").write_text("", encoding="utf-8")
        manifest.symlink_to(tmp_path / "real.jsonl")
    elif kind == "folder":
        manifest.mkdir()
    else:
        manifest.write_text("not json\n", encoding="utf-8")
    code, stdout, stderr = run(batch_args(source, out, "--resume"), capsys)
    assert (code, stdout) == (2, "")
    assert MANIFEST_FILE in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert (out / "p000.json").read_text(encoding="utf-8") == "MY OWN NOTES"


def test_a_forged_record_deletes_nothing_outside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Records are checked against the batch: an id outside it, or a record whose files
    do not match its row, is planned again; nothing outside the folder is touched."""
    source = clinic(tmp_path, 6)
    out = tmp_path / "out"
    assert run(batch_args(source, out, "--jobs", "1"), capsys)[0] == 0
    reference = listing(out)
    victim = tmp_path / "victim.json"
    victim.write_text("keep me", encoding="utf-8")
    manifest = out / MANIFEST_FILE
    lines = manifest.read_text(encoding="utf-8").splitlines()
    forged = json.loads(lines[-1])
    forged["files"] = []  # p005 "finished" without files
    lines[-1] = json.dumps(forged)
    lines.append(json.dumps({"id": "../victim", "row": {}, "files": [], "internal": False}))
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, stdout, stderr = run(batch_args(source, out, "--jobs", "1", "--resume"), capsys)
    assert code == 0, stderr
    assert "Resumed: 5 of 6" in stdout
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert listing(out) == reference


def test_resume_from_another_spelling_of_the_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = clinic(tmp_path, 3)
    out = tmp_path / "out"
    assert run(batch_args(source, out, "--jobs", "1"), capsys)[0] == 0
    (out / "summary.csv").unlink()
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = run(batch_args(Path("regimens"), out, "--resume"), capsys)
    assert code == 0, stderr
    assert "Resumed: 3 of 3" in stdout


def test_a_full_disk_on_the_manifest_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = clinic(tmp_path, 3)
    out = tmp_path / "out"

    def full(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(batch_steps, "add", full)
    code, stdout, stderr = run(batch_args(source, out, "--jobs", "1"), capsys)
    assert (code, stdout) == (2, "")
    assert "No space left on device" in stderr
    assert "--resume" in stderr
    assert not (out / "summary.csv").exists()


def test_an_interrupted_resume_leaves_no_old_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder with a summary.csv holds a finished batch: a resume or --force run removes
    the old summary before it writes its first patient."""
    source = clinic(tmp_path, 3)
    out = tmp_path / "out"
    assert run(batch_args(source, out, "--jobs", "1"), capsys)[0] == 0
    (out / "p001.csv").unlink()

    def broken(*_: object, **__: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(batch_steps, "write_patient", broken)
    code, _, stderr = run(batch_args(source, out, "--resume"), capsys)
    assert code == 2
    assert "Input/output error" in stderr
    assert not (out / "summary.csv").exists()


def test_a_worker_that_dies_points_to_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def dying(*_: object, **__: object) -> Iterator[object]:
        raise BrokenProcessPool("a child process terminated abruptly")
        yield  # pragma: no cover - a generator

    monkeypatch.setattr("taperplan.cli.batch.iter_ordered", dying)
    code, _, stderr = run(batch_args(clinic(tmp_path, 2), tmp_path / "out"), capsys)
    assert code == 1
    assert "a worker process ended unexpectedly" in stderr
    assert "--resume" in stderr
