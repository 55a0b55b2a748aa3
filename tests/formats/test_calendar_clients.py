"""The exported calendar in real clients: khal, Radicale, recurring-ical-events, ical.js.

Each plan below is exported with :func:`plan_to_ics` and read by every client;
each client must show exactly the plan's doses (count and instants), and the
plan's all-day milestones. The expected doses come from the plan alone
(:func:`calendar_clients.expected_doses`), never from the exporter.

The plans cover several opioids with uneven split doses (to which the planner
adds finer products), a fentanyl patch changed every 3 days, an oral solution
in the southern hemisphere, doses every other day from staggered offsets, and a
plan of more than a year in New York that crosses clock changes both ways, with
one dose time in the hour skipped in spring and one in the hour repeated in
autumn.

Clients read such skipped or repeated zoned wall times differently (RFC 5545
says: a skipped time takes the offset before the change, a repeated time is its
first occurrence; ical.js and Radicale place a skipped 02:30 at 01:30 standard
time, khal and ical.js place a repeated 01:30 at the second one). The exporter
therefore excludes those occurrences from their series (``EXDATE``) and writes
each as its own event in UTC at RFC 5545's instant. The comparison is strict:
every client must show every dose, those included, at exactly that instant, and
:class:`TestClockChanges` checks that all four agree on it.

A missing client fails the test under ``CI`` and skips it elsewhere; install
them with ``pip install ".[test]"`` and ``bash .ci/install-clients``.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import functools
import itertools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest

import calendar_clients as cc
from strategies import fmt
from support import TAPENTADOL_TID, in_ci
from taperplan import TaperPlan, parse_regimen, plan_taper
from taperplan.formats.ics import plan_to_ics

T = TypeVar("T")

DTSTAMP = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)

# --- the plans ----------------------------------------------------------------------

SEVERAL_OPIOIDS = """
# Morphine ER in uneven split doses (30/15/30 mg) plus oxycodone IR at noon.
timezone = "America/Chicago"

[[medication]]
drug = "morphine"
form = "er_tablet"
strength = ["15 mg", "30 mg"]
doses = ["30 mg", "15 mg", "30 mg"]
times = ["07:00", "15:00", "23:00"]

[[medication]]
drug = "oxycodone"
form = "ir_tablet"
strength = "5 mg"
dose = "5 mg"
times = ["12:00"]

[pace]
preset = "va-slower"
"""

PATCH_EVERY_3_DAYS = """
# Transdermal fentanyl 50 mcg/h (two 25 mcg/h patches) changed every 3 days.
timezone = "Europe/London"

[[medication]]
drug = "fentanyl"
form = "patch"
strength = ["12 mcg/h", "25 mcg/h"]
dose = "50 mcg/h"
times = ["09:00"]
every_days = 3

[pace]
percent = 25
basis = "current"
every_days = 14
max_step_fraction = 0.5
"""

ORAL_SOLUTION_SYDNEY = """
# Oxycodone oral solution 1 mg/mL, 10 mg four times a day (southern hemisphere clocks:
# they go back on 2027-04-04).
timezone = "Australia/Sydney"

[context]
on_opioids_since = 2027-01-15

[[medication]]
drug = "oxycodone"
form = "oral_solution"
strength = "1 mg/mL"
dose = "10 mg"
times = ["06:00", "12:00", "18:00", "23:00"]
resolution = "0.1 mL"

[pace]
preset = "etg-short"
"""

OVER_A_YEAR_NEW_YORK = """
# Two opioids over more than a year; 02:30 is skipped on 2027-03-14, 01:30 repeated on 2027-11-07.
timezone = "America/New_York"

[context]
on_opioids_since = 2019-05-01

[[medication]]
drug = "morphine"
form = "er_tablet"
strength = ["15 mg", "30 mg"]
dose = "60 mg"
times = ["02:30", "14:30"]

[[medication]]
drug = "hydromorphone"
form = "ir_tablet"
strength = "2 mg"
dose = "2 mg"
times = ["01:30", "20:00"]

