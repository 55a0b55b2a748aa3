"""A batch's manifest: what a run has written, so an interrupted run can be resumed.

``taperplan batch`` writes each patient's files first and then appends one
line to the manifest (``.taperplan-batch.jsonl`` in the output folder) naming
them with their SHA-256. A patient is finished only once its line is there
and its files still match it; anything else (a run killed while writing, a
full disk) is planned again by ``--resume``. The first line records what the
run was made from (a digest of every input and the options that change the
output, the calendars' DTSTAMP and the day it ran), so a resume either
continues exactly that run, byte for byte, or is refused.

The manifest is JSON lines, one object per line, UTF-8. A line cut short by
a crash is ignored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO

import attrs

from taperplan._reading import ReadRefused, read_limited
from taperplan._version import __version__
from taperplan.batch.items import BatchItem
from taperplan.errors import ManifestError
from taperplan.formats.files import write_output

#: The manifest's file name in a batch's output folder.
MANIFEST_FILE = ".taperplan-batch.jsonl"
#: What the first line's ``kind`` says.
_KIND = "taperplan.batch/1"
#: Largest manifest read (a line is well under 1 KiB a patient).
MAX_MANIFEST_BYTES = 256 * 1024 * 1024


@attrs.frozen
class RunHeader:
    """What a batch run was made from: a resume must match it exactly.

    ``start`` and ``pace`` are the batch's options (empty when not given);
    ``day`` the start used for patients without one; ``today`` the day the
    run began, ``dtstamp`` its calendars' DTSTAMP (ISO 8601, UTC).
    """

    inputs: str
    start: str
    pace: str
    day: str
    today: str
    dtstamp: str
    version: str = __version__

    def as_line(self) -> dict[str, str]:
        """The manifest's first line."""
        return {"kind": _KIND, **attrs.asdict(self)}

    def differences(self, other: RunHeader) -> list[str]:
        """What differs from ``other`` in what decides the output, in words."""
        names = {
            "inputs": "the batch's input files",
            "start": "--start",
            "pace": "--pace",
            "version": "the taperplan version",
        }
        return [text for name, text in names.items() if getattr(self, name) != getattr(other, name)]


@attrs.frozen
class Written:
    """One finished patient: its summary row and its files with their SHA-256."""

    key: str
    row: Mapping[str, str]
    files: tuple[tuple[str, str], ...]
    internal: bool = False

    def as_line(self) -> dict[str, object]:
        """The patient's manifest line."""
        return {
            "id": self.key,
            "row": dict(self.row),
            "files": [list(pair) for pair in self.files],
            "internal": self.internal,
        }


def digest(data: bytes) -> str:
    """The SHA-256 of ``data``, in hex."""
    return hashlib.sha256(data).hexdigest()


def inputs_digest(items: Sequence[BatchItem]) -> str:
    """One digest of a batch's entries: ids, file contents, starts and paces (and the real
    path of a file that could not be read, however it is spelled)."""
    hasher = hashlib.sha256()
    for item in items:
        if item.content is not None:
            content = digest(item.content)
        elif isinstance(item.source, str):
            content = "unread " + _real(item.source)
        else:
            content = repr(item.source)
        fields = (item.key, content, str(item.start or ""), item.pace or "")
        hasher.update(json.dumps(fields).encode())
        hasher.update(b"\n")
    return hasher.hexdigest()


def _real(path: str) -> str:
    """The real path of ``path``, however it is spelled; the text itself where it has none
    (a NUL in it, say)."""
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return path


def header_for(
    items: Sequence[BatchItem],
    *,
    start: dt.date | None,
    pace: str | None,
    day: dt.date,
    today: dt.date,
    dtstamp: dt.datetime,
) -> RunHeader:
    """The header of a new run."""
    return RunHeader(
        inputs=inputs_digest(items),
        start="" if start is None else start.isoformat(),
        pace=pace or "",
        day=day.isoformat(),
        today=today.isoformat(),
        dtstamp=dtstamp.isoformat(),
    )


def read_manifest(folder: Path) -> tuple[RunHeader | None, dict[str, Written]]:
    """The header and finished patients of the manifest in ``folder``.

    ``(None, {})`` when there is no manifest; lines after the first that do
    not parse (a crash while appending) are skipped.

    Raises:
        ManifestError: something is at the manifest's path that is not a
            manifest (not a regular file, too large, a first line that is not
            a header).
    """
    path = folder / MANIFEST_FILE
    if not os.path.lexists(path):
        return None, {}
    try:
        data = read_limited(path, MAX_MANIFEST_BYTES)
    except ReadRefused as refused:
        raise ManifestError(f"{path}: {refused.reason}") from None
    except OSError as error:
        raise ManifestError(f"{path}: cannot read it ({error.strerror or error})") from None
    lines = data.split(b"\n")
    header = _header(lines[0])
    if header is None:
        raise ManifestError(f"{path}: not a taperplan batch manifest (its first line is not one)")
    finished: dict[str, Written] = {}
    for line in lines[1:]:
        written = _written(line)
        if written is not None:
            finished[written.key] = written
    return header, finished


def _load(line: bytes) -> dict[str, object] | None:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _header(line: bytes) -> RunHeader | None:
    value = _load(line)
    if value is None or value.pop("kind", None) != _KIND:
        return None
    names = [field.name for field in attrs.fields(RunHeader)]
    if sorted(value) != sorted(names) or not all(isinstance(v, str) for v in value.values()):
        return None
    return RunHeader(**{name: str(value[name]) for name in names})


def _written(line: bytes) -> Written | None:
    value = _load(line)
    if value is None:
        return None
    key, row, files, internal = (value.get(k) for k in ("id", "row", "files", "internal"))
    if not (isinstance(key, str) and isinstance(row, dict) and isinstance(files, list)):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in row.items()):
        return None
    pairs = [tuple(pair) for pair in files if isinstance(pair, list) and len(pair) == 2]
    if len(pairs) != len(files) or not all(isinstance(p, str) for pair in pairs for p in pair):
        return None
    return Written(key, row, tuple((str(a), str(b)) for a, b in pairs), internal is True)


def still_there(folder: Path, written: Written) -> bool:
    """Whether every file the manifest lists for a patient is in ``folder``, unchanged."""
    for name, sha in written.files:
        if Path(name).name != name:
            return False
        try:
            data = read_limited(folder / name, MAX_MANIFEST_BYTES)
        except (ReadRefused, OSError):
            return False
        if digest(data) != sha:
            return False
    return True


def start_manifest(folder: Path, header: RunHeader, kept: Iterable[Written]) -> IO[str]:
    """Begin the manifest afresh with ``header`` and the patients kept from an earlier
    run, and return it open for appending (each line is flushed as it is added).

    The new manifest is written atomically over the old one, so a crash here leaves
    one or the other whole.

    Raises:
        OutputError: it cannot be written (a full disk, no permission).
    """
    path = folder / MANIFEST_FILE
    lines = (header.as_line(), *(written.as_line() for written in kept))
    write_output(
        path, "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines), force=True
    )
    return path.open("a", encoding="utf-8", newline="\n")


def add(stream: IO[str], written: Written) -> None:
    """Append a finished patient to the manifest."""
    stream.write(json.dumps(written.as_line(), sort_keys=True) + "\n")
    stream.flush()
