"""Writing output files: never over an existing file unless asked, always atomically.

:func:`write_output` writes the whole content to a temporary file in the
target's folder, flushes it to disk, and only then puts it in place with one
rename. A reader sees the old file or the new one, never half of either; a
failure (a full disk, an interrupted write) leaves the old file as it was and
no temporary file behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path

from taperplan.errors import OutputError, OutputExistsError

# Link errors that mean "this file system cannot make hard links"; the
# refuse-existing check then falls back to a look before the rename.
_NO_LINKS = {errno.EPERM, errno.EACCES, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK}
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def write_output(path: str | os.PathLike[str], data: str | bytes, *, force: bool = False) -> None:
    """Write ``data`` to ``path`` atomically; refuse an existing file unless ``force``.

    Text is written as UTF-8, exactly as given (no newline translation). The
    new file gets the usual permissions (``0o666`` less the umask), or the
    permissions of the file it replaces.

    Args:
        path: the file to write; its folder must exist.
        data: the whole content.
        force: replace ``path`` if it exists (the ``--force`` option).

    Raises:
        OutputExistsError: ``path`` exists and ``force`` is false; nothing is written.
        OutputError: the folder is missing, ``path`` is a folder, or the write
            failed; the old file (if any) is unchanged and no temporary file is left.
    """
    check_output(path, force=force)
    target = Path(path)
    name = str(path)
    folder = target.parent
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    # The permissions to keep when a file is replaced.
    existing = _mode_of(target)
    temporary = _write_temporary(folder, target.name, payload, name, existing)
    try:
        if force:
            os.replace(temporary, target)
        else:
            _move_new(temporary, target, name)
    except OutputExistsError:
        _remove(temporary)
        raise
    except OSError as error:
        _remove(temporary)
        raise OutputError(name, _why(error), "check the path and the free space") from error
    except BaseException:
        _remove(temporary)
        raise
    _sync_folder(folder)


def check_output(path: str | os.PathLike[str], *, force: bool = False) -> None:
    """Refuse ``path`` as :func:`write_output` would, without writing anything.

    A program writing several files checks them all first, so that it
    writes all or none of them.

    Raises:
        OutputExistsError: ``path`` exists (a file, a link, even a broken one)
            and ``force`` is false.
        OutputError: the folder is missing, or ``path`` is a folder.
    """
    target = Path(path)
    name = str(path)
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(
            name,
            f"the folder {str(folder)!r} does not exist",
            "create the folder first or choose another path",
        )
    if target.is_dir():
        raise OutputError(name, "is a folder", "give a file name inside it")
    if not force and os.path.lexists(target):
        raise OutputExistsError(name)


def _mode_of(target: Path) -> int | None:
    """The permission bits of an existing file, or None when there is none."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        return None


def _write_temporary(folder: Path, base: str, payload: bytes, name: str, mode: int | None) -> Path:
    """A new, fully written and flushed file next to the target."""
    while True:
        temporary = folder / f".{base}.{secrets.token_hex(6)}.tmp"
        try:
            descriptor = os.open(temporary, _FLAGS, 0o666)
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
        except OSError as error:
            raise OutputError(name, _why(error), "choose a folder you can write to") from error
        break
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
    except OSError as error:
        _remove(temporary)
        raise OutputError(name, _why(error), "check the free space and try again") from error
    except BaseException:
        _remove(temporary)
        raise
    return temporary


def _move_new(temporary: Path, target: Path, name: str) -> None:
    """Put ``temporary`` at ``target`` only if nothing is there (no race with
    another writer: a hard link fails if the target exists)."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise OutputExistsError(name) from None
    except OSError as error:
        if error.errno not in _NO_LINKS:
            raise
        # No hard links here (some network or FAT file systems): look, then rename.
        if os.path.lexists(target):
            raise OutputExistsError(name) from None
        os.replace(temporary, target)
        return
    _remove(temporary)


def _sync_folder(folder: Path) -> None:
    """Flush the folder entry so the rename survives a crash (POSIX only)."""
    if os.name != "posix":  # pragma: no cover - Windows cannot open folders
        return
    # The file is in place already; a folder that cannot be synced is no failure.
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _remove(temporary: Path) -> None:
    """Best-effort clean-up of a temporary file."""
    with contextlib.suppress(OSError):
        temporary.unlink()


def _why(error: OSError) -> str:
    return f"cannot write the file ({error.strerror or error})"