[pace]
reduction = "15 mg"
basis = "original"
every_days = 56
max_step_fraction = 0.5
"""

#: Tapentadol IR three times a day: later steps take the 07:00 and 14:00 doses every 2 days,
#: staggered (the 07:00 dose from each step's second day), across the 2027-03-14 change.
TAPENTADOL_EVERY_OTHER_DAY = 'timezone = "America/New_York"\n' + TAPENTADOL_TID

#: The same regimen started on the spring-forward day, 35-day steps: the first
#: dose of the first series (its DTSTART) is at the skipped 02:30, so the
#: series' EXDATE excludes its own DTSTART; 01:30 repeats on 2027-11-07 (with
#: 28-day steps the 01:30 dose is gone by then).
STARTS_IN_THE_GAP = OVER_A_YEAR_NEW_YORK.replace("every_days = 56", "every_days = 35")

#: name -> (regimen TOML, start date)
PLANS: dict[str, tuple[str, dt.date]] = {
    "several-opioids-uneven": (SEVERAL_OPIOIDS, dt.date(2027, 2, 22)),
    "fentanyl-patch-every-3-days": (PATCH_EVERY_3_DAYS, dt.date(2027, 3, 15)),
    "oral-solution-sydney": (ORAL_SOLUTION_SYDNEY, dt.date(2027, 3, 22)),
    "over-a-year-new-york": (OVER_A_YEAR_NEW_YORK, dt.date(2027, 1, 4)),
    "starts-in-the-spring-gap": (STARTS_IN_THE_GAP, dt.date(2027, 3, 14)),
    "every-other-day-offsets": (TAPENTADOL_EVERY_OTHER_DAY, dt.date(2027, 2, 22)),
}
LONG_PLAN = "over-a-year-new-york"


@dataclasses.dataclass(frozen=True)
class Exported:
    """A plan, its calendar file and the doses the plan lists."""

    name: str
    plan: TaperPlan
    ics: bytes
    path: Path
    expected: list[cc.ExpectedDose]

    @property
    def zone(self) -> str:
        assert self.plan.regimen.timezone is not None
        return self.plan.regimen.timezone.key

    @property
    def window(self) -> tuple[dt.datetime, dt.datetime]:
        return cc.plan_window(self.plan)


@functools.cache
def _plan(name: str) -> TaperPlan:
    text, start = PLANS[name]
    return plan_taper(parse_regimen(text), start=start)


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Exported]:
    """Every plan exported once, written to a file."""
    folder = tmp_path_factory.mktemp("ics")
    result = {}
    for name in PLANS:
        plan = _plan(name)
        ics = plan_to_ics(plan, dtstamp=DTSTAMP)
        path = folder / f"{name}.ics"
        path.write_bytes(ics)
        result[name] = Exported(name, plan, ics, path, cc.expected_doses(plan))
    return result


@pytest.fixture(params=list(PLANS))
def exported(request: pytest.FixtureRequest, exports: dict[str, Exported]) -> Exported:
    """Each exported plan in turn."""
    return exports[request.param]


def _client(run: Callable[[], T]) -> T:
    """Run a client; a missing one fails under CI and skips elsewhere."""
    try:
        return run()
    except cc.ClientMissing as missing:
        if in_ci():
            pytest.fail(f"calendar client missing under CI: {missing}")
        pytest.skip(f"calendar client missing: {missing}")


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[cc.RadicaleServer]:
    """One Radicale server on loopback for the module."""
    server = cc.RadicaleServer(tmp_path_factory.mktemp("radicale"))
    _client(server.start)
    yield server
    server.stop()


class Clients:
    """Runs each client once per plan and keeps what it saw (the clock-change
    test reads the same runs as the per-client tests)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._seen: dict[tuple[str, str], list[cc.Occurrence]] = {}
        self.khal_messages: dict[str, str] = {}
        self.icaljs_version = ""

    def _cached(
        self, client: str, exported: Exported, run: Callable[[], list[cc.Occurrence]]
    ) -> list[cc.Occurrence]:
        key = (client, exported.name)
        if key not in self._seen:
            self._seen[key] = _client(run)
        return self._seen[key]

    def recurring_ical_events(self, exported: Exported) -> list[cc.Occurrence]:
        start, end = exported.window
        return self._cached(
            client="recurring-ical-events",
            exported=exported,
            run=lambda: cc.recurring_occurrences(exported.ics, start, end),
        )

    def icaljs(self, exported: Exported) -> list[cc.Occurrence]:
        start, end = exported.window

        def run() -> list[cc.Occurrence]:
            result = cc.icaljs_occurrences(exported.path, start, end)
            self.icaljs_version = result.version
            return result.occurrences

        return self._cached("ical.js", exported, run)

    def khal(self, exported: Exported) -> list[cc.Occurrence]:
        plan = exported.plan

        def run() -> list[cc.Occurrence]:
            result = cc.khal_occurrences(
                exported.path,
                zone=exported.zone,
                first=plan.start - dt.timedelta(days=1),
                last=plan.end + dt.timedelta(days=1),
                workdir=self._tmp.mktemp(f"khal-{exported.name}"),
            )
            self.khal_messages[exported.name] = result.messages
            return result.occurrences

        return self._cached("khal", exported, run)

    def radicale(self, exported: Exported, server: cc.RadicaleServer) -> list[cc.Occurrence]:
        start, end = exported.window

        def run() -> list[cc.Occurrence]:
            stored = server.upload(exported.name, exported.ics)
            uids = len(cc.split_by_uid(exported.ics))
            assert stored == uids, f"Radicale stored {stored} resources, the file has {uids} UIDs"
            return server.expand(exported.name, start, end)

        return self._cached("Radicale", exported, run)


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Clients:
    """The client runs of this module."""
    return Clients(tmp_path_factory)


