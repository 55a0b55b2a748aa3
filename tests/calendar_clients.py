"""Run real calendar clients over an exported calendar and report what each one saw.

The calendar tests (``test_calendar_clients.py``) hand an ``.ics`` file to four
independent readers and compare what they saw with the plan itself:

* **khal** (``khal import`` into a throw-away vdir, then ``khal list --json``),
* **Radicale** (a CalDAV server on loopback: ``MKCALENDAR``, one ``PUT`` per UID,
  then a ``calendar-query`` ``REPORT`` with server-side ``<C:expand>``),
* **recurring-ical-events** (``of(calendar).between(a, b)`` over icalendar's parse),
* **ical.js** (``tests/js/occurrences.mjs`` under node, with the file's own
  VTIMEZONEs registered).

Each ``*_occurrences`` function returns :class:`Occurrence` records, one per
occurrence the client showed. The oracle, :func:`expected_doses`, enumerates the
doses from the :class:`~taperplan.TaperPlan` alone (steps, doses, ``every_days``,
wall-clock times in the regimen's zone), never from the exporter.

A missing client raises :class:`ClientMissing`; the tests turn that into a
failure when ``CI`` is set and into a skip elsewhere.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import datetime as dt
import http.client
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from taperplan import TaperPlan

#: Where the node helper and its pinned ical.js live.
JS_DIR = Path(__file__).resolve().parent / "js"
#: Seconds any one client run may take before the test gives up on it.
CLIENT_TIMEOUT = 120.0
DOSE = "Dose"


class ClientMissing(Exception):  # noqa: N818 - reads as "client missing: <reason>"
    """A calendar client is not installed; ``reason`` says how to install it."""


class ClientError(Exception):
    """A calendar client refused the calendar or failed; the message holds its output."""


# --- what a client saw ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Occurrence:
    """One occurrence of one event, as a client showed it.

    ``start`` is an aware datetime for a timed occurrence (any zone; compare
    :attr:`instant`) and a date for an all-day one. ``shown`` is the client's own
    text for the start, for messages.
    """

    client: str
    uid: str
    categories: tuple[str, ...]
    summary: str
    start: dt.datetime | dt.date
    shown: str

    @property
    def all_day(self) -> bool:
        """Whether this is an all-day occurrence."""
        return not isinstance(self.start, dt.datetime)

    @property
    def instant(self) -> dt.datetime:
        """The start as an aware UTC datetime (timed occurrences only)."""
        if not isinstance(self.start, dt.datetime) or self.start.tzinfo is None:
            raise TypeError(f"{self.client}: {self.uid} at {self.shown} is not a timed instant")
        return self.start.astimezone(dt.UTC)

    def has(self, category: str) -> bool:
        """Whether the occurrence carries ``category`` (case-insensitive)."""
        return category.casefold() in (c.casefold() for c in self.categories)


def _split_categories(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


# --- the oracle: doses from the plan alone -----------------------------------------


@dataclasses.dataclass(frozen=True)
class ExpectedDose:
    """One dose the plan lists: a medication, a local date and a wall-clock time.

    ``rfc`` is the instant RFC 5545 gives that wall time in the zone (a time
    skipped by a clock change is read with the offset before the change, a
    repeated time is its first occurrence). ``readings`` holds every instant the
    wall time can mean: one, or two when a clock change skips or repeats it.
    """

    step: int
    medication: int
    drug: str
    form: str
    amount: str
    day: dt.date
    time: dt.time
    zone: str

    @property
    def rfc(self) -> dt.datetime:
        """The RFC 5545 reading of the wall time, in UTC."""
        return dt.datetime.combine(self.day, self.time, ZoneInfo(self.zone)).astimezone(dt.UTC)

    @property
    def readings(self) -> frozenset[dt.datetime]:
        """The UTC instants the wall time can mean (both folds)."""
        local = dt.datetime.combine(self.day, self.time, ZoneInfo(self.zone))
        return frozenset(
            {local.astimezone(dt.UTC), local.replace(fold=1).astimezone(dt.UTC)},
        )

    @property
    def skipped(self) -> bool:
        """Whether a clock change skips this wall time on this day (it does not exist)."""
        zone = ZoneInfo(self.zone)
        local = dt.datetime.combine(self.day, self.time, zone)
        return local.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != local.replace(
            tzinfo=None
        )

    @property
    def ambiguous(self) -> bool:
        """Whether a clock change skips or repeats this wall time on this day."""
        return len(self.readings) > 1

    def describe(self) -> str:
        """``2027-03-14 02:30 morphine 45 mg (step 1)``."""
        return f"{self.day} {self.time:%H:%M} {self.drug} {self.amount} (step {self.step})"


def expected_doses(plan: TaperPlan) -> list[ExpectedDose]:
    """Every dose of ``plan``: for each step, medication and dose, the dates
    ``step.start + offset + k * every_days`` within the step, at the dose's wall time.

    Raises:
        ValueError: the plan's regimen has no time zone.
    """
    if plan.regimen.timezone is None:
        raise ValueError("the plan's regimen has no timezone; calendar export needs one")
    zone = plan.regimen.timezone.key
    result = []
    for step in plan.steps:
        last = step.end
        for medication in step.medications:
            for dose in medication.doses:
                day = step.start + dt.timedelta(days=dose.offset)
                while day <= last:
                    result.append(
                        ExpectedDose(
                            step=step.index,
                            medication=medication.index,
                            drug=medication.drug,
                            form=medication.form.value,
                            amount=str(dose.amount),
                            day=day,
                            time=dose.time,
                            zone=zone,
                        )
                    )
                    day += dt.timedelta(days=dose.every_days)
    return result


@dataclasses.dataclass(frozen=True)
class Comparison:
    """How a client's dose occurrences compare with the plan's doses."""

    client: str
    expected: int
    seen: int
    missing: tuple[ExpectedDose, ...]
    extra: tuple[Occurrence, ...]

    @property
    def ok(self) -> bool:
        """Whether every dose was seen exactly once, at its instant, and nothing else."""
        return not self.missing and not self.extra

    def report(self, limit: int = 8) -> str:
        """A message naming the counts and the first differences."""
        lines = [f"{self.client}: saw {self.seen} dose occurrences, the plan has {self.expected}"]
        if self.missing:
            lines.append(f"  {len(self.missing)} plan doses not seen at their instant, e.g.:")
            lines.extend(
                f"    {item.describe()} = {item.rfc:%Y-%m-%dT%H:%MZ}"
                for item in self.missing[:limit]
            )
        if self.extra:
            lines.append(f"  {len(self.extra)} occurrences not in the plan, e.g.:")
            lines.extend(
                f"    {item.shown} = {item.instant:%Y-%m-%dT%H:%MZ} {item.summary!r} ({item.uid})"
                for item in self.extra[:limit]
            )
        return "\n".join(lines)


def compare_doses(
    client: str, expected: Sequence[ExpectedDose], seen: Sequence[Occurrence]
) -> Comparison:
    """Match ``seen`` dose occurrences to ``expected`` doses one to one by instant.

    Every dose must be seen at exactly its RFC 5545 instant (:attr:`ExpectedDose.rfc`),
    including a wall time that a clock change skips or repeats: the exporter
    writes those in UTC so that no client can read them another way.
    """
    pool: dict[dt.datetime, list[Occurrence]] = collections.defaultdict(list)
    for item in seen:
        pool[item.instant].append(item)
    missing: list[ExpectedDose] = []
    for dose in sorted(expected, key=lambda d: d.rfc):
        if pool.get(dose.rfc):
            pool[dose.rfc].pop()
        else:
            missing.append(dose)
    extra = tuple(sorted((o for items in pool.values() for o in items), key=lambda o: o.instant))
    return Comparison(
        client=client,
        expected=len(expected),
        seen=len(seen),
        missing=tuple(missing),
        extra=extra,
    )


def doses_of(occurrences: Iterable[Occurrence]) -> list[Occurrence]:
    """The occurrences with ``CATEGORIES:Dose``."""
    return [o for o in occurrences if o.has(DOSE)]


def plan_window(plan: TaperPlan) -> tuple[dt.datetime, dt.datetime]:
    """A UTC range that holds the whole plan with a day to spare on each side."""
    if plan.regimen.timezone is None:
        raise ValueError("the plan's regimen has no timezone")
    zone = plan.regimen.timezone
    first = dt.datetime.combine(plan.start - dt.timedelta(days=1), dt.time(), zone)
    last = dt.datetime.combine(plan.end + dt.timedelta(days=2), dt.time(), zone)
    return first.astimezone(dt.UTC), last.astimezone(dt.UTC)


# --- finding the clients ---------------------------------------------------------------


def _venv_executable(name: str) -> Path | None:
    """``name`` beside the running interpreter (the venv's bin), or on PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(name)
    return Path(found) if found else None


def khal_executable() -> Path:
    """The ``khal`` executable of this environment.

    Raises:
        ClientMissing: khal is not installed.
    """
    found = _venv_executable("khal")
    if found is None:
        raise ClientMissing('khal is not installed: pip install ".[test]" (it brings khal)')
    return found


def require_radicale() -> None:
    """Check that Radicale can be run as ``python -m radicale``.

    Raises:
        ClientMissing: Radicale is not installed.
    """
    if importlib.util.find_spec("radicale") is None:
        raise ClientMissing('radicale is not installed: pip install ".[test]" (it brings Radicale)')


def require_recurring_ical_events() -> None:
    """Check that recurring-ical-events is importable.

    Raises:
        ClientMissing: it is not installed.
    """
    if importlib.util.find_spec("recurring_ical_events") is None:
        raise ClientMissing('recurring-ical-events is not installed: pip install ".[test]"')


def node_executable() -> Path:
    """The ``node`` executable, with ical.js installed under ``tests/js``.

    Raises:
        ClientMissing: node or the pinned ical.js is missing.
    """
    found = shutil.which("node")
    if found is None:
        raise ClientMissing(
            "node is not installed: install Node.js 18 or later, then run bash .ci/install-clients"
        )
    if not (JS_DIR / "node_modules" / "ical.js" / "package.json").is_file():
        raise ClientMissing(
            "ical.js is not installed under tests/js: run bash .ci/install-clients (npm ci --prefix tests/js)"
        )
    return Path(found)


def _run(
    args: Sequence[str | Path], *, env: dict[str, str] | None = None, what: str
) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(
            [str(a) for a in args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=CLIENT_TIMEOUT,
            env=env,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as error:
        raise ClientError(f"{what} took more than {CLIENT_TIMEOUT:.0f} s") from error
    if done.returncode != 0:
        raise ClientError(
            f"{what} exited {done.returncode}\nstdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
        )
    return done


# --- khal ------------------------------------------------------------------------------

#: khal's locale formats: ISO dates, and start times with their UTC offset so the
#: instant khal means can be read back exactly.
_KHAL_LOCALE = {
    "timeformat": "%H:%M",
    "dateformat": "%Y-%m-%d",
    "longdateformat": "%Y-%m-%d",
    "datetimeformat": "%Y-%m-%dT%H:%M%z",
    "longdatetimeformat": "%Y-%m-%dT%H:%M%z",
}
_KHAL_FIELDS = ("uid", "title", "categories", "start")


@dataclasses.dataclass(frozen=True)
class KhalRun:
    """What khal showed, and what it said on stderr while importing and listing."""

    occurrences: list[Occurrence]
    messages: str


def khal_occurrences(
    ics: Path, *, zone: str, first: dt.date, last: dt.date, workdir: Path
) -> KhalRun:
    """Import ``ics`` into a fresh vdir with ``khal import --batch`` and list
    every occurrence from ``first`` to ``last`` with ``khal list --json``.

    khal lists an event on every day it touches, so repeated rows of one
    occurrence (same UID and start) are kept once.

    Args:
        ics: the calendar file.
        zone: khal's ``local_timezone`` and ``default_timezone`` (the plan's zone,
            so wall times show as the plan writes them).
        first: the first day to list.
        last: the last day to list.
        workdir: an empty folder for the config, vdir, cache and XDG folders.

    Raises:
        ClientMissing: khal is not installed.
        ClientError: khal failed.
    """
    khal = khal_executable()
    vdir = workdir / "vdir" / "plan"
    vdir.mkdir(parents=True)
    for sub in ("xdg-config", "xdg-data", "xdg-cache"):
        (workdir / sub).mkdir()
    locale = "\n".join(f"{key} = {value}" for key, value in _KHAL_LOCALE.items())
    config = workdir / "khal.conf"
    config.write_text(
        f"[calendars]\n[[plan]]\npath = {vdir}\ntype = calendar\n\n"
        f"[locale]\n{locale}\nlocal_timezone = {zone}\ndefault_timezone = {zone}\n\n"
        f"[default]\ndefault_calendar = plan\n\n"
        f"[sqlite]\npath = {workdir / 'khal.db'}\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(workdir / "xdg-config"),
        "XDG_DATA_HOME": str(workdir / "xdg-data"),
        "XDG_CACHE_HOME": str(workdir / "xdg-cache"),
        "TZ": zone,
        "LC_ALL": "C.UTF-8",
    }
    base: list[str | Path] = [khal, "--no-color", "-c", config]
    imported = _run([*base, "import", "--batch", "-a", "plan", ics], env=env, what="khal import")
    fields = [arg for name in _KHAL_FIELDS for arg in ("--json", name)]
    listed = _run(
        [
            *base,
            "list",
            "-a",
            "plan",
            *fields,
            "--day-format",
            "",
            first.isoformat(),
            last.isoformat(),
        ],
        env=env,
        what="khal list",
    )
    seen: dict[tuple[str, str], Occurrence] = {}
    for line in listed.stdout.splitlines():
        if not line.strip():
            continue
        for row in json.loads(line):
            key = (row["uid"], row["start"])
            if key in seen:
                continue
            text = row["start"]
            start: dt.datetime | dt.date
            if "T" in text:
                start = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M%z")
            else:
                start = dt.date.fromisoformat(text)
            seen[key] = Occurrence(
                client="khal",
                uid=row["uid"],
                categories=_split_categories([row["categories"]]),
                summary=row["title"],
                start=start,
                shown=text,
            )
    messages = "\n".join(part for part in (imported.stderr.strip(), listed.stderr.strip()) if part)
    return KhalRun(occurrences=list(seen.values()), messages=messages)


# --- Radicale ----------------------------------------------------------------------------

_DAV = "{DAV:}"
_CALDAV = "{urn:ietf:params:xml:ns:caldav}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def split_by_uid(ics: bytes) -> dict[str, bytes]:
    """One calendar resource per UID (the CalDAV norm): the UID's components
    with every VTIMEZONE of the file."""
    import icalendar  # noqa: PLC0415 - optional test dependency

    calendar = icalendar.Calendar.from_ical(ics)
    zones = list(calendar.walk("VTIMEZONE"))
    by_uid: dict[str, list[Any]] = collections.defaultdict(list)
    for component in calendar.subcomponents:
        if component.name in {"VEVENT", "VTODO", "VJOURNAL"}:
            by_uid[str(component["UID"])].append(component)
    resources = {}
    for uid, components in by_uid.items():
        resource = icalendar.Calendar()
        resource.add("prodid", str(calendar.get("PRODID", "-//taperplan tests//EN")))
        resource.add("version", "2.0")
        for zone in zones:
            resource.add_component(zone)
        for component in components:
            resource.add_component(component)
        resources[uid] = resource.to_ical()
    return resources


class RadicaleServer:
    """A Radicale 3 server on ``127.0.0.1``, with no authentication, storing in
    ``folder``; start with :meth:`start`, stop with :meth:`stop`."""

    user = "taperplan"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log = folder / "radicale.log"

    @property
    def log(self) -> str:
        """The server's log so far."""
        return self._log.read_text(encoding="utf-8", errors="replace") if self._log.exists() else ""

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and wait until it answers.

        Raises:
            ClientMissing: Radicale is not installed.
            ClientError: it did not start.
        """
        require_radicale()
        self.port = _free_port()
        config = self.folder / "radicale.conf"
        config.write_text(
            f"[server]\nhosts = 127.0.0.1:{self.port}\n\n"
            "[auth]\ntype = none\n\n"
            "[rights]\ntype = owner_only\n\n"
            f"[storage]\nfilesystem_folder = {self.folder / 'collections'}\n\n"
            "[web]\ntype = none\n\n"
            "[logging]\nlevel = warning\n",
            encoding="utf-8",
        )
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "radicale", "--config", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ClientError(f"Radicale exited {self._process.returncode}:\n{self.log}")
            try:
                status, _ = self.request("OPTIONS", "/")
            except OSError:
                time.sleep(0.1)
                continue
            if status < 500:
                return
        self.stop()
        raise ClientError(
            f"Radicale did not answer on port {self.port} within {timeout:.0f} s:\n{self.log}"
        )

    def stop(self) -> None:
        """Stop the server (terminate, then kill after 10 s)."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        self._process = None

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        """One HTTP request as :attr:`user`; returns the status and body."""
        token = base64.b64encode(f"{self.user}:unused".encode()).decode()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(
                method,
                path,
                body=body,
                headers={"Authorization": f"Basic {token}", **(headers or {})},
            )
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def collection(self, name: str) -> str:
        """The path of the calendar collection ``name`` of :attr:`user`."""
        return f"/{self.user}/{urllib.parse.quote(name, safe='')}/"

    def upload(self, name: str, ics: bytes) -> int:
        """``MKCALENDAR`` the collection ``name`` and ``PUT`` one resource per UID.

        Returns:
            The number of resources stored.

        Raises:
            ClientError: the server refused a request.
        """
        path = self.collection(name)
        status, body = self.request("MKCALENDAR", path)
        if status != 201:
            raise ClientError(f"MKCALENDAR {path}: HTTP {status} {body[:500]!r}\n{self.log}")
        resources = split_by_uid(ics)
        for uid, resource in resources.items():
            target = path + urllib.parse.quote(uid, safe="") + ".ics"
            status, body = self.request(
                "PUT",
                target,
                resource,
                {"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"},
            )
            if status not in {201, 204}:
                raise ClientError(f"PUT {target}: HTTP {status} {body[:500]!r}\n{self.log}")
        return len(resources)

    def expand(self, name: str, start: dt.datetime, end: dt.datetime) -> list[Occurrence]:
        """``REPORT`` calendar-query on the collection with ``<C:expand>`` and a
        VEVENT time-range filter from ``start`` to ``end`` (UTC).

        Raises:
            ClientError: the server refused the report.
        """
        import icalendar  # noqa: PLC0415 - optional test dependency

        begin = start.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        finish = end.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        query = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            f'<D:prop><D:getetag/><C:calendar-data><C:expand start="{begin}" end="{finish}"/>'
            "</C:calendar-data></D:prop>"
            '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
            f'<C:time-range start="{begin}" end="{finish}"/>'
            "</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
        ).encode()
        path = self.collection(name)
        status, body = self.request(
            "REPORT", path, query, {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}
        )
        if status != 207:
            raise ClientError(f"REPORT {path}: HTTP {status} {body[:500]!r}\n{self.log}")
        root = ET.fromstring(body)  # noqa: S314 - the answer of our own loopback server
        result: list[Occurrence] = []
        for response in root.iter(f"{_DAV}response"):
            href = response.findtext(f"{_DAV}href") or "?"
            for data in response.iter(f"{_CALDAV}calendar-data"):
                calendar = icalendar.Calendar.from_ical(data.text or "")
                result.extend(
                    _occurrence_from_vevent("radicale", event, href)
                    for event in calendar.walk("VEVENT")
                )
        return result


def _occurrence_from_vevent(client: str, event: Any, where: str) -> Occurrence:
    start = event["DTSTART"].dt
    categories: list[str] = []
    raw = event.get("CATEGORIES")
    for item in raw if isinstance(raw, list) else [raw] if raw is not None else []:
        categories.extend(str(c) for c in item.cats)
    shown = start.isoformat()
    if "RECURRENCE-ID" in event:
        shown += f" (RECURRENCE-ID {event['RECURRENCE-ID'].dt.isoformat()}, {where})"
    return Occurrence(
        client=client,
        uid=str(event["UID"]),
        categories=_split_categories(categories),
        summary=str(event.get("SUMMARY", "")),
        start=start,
        shown=shown,
    )


# --- recurring-ical-events ---------------------------------------------------------------


def recurring_occurrences(ics: bytes, start: dt.datetime, end: dt.datetime) -> list[Occurrence]:
    """Every occurrence from ``start`` to ``end`` by
    ``recurring_ical_events.of(calendar).between(start, end)``.

    Raises:
        ClientMissing: recurring-ical-events is not installed.
    """
    require_recurring_ical_events()
    import icalendar  # noqa: PLC0415 - optional test dependency
    import recurring_ical_events  # type: ignore[import-untyped]  # noqa: PLC0415 - optional test dependency

    calendar = icalendar.Calendar.from_ical(ics)
    return [
        _occurrence_from_vevent("recurring-ical-events", event, "expanded")
        for event in recurring_ical_events.of(calendar).between(start, end)
    ]


# --- ical.js ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class IcalJsRun:
    """What ical.js showed, and which version it was."""

    version: str
    occurrences: list[Occurrence]


def icaljs_occurrences(ics: Path, start: dt.datetime, end: dt.datetime) -> IcalJsRun:
    """Every occurrence from ``start`` to ``end`` as ical.js expands it
    (``tests/js/occurrences.mjs``), its instants computed with the file's own
    VTIMEZONEs.

    Raises:
        ClientMissing: node or ical.js is missing.
        ClientError: the script failed.
    """
    node = node_executable()
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    done = _run(
        [
            node,
            JS_DIR / "occurrences.mjs",
            ics,
            start.astimezone(dt.UTC).strftime(stamp),
            end.astimezone(dt.UTC).strftime(stamp),
        ],
        what="node occurrences.mjs (ical.js)",
    )
    data = json.loads(done.stdout)
    result = []
    for row in data["occurrences"]:
        when: dt.datetime | dt.date
        if row["all_day"]:
            when = dt.date.fromisoformat(row["local"])
        else:
            when = dt.datetime.fromisoformat(row["utc"].replace("Z", "+00:00"))
        result.append(
            Occurrence(
                client="ical.js",
                uid=row["uid"],
                categories=_split_categories(row["categories"]),
                summary=row["summary"] or "",
                start=when,
                shown=f"{row['local']} {row['tzid'] or ''}".strip(),
            )
        )
    return IcalJsRun(version=data["ical_js"], occurrences=result)
