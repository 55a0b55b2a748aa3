"""Output files (``taperplan.formats.files.write_output``): never over an existing file without
``force``, always atomic, nothing left behind on failure."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from taperplan import TaperplanError
from taperplan.errors import OutputError, OutputExistsError
from taperplan.formats import files as io_module
from taperplan.formats.files import check_output, write_output, write_outputs

OLD = b"the old plan\n"


def names(folder: Path) -> list[str]:
    """Every entry of ``folder`` (temporary files included), sorted."""
    return sorted(entry.name for entry in folder.iterdir())


@pytest.fixture
def umask_022() -> Iterator[None]:
    """Run with umask 022 (restored afterwards)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


class TestWriteNew:
    def test_text_is_written_as_utf8_bytes_exactly(self, tmp_path: Path) -> None:
        """Text goes out as UTF-8 with its line ends untouched."""
        target = tmp_path / "plan.csv"
        write_output(target, "a,b\r\nµg,½\n")
        assert target.read_bytes() == "a,b\r\nµg,½\n".encode()
        assert names(tmp_path) == ["plan.csv"]

    def test_bytes_are_written_exactly(self, tmp_path: Path) -> None:
        """Bytes go out as given (a calendar's CRLF lines, a PNG)."""
        data = b"\x89PNG\r\n\x1a\n\x00\xff"
        write_output(str(tmp_path / "chart.png"), data)
        assert (tmp_path / "chart.png").read_bytes() == data

    def test_a_relative_path_is_written_in_the_working_folder(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A bare file name means the current folder."""
        monkeypatch.chdir(tmp_path)
        write_output("plan.json", "{}\n")
        assert (tmp_path / "plan.json").read_text(encoding="utf-8") == "{}\n"

    @pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
    @pytest.mark.usefixtures("umask_022")
    def test_a_new_file_gets_the_usual_permissions(self, tmp_path: Path) -> None:
        """0o666 less the umask, like any file the user creates (not a temp file's 0o600)."""
        target = tmp_path / "plan.ics"
        write_output(target, b"x")
        assert stat.S_IMODE(target.stat().st_mode) == 0o644


class TestRefuseExisting:
    def test_an_existing_file_is_refused_and_kept(self, tmp_path: Path) -> None:
        """Without force: OutputExistsError naming the file and --force; the file is unchanged."""
        target = tmp_path / "plan.json"
        target.write_bytes(OLD)
        with pytest.raises(OutputExistsError) as caught:
            write_output(target, "new")
        assert str(target) in str(caught.value)
        assert "--force" in str(caught.value)
        assert caught.value.path == str(target)
        assert isinstance(caught.value, FileExistsError)
        assert isinstance(caught.value, TaperplanError)
        assert target.read_bytes() == OLD
        assert names(tmp_path) == ["plan.json"]

    def test_force_replaces_the_file(self, tmp_path: Path) -> None:
        """With force the new content replaces the old."""
        target = tmp_path / "plan.json"
        target.write_bytes(OLD)
        write_output(target, "new\n", force=True)
        assert target.read_bytes() == b"new\n"
        assert names(tmp_path) == ["plan.json"]

    @pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
    def test_force_keeps_the_permissions_of_the_replaced_file(self, tmp_path: Path) -> None:
        """A private file stays private when it is replaced."""
        target = tmp_path / "plan.json"
        target.write_bytes(OLD)
        target.chmod(0o600)
        write_output(target, "new\n", force=True)
        assert stat.S_IMODE(target.stat().st_mode) == 0o600

    def test_a_file_that_appears_meanwhile_is_not_overwritten(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """If another program creates the file between the check and the rename, it wins:
        the final step refuses to replace it (a hard link never overwrites)."""
        target = tmp_path / "plan.json"
        target.write_bytes(OLD)
        monkeypatch.setattr(io_module, "check_output", lambda *_a, **_k: None)  # "not there yet"
        with pytest.raises(OutputExistsError):
            write_output(target, "new")
        assert target.read_bytes() == OLD
        assert names(tmp_path) == ["plan.json"]

    @pytest.mark.parametrize("code", [errno.EPERM, errno.EXDEV, errno.ENOTSUP])
    def test_without_hard_links_a_new_file_is_still_written(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
    ) -> None:
        """On a file system without hard links the file is renamed into place."""

        def no_links(*_args: object) -> None:
            raise OSError(code, os.strerror(code))

        monkeypatch.setattr(os, "link", no_links)
        target = tmp_path / "plan.json"
        write_output(target, "new\n")
        assert target.read_bytes() == b"new\n"
        assert names(tmp_path) == ["plan.json"]

    def test_without_hard_links_an_existing_file_is_still_refused(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The fallback looks before it renames."""

        def no_links(*_args: object) -> None:
            raise OSError(errno.EPERM, "no links")

        monkeypatch.setattr(os, "link", no_links)
        monkeypatch.setattr(io_module, "check_output", lambda *_a, **_k: None)
        target = tmp_path / "plan.json"
        target.write_bytes(OLD)
        with pytest.raises(OutputExistsError):
            write_output(target, "new")
        assert target.read_bytes() == OLD
        assert names(tmp_path) == ["plan.json"]


class TestFailures:
    def test_a_missing_folder_is_a_clear_error(self, tmp_path: Path) -> None:
        """The message names the folder and the fix; nothing is created."""
        target = tmp_path / "no-such-folder" / "plan.json"
        with pytest.raises(OutputError) as caught:
            write_output(target, "x")
        message = str(caught.value)
        assert "no-such-folder" in message
        assert "does not exist" in message
        assert "create the folder" in message
        assert isinstance(caught.value, OSError)
        assert isinstance(caught.value, TaperplanError)
        assert names(tmp_path) == []

    def test_a_folder_is_not_replaced(self, tmp_path: Path) -> None:
        """A path that is a folder is refused, even with force."""
        (tmp_path / "plan.json").mkdir()
        with pytest.raises(OutputError, match="is a folder"):
            write_output(tmp_path / "plan.json", "x", force=True)
        assert (tmp_path / "plan.json").is_dir()

    @pytest.mark.parametrize("force", [False, True])
    def test_a_failure_mid_write_keeps_the_old_file_and_leaves_no_temporary(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, force: bool
    ) -> None:
        """A full disk while flushing: OutputError, the old file intact, no temporary file."""
        target = tmp_path / "plan.json"
        if force:
            target.write_bytes(OLD)

        def full_disk(_descriptor: int) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "fsync", full_disk)
        with pytest.raises(OutputError, match="No space left"):
            write_output(target, "new content", force=force)
        assert names(tmp_path) == (["plan.json"] if force else [])
        if force:
            assert target.read_bytes() == OLD

    def test_a_failing_rename_keeps_the_old_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The rename is the only step that touches the target; if it fails, nothing changed."""
        target = tmp_path / "plan.json"
        target.write_bytes(OLD)

        def broken(*_args: object) -> None:
            raise OSError(errno.EIO, "Input/output error")

        monkeypatch.setattr(os, "replace", broken)
        with pytest.raises(OutputError, match="Input/output error"):
            write_output(target, "new", force=True)
        assert target.read_bytes() == OLD
        assert names(tmp_path) == ["plan.json"]

    def test_an_interrupt_mid_write_leaves_no_temporary(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Ctrl-C while writing propagates, and the temporary file is removed."""
        target = tmp_path / "plan.json"
        target.write_bytes(OLD)

        def interrupted(_descriptor: int) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(os, "fsync", interrupted)
        with pytest.raises(KeyboardInterrupt):
            write_output(target, "new", force=True)
        assert target.read_bytes() == OLD
        assert names(tmp_path) == ["plan.json"]

    def test_the_new_content_is_flushed_before_the_rename(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """fsync of the temporary file happens before it replaces the target."""
        events: list[str] = []
        real_fsync, real_replace = os.fsync, os.replace

        def fsync(descriptor: int) -> None:
            events.append("fsync")
            real_fsync(descriptor)

        def replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
            events.append("replace")
            real_replace(source, target)

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "replace", replace)
        target = tmp_path / "plan.json"
        target.write_bytes(OLD)
        write_output(target, "new", force=True)
        assert events[:2] == ["fsync", "replace"]
        assert target.read_bytes() == b"new"


class TestCheckOutput:
    def test_refuses_what_write_output_refuses(self, tmp_path: Path) -> None:
        """An existing file, a missing folder and a folder are refused before any writing."""
        (tmp_path / "old.json").write_bytes(OLD)
        (tmp_path / "folder").mkdir()
        with pytest.raises(OutputExistsError):
            check_output(tmp_path / "old.json")
        with pytest.raises(OutputError, match="does not exist"):
            check_output(tmp_path / "missing" / "x.json", force=True)
        with pytest.raises(OutputError, match="is a folder"):
            check_output(tmp_path / "folder", force=True)
        check_output(tmp_path / "old.json", force=True)
        check_output(tmp_path / "new.json")
        assert names(tmp_path) == ["folder", "old.json"]

    @pytest.mark.skipif(os.name != "posix", reason="symbolic links")
    @pytest.mark.parametrize("force", [False, True])
    def test_a_link_is_never_written_through(self, tmp_path: Path, force: bool) -> None:
        """A symbolic link (dangling or not) is refused, even with force: the file it
        points to keeps its content and its mode (issue 15 item 2)."""
        target = tmp_path / "target.json"
        target.write_text("old", encoding="utf-8")
        target.chmod(0o4755)
        (tmp_path / "plan.json").symlink_to(target)
        (tmp_path / "dangling.json").symlink_to(tmp_path / "nowhere")
        for link in ("plan.json", "dangling.json"):
            with pytest.raises(OutputError, match="symbolic link"):
                check_output(tmp_path / link, force=force)
            with pytest.raises(OutputError, match="symbolic link"):
                write_output(tmp_path / link, "x", force=force)
            assert (tmp_path / link).is_symlink()
        assert target.read_text(encoding="utf-8") == "old"

    @pytest.mark.skipif(not os.path.exists("/dev/null"), reason="a device file")
    def test_a_device_is_never_replaced(self) -> None:
        with pytest.raises(OutputError, match="not a regular file"):
            write_output("/dev/null", "x", force=True)
        assert not Path("/dev/null").is_file()

    @pytest.mark.skipif(os.name != "posix", reason="permission bits")
    def test_force_drops_the_set_id_bits(self, tmp_path: Path) -> None:
        path = tmp_path / "plan.json"
        path.write_text("old", encoding="utf-8")
        path.chmod(0o6755)
        write_output(path, "new", force=True)
        assert stat.S_IMODE(path.stat().st_mode) == 0o755

    def test_a_long_name_gets_a_temporary_name_that_fits(self, tmp_path: Path) -> None:
        path = tmp_path / ("a" * 250 + ".json")
        write_output(path, "x")
        assert path.read_text(encoding="utf-8") == "x"
        assert [p.name for p in tmp_path.iterdir()] == [path.name]


class TestWriteOutputs:
    """Several files, all or nothing (issue 15 item 2)."""

    def test_one_existing_file_stops_all(self, tmp_path: Path) -> None:
        (tmp_path / "b.csv").write_text("keep", encoding="utf-8")
        with pytest.raises(OutputExistsError):
            write_outputs([(str(tmp_path / "a.json"), "a"), (str(tmp_path / "b.csv"), "b")])
        assert sorted(p.name for p in tmp_path.iterdir()) == ["b.csv"]

    def test_a_failure_while_putting_in_place_removes_the_new_files(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The second file cannot be put in place: the first, new, is removed again, and no
        temporary file is left."""
        moved = []
        real = io_module._move_new

        def failing(temporary: Path, target: Path, name: str) -> None:
            if moved:
                raise OSError(errno.ENOSPC, "No space left on device")
            moved.append(target)
            real(temporary, target, name)

        monkeypatch.setattr(io_module, "_move_new", failing)
        files = [(str(tmp_path / n), n) for n in ("a.json", "b.csv", "c.ics")]
        with pytest.raises(OutputError, match="No space left"):
            write_outputs(files)
        assert list(tmp_path.iterdir()) == []

    def test_all_are_written(self, tmp_path: Path) -> None:
        write_outputs([(str(tmp_path / "a.json"), "a"), (str(tmp_path / "b.png"), b"\x89PNG")])
        assert (tmp_path / "a.json").read_text(encoding="utf-8") == "a"
        assert (tmp_path / "b.png").read_bytes() == b"\x89PNG"