# --- what every client must see --------------------------------------------------------


def _amount_text(dose: cc.ExpectedDose, plan: TaperPlan) -> str:
    """The dose amount as a person writes it (``7.5 mg``), independently of taperplan."""
    step = next(s for s in plan.steps if s.index == dose.step)
    part = next(p for p in step.medications if p.index == dose.medication)
    quantity = next(d for d in part.doses if d.time == dose.time).amount
    return f"{fmt(quantity.amount)} {quantity.unit.value}"


def assert_exact_doses(exported: Exported, seen: list[cc.Occurrence], client: str) -> cc.Comparison:
    """Every plan dose seen exactly once at its instant, with the drug and the
    amount in its title, and no other dose occurrence."""
    doses = cc.doses_of(seen)
    comparison = cc.compare_doses(client, exported.expected, doses)
    assert comparison.ok, f"{exported.name}: {comparison.report()}"
    assert len(doses) == len(exported.expected), (
        f"{exported.name}: {client} saw {len(doses)} doses, the plan has {len(exported.expected)}"
    )
    # Each occurrence names the right drug and amount: uneven splits show per time.
    by_instant: dict[dt.datetime, list[str]] = collections.defaultdict(list)
    for occurrence in doses:
        by_instant[occurrence.instant].append(occurrence.summary.casefold())
    mislabelled = []
    for dose in exported.expected:
        # The amount as a whole word: "5 mg" must not match inside "15 mg".
        amount = re.compile(rf"(?<![\d.]){re.escape(_amount_text(dose, exported.plan))}\b", re.I)
        titles = by_instant.get(dose.rfc, [])
        if not any(dose.drug.casefold() in t and amount.search(t) for t in titles):
            mislabelled.append(f"{dose.describe()}: titles {titles}")
    assert not mislabelled, (
        f"{exported.name}: {client}: {len(mislabelled)} doses without their drug and amount in "
        f"the title, e.g. {mislabelled[:5]}"
    )
    return comparison


def _milestones(plan: TaperPlan) -> collections.Counter[tuple[str, dt.date]]:
    """(category, first day) of every all-day event the plan implies."""
    result: collections.Counter[tuple[str, dt.date]] = collections.Counter()
    for step in plan.steps:
        result["Step", step.start] += 1
        if step.withdrawal_window is not None:
            result["Withdrawal window", step.withdrawal_window.start] += 1
        for day in step.check_ins:
            result["Check-in", day] += 1
    return result


def assert_milestones(exported: Exported, seen: list[cc.Occurrence], client: str) -> None:
    """The Step, Withdrawal window and Check-in all-day events, one per plan item."""
    got: collections.Counter[tuple[str, dt.date]] = collections.Counter()
    for occurrence in seen:
        if occurrence.has(cc.DOSE):
            assert not occurrence.all_day, f"{client}: dose {occurrence.uid} is all-day"
            continue
        assert occurrence.all_day, f"{client}: {occurrence.uid} ({occurrence.categories}) is timed"
        assert isinstance(occurrence.start, dt.date)
        for category in ("Step", "Withdrawal window", "Check-in"):
            if occurrence.has(category):
                got[category, occurrence.start] += 1
    want = _milestones(exported.plan)
    assert got == want, (
        f"{exported.name}: {client} saw {sum(got.values())} milestones, the plan has "
        f"{sum(want.values())}; missing {sorted((want - got).elements())[:5]}, "
        f"extra {sorted((got - want).elements())[:5]}"
    )


