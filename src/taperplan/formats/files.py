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
import re
import secrets
import stat
from collections.abc import Iterable, Sequence
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


def write_outputs(files: Sequence[tuple[str, str | bytes]], *, force: bool = False) -> None:
    """Write several files all or nothing: every target is checked, then every content is
    written to a temporary file beside its target, and only then are they put in place.
    A failure before that leaves nothing behind; a failure while putting them in place
    removes the new files this call made (a file it replaced stays replaced).

    Raises:
        OutputExistsError, OutputError: as :func:`write_output`, before anything is in place.
    """
    for path, _ in files:
        check_output(path, force=force)
    made: list[tuple[Path, Path, bool]] = []
    try:
        for path, data in files:
            target = Path(path)
            payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
            existed = os.path.lexists(target)
            temporary = _write_temporary(
                target.parent, target.name, payload, str(path), _mode_of(target)
            )
            made.append((temporary, target, existed))
    except BaseException:
        for temporary, _, _ in made:
            _remove(temporary)
        raise
    placed: list[tuple[Path, bool]] = []
    try:
        for temporary, target, existed in made:
            if force:
                os.replace(temporary, target)
            else:
                _move_new(temporary, target, str(target))
            placed.append((target, existed))
    except BaseException as error:
        for temporary, _, _ in made:
            _remove(temporary)
        for target, existed in placed:
            if not existed:
                _remove(target)
        if isinstance(error, OSError) and not isinstance(error, OutputExistsError):
            raise OutputError(
                str(made[len(placed)][1]), _why(error), "check the path and the free space"
            ) from error
        raise
    for folder in {target.parent for _, target, _ in made}:
        _sync_folder(folder)


def check_output(path: str | os.PathLike[str], *, force: bool = False) -> None:
    """Refuse ``path`` as :func:`write_output` would, without writing anything.

    A program writing several files checks them all first, so that it
    writes all or none of them.

    Raises:
        OutputExistsError: ``path`` exists (a file, a link, even a broken one)
            and ``force`` is false.
        OutputError: the folder is missing, ``path`` is a folder, or its name cannot
            be looked up (too long for the file system, a NUL character).
    """
    if "\x00" in os.fspath(path):  # no file can have it; pathlib would say "no such file"
        raise OutputError(str(path), "has a NUL character in its name", "give a name without it")
    try:
        _check_output(path, force=force)
    except OSError as error:
        if isinstance(error, OutputExistsError | OutputError):
            raise
        raise OutputError(str(path), _why_not_looked_up(error), _fix_for(error)) from error


def _why_not_looked_up(error: OSError) -> str:
    if error.errno == errno.ENAMETOOLONG:
        return "the name is too long for the file system"
    return f"cannot be looked up ({error.strerror or error})"


def _fix_for(error: OSError) -> str:
    if error.errno == errno.ENAMETOOLONG:
        return "choose a shorter name (at most 255 bytes, usually)"
    return "check the path"


def _check_output(path: str | os.PathLike[str], *, force: bool) -> None:
    target = Path(path)
    name = str(path)
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(
            name,
            f"the folder {str(folder)!r} does not exist",
            "create the folder first or choose another path",
        )
    if target.is_symlink():
        raise OutputError(
            name,
            "is a symbolic link; taperplan never writes through one",
            "give the path of the file itself, or another name",
        )
    if target.is_dir():
        raise OutputError(name, "is a folder", "give a file name inside it")
    if not os.path.lexists(target):
        return
    if not stat.S_ISREG(target.lstat().st_mode):
        raise OutputError(
            name,
            "is not a regular file (a device, a pipe or a socket); taperplan replaces only files",
            "give the path of a file",
        )
    if not force:
        raise OutputExistsError(name)


#: The temporary files :func:`write_output` makes (``.BASE.RANDOM.tmp``).
_TEMPORARY = re.compile(r"\.(?P<base>.+)\.[0-9a-f]{12}\.tmp")


def remove_temporaries(folder: str | os.PathLike[str], names: Iterable[str]) -> int:
    """Remove the temporary files that writes of ``names`` in ``folder`` left behind
    (a process killed while writing), and return how many there were.

    Only regular files named as :func:`write_output` names its temporary files
    for one of ``names`` are removed; links and anything else are left alone.
    """
    wanted = set(names)
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        match = _TEMPORARY.fullmatch(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        base = match["base"]
        if base in wanted or any(name.startswith(base) for name in wanted if len(base) > 200):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed += 1
    return removed


def _mode_of(target: Path) -> int | None:
    """The read, write and execute bits of an existing regular file (never set-user-ID,
    set-group-ID or sticky, never a link's target's), or None when there is none."""
    try:
        mode = target.lstat().st_mode
    except FileNotFoundError:
        return None
    return stat.S_IMODE(mode) & 0o777 if stat.S_ISREG(mode) else None


def _temporary_name(folder: Path, base: str) -> Path:
    """``.BASE.RANDOM.tmp`` beside the target, shortened to fit the file system's limit on
    a name (a 250-character target still gets a temporary name that can be made)."""
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # pragma: no cover - no pathconf
        limit = 255
    token = secrets.token_hex(6)
    room = max(1, limit - len(f"..{token}.tmp"))
    return folder / f".{base[:room]}.{token}.tmp"


def _write_temporary(folder: Path, base: str, payload: bytes, name: str, mode: int | None) -> Path:
    """A new, fully written and flushed file next to the target."""
    while True:
        temporary = _temporary_name(folder, base)
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