# --- the plans themselves ------------------------------------------------------------


class TestPlans:
    """The plans cover what the calendar tests promise to cover."""

    def test_long_plan_lasts_over_a_year_and_crosses_clock_changes_both_ways(self) -> None:
        """The New York plan lasts more than 365 days and spans forward and back changes."""
        plan = _plan(LONG_PLAN)
        assert (plan.end - plan.start).days + 1 > 365, f"{plan.start} to {plan.end}"
        zone = ZoneInfo("America/New_York")
        offsets = [
            dt.datetime.combine(plan.start + dt.timedelta(days=n), dt.time(12), zone).utcoffset()
            for n in range((plan.end - plan.start).days + 1)
        ]
        changes = [(a, b) for a, b in itertools.pairwise(offsets) if a != b]
        assert any(a is not None and b is not None and b > a for a, b in changes)
        assert any(a is not None and b is not None and b < a for a, b in changes)
        assert len(changes) >= 3, changes

    @pytest.mark.parametrize("name", list(PLANS))
    def test_every_plan_has_doses_on_both_sides_of_a_clock_change(self, name: str) -> None:
        """Each plan has doses in two different UTC offsets of its zone."""
        doses = cc.expected_doses(_plan(name))
        offsets = {d.rfc.astimezone(ZoneInfo(d.zone)).utcoffset() for d in doses}
        assert len(offsets) == 2, f"{name}: dose offsets {offsets}"

    def test_long_plan_has_a_skipped_and_a_repeated_dose_time(self) -> None:
        """One dose of the long plan falls in a spring gap and one in an autumn fold."""
        doses = cc.expected_doses(_plan(LONG_PLAN))
        ambiguous = sorted((d.day, d.time) for d in doses if d.ambiguous)
        assert ambiguous == [
            (dt.date(2027, 3, 14), dt.time(2, 30)),
            (dt.date(2027, 11, 7), dt.time(1, 30)),
        ]

    def test_a_series_starts_at_a_skipped_time(self) -> None:
        """The first dose of one series of the spring-gap plan is the skipped 02:30."""
        plan = _plan("starts-in-the-spring-gap")
        first = plan.steps[0]
        assert first.start == dt.date(2027, 3, 14)
        assert dt.time(2, 30) in {d.time for p in first.medications for d in p.doses}
        doses = cc.expected_doses(plan)
        assert [(d.day, d.time) for d in doses if d.ambiguous] == [
            (dt.date(2027, 3, 14), dt.time(2, 30)),
            (dt.date(2027, 11, 7), dt.time(1, 30)),
        ]

    def test_plans_cover_uneven_splits_patches_solutions_and_several_opioids(self) -> None:
        """Uneven split doses, a 3-day patch, an oral solution and two-opioid plans are present."""
        several = _plan("several-opioids-uneven").steps[0]
        morphine = several.medications[0]
        assert len({d.amount for d in morphine.doses}) > 1, morphine.doses
        assert len(several.medications) == 2
        patch = _plan("fentanyl-patch-every-3-days").steps[0].medications[0]
        assert patch.form.value == "patch"
        assert {d.every_days for d in patch.doses} == {3}
        solution = _plan("oral-solution-sydney").steps[0].medications[0]
        assert solution.form.value == "oral_solution"
        staggered = [
            (d.every_days, d.offset)
            for s in _plan("every-other-day-offsets").steps
            for p in s.medications
            for d in p.doses
        ]
        assert (2, 1) in staggered
        assert (2, 0) in staggered

    def test_a_plan_adds_a_finer_product(self) -> None:
        """A plan that adds the same drug's IR tablet and solution (its own series) is present."""
        plan = _plan("several-opioids-uneven")
        assert [s.product.name for s in plan.substitutes] == [
            "morphine ir_tablet",
            "morphine oral_solution",
        ]
        added = {s.index for s in plan.substitutes}
        assert any(d.medication in added for d in cc.expected_doses(plan))


# --- the clients ------------------------------------------------------------------------


class TestRecurringIcalEvents:
    """recurring-ical-events (over icalendar's parse) expands exactly the plan's doses."""

    def test_doses_and_milestones(self, exported: Exported, clients: Clients) -> None:
        """Every dose once at its instant with drug and amount, and every milestone."""
        seen = clients.recurring_ical_events(exported)
        assert_exact_doses(exported, seen, "recurring-ical-events")
        assert_milestones(exported, seen, "recurring-ical-events")


class TestIcalJs:
    """ical.js (node), with the file's own VTIMEZONE, expands exactly the plan's doses."""

    def test_doses_and_milestones(self, exported: Exported, clients: Clients) -> None:
        """Every dose once at the instant the zone rules give, and every milestone."""
        seen = clients.icaljs(exported)
        name = f"ical.js {clients.icaljs_version}"
        assert_exact_doses(exported, seen, name)
        assert_milestones(exported, seen, name)
        # Zoned in the plan's zone, except the doses at a skipped or repeated wall time.
        exact = {d.rfc for d in exported.expected if d.ambiguous}
        zones = collections.Counter(
            (o.shown.split(" ", 1)[1], o.instant in exact) for o in cc.doses_of(seen)
        )
        assert set(zones) <= {(exported.zone, False), ("UTC", True)}, f"{name}: {zones}"
        assert zones[("UTC", True)] == len(exact), f"{name}: {zones}"


class TestKhal:
    """khal imports the calendar into a vdir and lists exactly the plan's doses."""

    def test_doses_and_milestones(self, exported: Exported, clients: Clients) -> None:
        """``khal import`` then ``khal list`` shows every dose once, in the plan's zone."""
        seen = clients.khal(exported)
        messages = clients.khal_messages[exported.name]
        assert "error" not in messages.casefold(), messages
        assert_exact_doses(exported, seen, "khal")
        assert_milestones(exported, seen, "khal")
        # khal shows the plan's wall times, except a skipped one (which it moves).
        shown = collections.Counter(
            (o.start.date(), o.shown[11:16])
            for o in cc.doses_of(seen)
            if isinstance(o.start, dt.datetime)
        )
        planned = collections.Counter((d.day, f"{d.time:%H:%M}") for d in exported.expected)
        moved = sorted((planned - shown).elements())
        assert moved == [(d.day, f"{d.time:%H:%M}") for d in exported.expected if d.skipped], moved


class TestRadicale:
    """Radicale stores the calendar (one resource per UID) and expands exactly the plan's doses."""

    def test_doses_and_milestones(
        self, exported: Exported, clients: Clients, radicale: cc.RadicaleServer
    ) -> None:
        """MKCALENDAR, PUT, then REPORT with ``<C:expand>`` returns every dose once."""
        seen = clients.radicale(exported, radicale)
        assert_exact_doses(exported, seen, "Radicale")
        assert_milestones(exported, seen, "Radicale")
        # Expanded from the series, except the one-off doses at a skipped or repeated time.
        exact = sorted(d.rfc for d in exported.expected if d.ambiguous)
        single = sorted(o.instant for o in cc.doses_of(seen) if "RECURRENCE-ID" not in o.shown)
        assert single == exact, f"not expanded: {single}, one-off doses at {exact}"


class TestClockChanges:
    """Every client shows a dose at a skipped or repeated wall time at RFC 5545's instant."""

    def test_all_clients_agree_on_the_rfc_instant(
        self, exports: dict[str, Exported], clients: Clients, radicale: cc.RadicaleServer
    ) -> None:
        """The skipped 02:30 (2027-03-14) and repeated 01:30 (2027-11-07) doses of the
        long plan appear exactly once in each client, at 07:30Z (03:30 EDT) and 05:30Z
        (the first 01:30, EDT), and nowhere at the other reading."""
        exported = exports[LONG_PLAN]
        runs = {
            "recurring-ical-events": clients.recurring_ical_events(exported),
            "ical.js": clients.icaljs(exported),
            "khal": clients.khal(exported),
            "Radicale": clients.radicale(exported, radicale),
        }
        ambiguous = [d for d in exported.expected if d.ambiguous]
        assert [(d.day, d.rfc) for d in ambiguous] == [
            (dt.date(2027, 3, 14), dt.datetime(2027, 3, 14, 7, 30, tzinfo=dt.UTC)),
            (dt.date(2027, 11, 7), dt.datetime(2027, 11, 7, 5, 30, tzinfo=dt.UTC)),
        ]
        seen = {}
        for client, occurrences in runs.items():
            for dose in ambiguous:
                hits = [
                    o.instant
                    for o in cc.doses_of(occurrences)
                    if o.instant in dose.readings and dose.drug in o.summary.casefold()
                ]
                seen[client, f"{dose.day} {dose.time:%H:%M}"] = hits
        want = {
            key: [d.rfc] for d in ambiguous for key in seen if key[1] == f"{d.day} {d.time:%H:%M}"
        }
        assert seen == want


# --- the harness can fail ------------------------------------------------------------


def _without_uid(ics: bytes, uid: str) -> bytes:
    """The calendar without the components of ``uid``."""
    import icalendar  # noqa: PLC0415 - optional test dependency

    calendar = icalendar.Calendar.from_ical(ics)
    calendar.subcomponents = [c for c in calendar.subcomponents if str(c.get("UID", "")) != uid]
    return bytes(calendar.to_ical())


class TestHarness:
    """The oracle and the comparisons catch a wrong calendar."""

    def test_oracle_lists_patch_changes_every_3_days(self) -> None:
        """The oracle puts the first step's patch changes on days 0, 3, 6, 9 and 12."""
        plan = _plan("fentanyl-patch-every-3-days")
        first = plan.steps[0]
        days = [d.day for d in cc.expected_doses(plan) if d.step == first.index]
        assert days == [dt.date(2027, 3, d) for d in (15, 18, 21, 24, 27)], days
        assert first.end == dt.date(2027, 3, 29)

    def test_a_missing_dose_series_is_reported(
        self, exports: dict[str, Exported], clients: Clients
    ) -> None:
        """Dropping one recurring dose event leaves exactly its doses missing."""
        exported = exports["several-opioids-uneven"]
        seen = clients.recurring_ical_events(exported)
        dropped_uid = cc.doses_of(seen)[0].uid
        series = sum(1 for o in seen if o.uid == dropped_uid)
        ics = _without_uid(exported.ics, dropped_uid)
        start, end = exported.window
        comparison = cc.compare_doses(
            "recurring-ical-events",
            exported.expected,
            cc.doses_of(cc.recurring_occurrences(ics, start, end)),
        )
        assert not comparison.ok
        assert len(comparison.missing) == series > 1, comparison.report()
        assert not comparison.extra

    def test_icaljs_reads_the_files_own_time_zone(
        self, exports: dict[str, Exported], tmp_path: Path
    ) -> None:
        """With the DAYLIGHT observances removed, ical.js puts summer doses an hour off."""
        exported = exports["several-opioids-uneven"]
        import icalendar  # noqa: PLC0415 - optional test dependency

        calendar = icalendar.Calendar.from_ical(exported.ics)
        for block in calendar.walk("VTIMEZONE"):
            block.subcomponents = [c for c in block.subcomponents if c.name != "DAYLIGHT"]
        broken = tmp_path / "broken.ics"
        broken.write_bytes(calendar.to_ical())
        start, end = exported.window
        run = _client(lambda: cc.icaljs_occurrences(broken, start, end))
        comparison = cc.compare_doses("ical.js", exported.expected, cc.doses_of(run.occurrences))
        zone = ZoneInfo(exported.zone)
        summer = [d for d in exported.expected if dt.datetime.combine(d.day, d.time, zone).dst()]
        assert summer, "the plan must have doses in summer time"
        assert len(comparison.missing) == len(summer) == len(comparison.extra), comparison.report()

    def test_a_duplicate_occurrence_is_extra(
        self, exports: dict[str, Exported], clients: Clients
    ) -> None:
        """An occurrence seen twice is reported as one extra dose."""
        exported = exports["fentanyl-patch-every-3-days"]
        doses = cc.doses_of(clients.recurring_ical_events(exported))
        comparison = cc.compare_doses("test", exported.expected, [*doses, doses[3]])
        assert not comparison.missing
        assert comparison.extra == (doses[3],), comparison.report()
