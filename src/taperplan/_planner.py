"""The taper planner: from a regimen to a dated plan that never drops abruptly.

How a step is chosen (docs/planning.md has the full rules and sources):

1. Pick the medication to cut by the taper order (long-acting first by
   default); if it has no cut within the rules, try the next.
2. The pace gives a target cut (a percent of the original or current total,
   or a fixed amount). Candidates come from an *even-cut chain*: starting from
   the current doses, repeatedly lower the largest dose by one dispensable
   step (ties: the dose least worth keeping, so bedtime doses go last). This
   reproduces the VA uneven-split pattern (90/75/90 → 75/75/90 → 75/75/75).
3. A candidate is allowed when its cut is at most ``max_step_fraction`` of
   the previous total, or, while the medication's daily amount is at most two
   smallest units, at most one smallest unit per day (interfaces.md §4).
4. Prefer keeping every administration time, then the cut closest to the
   target, then the smaller cut.
5. End game: at a single smallest unit taken daily, go to every other day;
   the final stop comes only from a dose taken less than once a day, the
   smallest patch, or ≤ 5 MME/day.

The engine works in integers (multiples of each medication's dispensing
grid) and exact fractions; Decimal quantities appear only in the result.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from bisect import bisect_left
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from functools import cache
from math import gcd, lcm
from typing import Literal

import attrs

from taperplan._adjuncts import suggest_adjuncts
from taperplan._catalogue import FactorSet, Form, WithdrawalProfile
from taperplan._data import load_data
from taperplan._dispense import UnitCount, UnitSet, reachable
from taperplan._errors import PlanningError, RefusedError
from taperplan._mme import mme_warnings, resolve_factor_set
from taperplan._notices import Notice, notice
from taperplan._pace import Pace, default_pace, preset
from taperplan._plan import Dose, MedicationDose, Step, StepKind, TaperPlan
from taperplan._regimen import Medication, Regimen
from taperplan._safety import dst_time_warnings, oud_refusal_reason, regimen_safety_warnings
from taperplan._units import Quantity, format_decimal
from taperplan._withdrawal import WithdrawalWindow, window_after, window_rules

TaperOrder = Literal["long-acting-first", "short-acting-first", "proportional"]

#: The most steps one plan may have; a pace that needs more is refused.
MAX_STEPS = 400


@cache
def _check_in_rules() -> tuple[int, int, int, int]:
    """(max gap, days before a cut, min gap, stop step days) from ``withdrawal.toml``."""
    data = load_data("withdrawal.toml")
    checks, stop = data["check_ins"], data["stop_step"]
    return (
        int(checks["max_gap_days"]),
        int(checks["before_cut_days"]),
        int(checks["min_gap_days"]),
        int(stop["min_days"]),
    )


_LONG_ACTING = {
    WithdrawalProfile.LONG_ACTING,
    WithdrawalProfile.METHADONE,
    WithdrawalProfile.TRANSDERMAL,
    WithdrawalProfile.BUPRENORPHINE,
}


@cache
def _end_game() -> tuple[int, Fraction]:
    table = load_data("paces.toml")["end_game"]
    return int(table["max_every_days"]), Fraction(table["stop_at_or_below_mme"])


# -- integer tracks ----------------------------------------------------------------


def _scale_of(values: Sequence[Decimal]) -> int:
    places = 0
    for value in values:
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            places = max(places, -exponent)
    return int("1" + "0" * places)


def _grid(unit_set: UnitSet) -> Decimal:
    """The step every dispensable amount of ``unit_set`` is a multiple of."""
    if unit_set.form is Form.ORAL_SOLUTION:
        assert unit_set.resolution is not None  # noqa: S101 - set for solutions
        sizes = [s.amount * unit_set.resolution.amount for s in unit_set.strengths]
    else:
        sizes = [s.amount for s in unit_set.strengths]
        if unit_set.splittable:
            sizes += [s.amount / 2 for s in unit_set.strengths]
    scale = _scale_of(sizes)
    divisor = 0
    for size in sizes:
        divisor = gcd(divisor, int(size * scale))
    return Decimal(divisor) / scale


@cache
def _menu(unit_set: UnitSet, grid: Decimal, top: int) -> tuple[int, ...]:
    """Every dispensable amount up to ``top`` grid steps, ascending."""
    if unit_set.form is Form.ORAL_SOLUTION:
        assert unit_set.resolution is not None  # noqa: S101 - set for solutions
        steps = {int(s.amount * unit_set.resolution.amount / grid) for s in unit_set.strengths}
        return tuple(k for k in range(1, top + 1) if any(k % step == 0 for step in steps))
    return reachable(unit_set, grid, top)


_State = tuple[tuple[int, ...], tuple[int, ...]]
"""Per administration time (in the regimen's order): amount in grid steps
(0 once dropped) and the interval in days."""


@attrs.frozen
class _Shape:
    """What the moves from a state depend on: the dispensable amounts, the
    smallest unit, patch or not, which dose is kept longest, interval weights."""

    menu: tuple[int, ...]
    smallest: int
    patch: bool
    keep_rank: tuple[int, ...]
    weights: tuple[int, ...]
    longest: int

    def below(self, amount: int) -> int:
        """The next dispensable amount under ``amount`` (0 if none)."""
        position = bisect_left(self.menu, amount)
        return self.menu[position - 1] if position else 0

    def lower(self, state: _State, position: int) -> _State:
        """One step down for one administration: a smaller dispensable amount;
        at the smallest, the longest interval of the end game (every other day;
        not for patches); then dropped."""
        amounts, everys = list(state[0]), list(state[1])
        below = self.below(amounts[position])
        if below:
            amounts[position] = below
        elif not self.patch and everys[position] < self.longest:
            everys[position] = self.longest
        else:
            amounts[position] = 0
        return tuple(amounts), tuple(everys)

    def daily(self, state: _State) -> int:
        amounts, everys = state
        if self.patch:
            return sum(amounts)
        return sum([a * self.weights[e] for a, e in zip(amounts, everys, strict=True)])


class _Track:
    """One medication in integer form.

    Amounts are whole grid steps. ``daily_int`` is the daily amount times
    ``day_scale`` (the lcm of the intervals the track can use), so it is an
    integer; ``measure_int`` is the MME/day (or daily amount) times the
    plan-wide ``_Engine.scale``. The engine compares only integers.
    """

    __slots__ = (
        "bands",
        "day_scale",
        "doses",
        "factor",
        "grid",
        "grid_decimal",
        "index",
        "keep_rank",
        "medication",
        "memo",
        "menu",
        "mult",
        "mults",
        "patch",
        "scale_decimal",
        "scaled_factor",
        "shape_of",
        "smallest",
        "smallest_unit",
        "stated",
        "thresholds",
        "unit_set",
        "units",
        "weights",
    )

    def __init__(self, index: int, medication: Medication, factor_set: FactorSet) -> None:
        unit_set = medication.unit_set
        grid = _grid(unit_set)
        amounts = [a.amount.amount / grid for a in medication.administrations]
        factor = factor_set.factor_for(medication.product, medication.daily_amount)
        self.index = index
        self.medication = medication
        self.unit_set = unit_set
        self.stated = medication.stated_unit_set
        self.smallest_unit = unit_set.smallest_unit
        self.doses: dict[_State, MedicationDose] = {}
        self.memo: dict[_State, tuple[int, int]] = {}
        self.units: dict[tuple[int, bool], tuple[UnitCount, ...]] = {}
        self.grid = Fraction(grid)
        self.grid_decimal = grid
        self.scale_decimal = Decimal(1)
        self.menu = _menu(unit_set, grid, int(max(amounts)))
        self.smallest = int(unit_set.smallest_unit.amount / grid)
        self.factor = None if factor is None else Fraction(factor)
        self.bands: tuple[tuple[Fraction, Fraction], ...] = ()
        if medication.drug == "methadone" and factor_set.methadone_bands:
            self.bands = tuple(
                (Fraction(b.high), Fraction(b.factor)) for b in factor_set.methadone_bands
            )
        self.patch = medication.form is Form.PATCH
        self.keep_rank = _keep_rank(len(amounts))
        self.day_scale = 1
        if not self.patch:
            intervals = (medication.interval(a) for a in medication.administrations)
            self.day_scale = lcm(_end_game()[0], *intervals)
        self.weights = tuple(
            0 if e == 0 else self.day_scale // e for e in range(self.day_scale + 1)
        )
        self.shape_of = _Shape(
            self.menu, self.smallest, self.patch, self.keep_rank, self.weights, _end_game()[0]
        )
        self.mult = 0
        self.scaled_factor = Fraction(0)
        self.mults: tuple[int, ...] = ()
        self.thresholds: tuple[Fraction, ...] = ()

    def per_unit(self) -> tuple[Fraction, ...]:
        """MME (or amount) per unit of ``daily_int``, for each factor the track can use."""
        factors = [f for _, f in self.bands] or [
            self.factor if self.factor is not None else Fraction(1)
        ]
        return tuple(f * self.grid / self.day_scale for f in factors)

    def set_scale(self, scale: int) -> None:
        multipliers = [int(value * scale) for value in self.per_unit()]
        self.mult = multipliers[0]
        self.scale_decimal = Decimal(scale)
        # Converts a fixed reduction of this medication into the engine's scaled measure.
        self.scaled_factor = (self.factor if self.factor is not None else Fraction(1)) * scale
        self.mults = tuple(multipliers)
        # A banded track's factor depends on its daily amount: band limits in daily_int units.
        self.thresholds = tuple(high * self.day_scale / self.grid for high, _ in self.bands)

    def daily_int(self, state: _State) -> int:
        return self.ints(state)[0]

    def measure_int(self, state: _State) -> int:
        return self.ints(state)[1]

    def measure_of_daily(self, daily: int) -> int:
        """The measure (× engine scale) of a daily amount (× day scale)."""
        if self.bands:
            for limit, band_mult in zip(self.thresholds, self.mults, strict=True):
                if daily <= limit:
                    return daily * band_mult
            return daily * self.mults[-1]
        return daily * self.mult

    def ints(self, state: _State) -> tuple[int, int]:
        """(daily amount × day_scale, measure × engine scale), memoised per state."""
        known = self.memo.get(state)
        if known is not None:
            return known
        daily = self.shape_of.daily(state)
        result = (daily, self.measure_of_daily(daily))
        self.memo[state] = result
        return result

    def daily(self, state: _State) -> Fraction:
        """The daily amount (mg/day, or mcg/h for a patch)."""
        return self.daily_int(state) * self.grid / self.day_scale

    def measure(self, state: _State) -> Fraction:
        """MME/day, or the daily amount where MME does not apply."""
        daily = self.daily(state)
        if self.bands:
            for high, factor in self.bands:
                if daily <= high:
                    return daily * factor
            return daily * self.bands[-1][1]
        return daily if self.factor is None else daily * self.factor

    @property
    def unit_per_day(self) -> Fraction:
        """One smallest unit, as a daily amount."""
        return self.smallest * self.grid


def _keep_rank(count: int) -> tuple[int, ...]:
    """How much each administration (in time order) is worth keeping.

    The last dose of the day (bedtime) is kept longest, then the first, then
    the others from later to earlier: the VA examples cut the middle dose
    first (90/90/90 → 90/75/90).
    """
    if count == 1:
        return (0,)
    order = [count - 1, 0, *range(count - 2, 0, -1)]
    rank = [0] * count
    for position, index in enumerate(order):
        rank[index] = count - position
    return tuple(rank)


def _tracks(medications: Sequence[Medication], factor_set: FactorSet) -> tuple[list[_Track], int]:
    """The integer tracks of ``medications`` and the plan-wide measure scale."""
    tracks = [_Track(i, m, factor_set) for i, m in enumerate(medications)]
    scale = 1
    for track in tracks:
        for value in track.per_unit():
            scale = lcm(scale, value.denominator)
    for track in tracks:
        track.set_scale(scale)
    return tracks, scale


@attrs.frozen
class _Raw:
    """A step before it is dated: its doses, what was cut, and how long it lasts."""

    kind: str
    days: int
    parts: tuple[MedicationDose, ...]
    cut_fraction: Decimal
    cut_drug: str | None
    profile: WithdrawalProfile | None
    key: str
    note: str | None = None


def _live(state: _State) -> bool:
    return any(state[0])


# -- choosing cuts -----------------------------------------------------------------


class _Engine:
    def __init__(
        self, tracks: Sequence[_Track], scale: int, pace: Pace, order: TaperOrder | Sequence[str]
    ) -> None:
        self.tracks = tuple(tracks)
        self.scale = scale
        self.pace = pace
        self.rule = pace.cut_rule()
        cap = Fraction(pace.max_step_fraction)
        self.cap = cap
        self.cap_num, self.cap_den = cap.numerator, cap.denominator
        self.order = order
        self.stop_at = int(_end_game()[1] * scale)
        # Original MME/day of medications stopped before a re-plan: still part of
        # the original total that original-based paces measure against.
        self.stopped_original = 0
        mme_tracks = tuple(t for t in self.tracks if t.factor is not None)
        self.groups = tuple(mme_tracks if t.factor is not None else (t,) for t in self.tracks)

    def total(self, track: _Track, states: Sequence[_State]) -> int:
        return sum(t.measure_int(states[t.index]) for t in self.groups[track.index])

    def ordered(self, states: Sequence[_State], originals: Sequence[int]) -> list[_Track]:
        active = [t for t in self.tracks if _live(states[t.index])]
        if len(active) <= 1:
            return active
        if self.order == "proportional":

            def behind(track: _Track) -> tuple[Fraction, int]:
                start = originals[track.index]
                share = (
                    Fraction(track.measure_int(states[track.index]), start)
                    if start
                    else Fraction(0)
                )
                return (-share, track.index)

            return sorted(active, key=behind)
        if isinstance(self.order, str):
            long_first = self.order == "long-acting-first"

            def rank(track: _Track) -> tuple[int, int, int, int]:
                is_long = track.medication.product.profile in _LONG_ACTING
                group = (0 if is_long else 1) if long_first else (1 if is_long else 0)
                # Mayo's research tool tapered tramadol last.
                tramadol = 1 if track.medication.drug == "tramadol" else 0
                return (group, tramadol, -track.measure_int(states[track.index]), track.index)

            return sorted(active, key=rank)
        names = list(self.order)
        return sorted(
            active,
            key=lambda t: (
                names.index(t.medication.drug) if t.medication.drug in names else len(names),
                t.index,
            ),
        )

    def choose(
        self, states: tuple[_State, ...], originals: tuple[int, ...], index: int
    ) -> tuple[_Track, _State, tuple[int, int]] | None:
        """The next cut: (track, its new state, (cut, previous total)), or None when stuck."""
        final = sum(1 for s in states if _live(s)) == 1
        for track in self.ordered(states, originals):
            result = self.best(track, states, originals, index, final=final)
            if result is not None:
                return track, result[0], result[1]
        return None

    def may_stop(self, track: _Track, state: _State) -> bool:
        """The stop rule of interfaces.md §4: taken less than once a day, the
        smallest patch, or ≤ 5 MME/day."""
        amounts, everys = state
        live = [i for i, a in enumerate(amounts) if a]
        if track.patch:
            return len(live) == 1 and amounts[live[0]] <= track.smallest
        if all(everys[i] >= 2 for i in live):
            return True
        return track.factor is not None and track.measure_int(state) <= self.stop_at

    def best(
        self,
        track: _Track,
        states: tuple[_State, ...],
        originals: tuple[int, ...],
        index: int,
        *,
        final: bool,
    ) -> tuple[_State, tuple[int, int]] | None:
        state = states[track.index]
        total = self.total(track, states)
        original = sum(originals[t.index] for t in self.groups[track.index])
        if track.factor is not None:
            original += self.stopped_original
        before = track.measure_int(state)
        # The rule is linear in its totals, so it works on the scaled integers directly;
        # the target stays exact (as num/den): rounding it to the engine's scale would make
        # near ties depend on the other medications in the regimen.
        t_num, t_den = self.rule.target_ratio(original, total, index, track.scaled_factor)
        cap_total = self.cap_num * total
        cap_den = self.cap_den
        daily_before = track.daily_int(state)
        unit = track.smallest * track.day_scale
        low = daily_before <= 2 * unit

        best_key: tuple[int, int, int] | None = None
        best_new = state
        dropped = state[0].count(0)
        shape = track.shape_of
        banded = bool(track.bands)
        mult = track.mult

        def score(new: _State) -> int:
            """Consider ``new``; return its cut (for the chain's early exits)."""
            nonlocal best_key, best_new
            daily = shape.daily(new)
            cut = before - (track.measure_of_daily(daily) if banded else daily * mult)
            if cut > 0 and (cut * cap_den <= cap_total or (low and daily_before - daily <= unit)):
                key = (abs(cut * t_den - t_num), new[0].count(0) - dropped, cut)
                if best_key is None or key < best_key:
                    best_key, best_new = key, new
            return cut

        # The even-cut chain: lower one administration a step at a time. An
        # administration already on alternate days is finished first; otherwise
        # the largest (by its average per day), ties going to the dose least
        # worth keeping.
        chain = state
        weights, keep = shape.weights, shape.keep_rank
        # End game: once every dose is at the smallest unit, one dose changes a
        # step (a dose time dropped or moved to alternate days), as in the VA
        # examples (15 mg q8h → q12h → once daily).
        end_game = all(a <= shape.smallest for a in state[0] if a)
        while not end_game or chain is state:
            amounts, everys = chain
            live = [i for i, a in enumerate(amounts) if a]
            if (
                len(live) == 1
                and amounts[live[0]] <= shape.smallest
                and (shape.patch or everys[live[0]] >= 2)
            ):
                break  # only the stop is left
            spaced = [i for i in live if everys[i] >= 2]
            if spaced:
                position = min(spaced, key=keep.__getitem__)
            else:
                position = max(live, key=lambda i: (amounts[i] * weights[everys[i]], -keep[i]))
            chain = shape.lower(chain, position)
            if not _live(chain):
                break
            cut = score(chain)
            if (not low and cut * cap_den > cap_total) or cut * t_den >= t_num:
                break  # further along the chain only cuts more
        # Single moves: lower just one administration a step (finer cuts than the
        # chain's when the largest dose is coarse, e.g. one dose to alternate days);
        # in the end game also drop one dose time. The dose least worth keeping
        # comes first, so it wins ties.
        for position in sorted(range(len(state[0])), key=keep.__getitem__):
            if state[0][position]:
                new = shape.lower(state, position)
                if _live(new):
                    score(new)
                if end_game:
                    dropped_one = (
                        tuple(0 if i == position else a for i, a in enumerate(state[0])),
                        state[1],
                    )
                    if _live(dropped_one):
                        score(dropped_one)
        # The stop: the final one by the stop rule (interfaces.md §4); one of
        # several medications only when the cut fits the cap or the low-dose allowance.
        stop: _State = (tuple(0 for _ in state[0]), state[1])
        fits = before * cap_den <= cap_total or (low and daily_before <= unit)
        # Less than once a day is no licence to stop from a high dose: the cut must
        # still fit the cap or the low-dose allowance (≤ 5 MME/day needs neither).
        tiny = track.factor is not None and before <= self.stop_at
        if (final and self.may_stop(track, state) and (fits or tiny)) or (not final and fits):
            key = (abs(before * t_den - t_num), len(state[0]), before)
            if best_key is None or key < best_key:
                best_key, best_new = key, stop
        if best_key is None:
            return None
        # keys: (distance from the target, doses dropped, cut)
        return best_new, (best_key[2], total)

    def stuck(self, states: Sequence[_State]) -> PlanningError:
        parts = []
        for track in (t for t in self.tracks if _live(states[t.index])):
            state = states[track.index]
            unit = track.medication.dose_unit.value
            cap = self.cap * Fraction(self.total(track, states), self.scale)
            per = "" if track.patch else "/day"
            parts.append(
                f"{track.medication.product.name} at {_fmt(track.daily(state))} {unit}{per} "
                f"(smallest unit {_fmt(track.unit_per_day)} {unit}; the cap allows cuts of at most "
                f"{_fmt(cap)} {'MME/day' if track.factor is not None else unit + per})"
            )
        forms = {t.medication.form for t in self.tracks if _live(states[t.index])}
        fixes = [
            "choose a pace with a larger cap (a longer step does not help: the cap limits each cut)"
        ]
        if forms - {Form.PATCH}:
            fixes.insert(
                0,
                "allow a lower strength or scored tablets that can be halved (available = [...], split = true)",
            )
            fixes.insert(
                1, 'use an oral solution measured with a fine syringe (resolution = "0.1 mL")'
            )
        if Form.PATCH in forms:
            fixes.insert(
                0,
                "patches come in fixed strengths: discuss a pace with larger steps with the prescriber",
            )
        return PlanningError(
            f"no dispensable step fits the {self.pace.name} cap of "
            f"{format_decimal(self.pace.max_step_fraction * 100)}% of the current total: "
            + "; ".join(parts)
            + ". Fixes: "
            + "; or ".join(fixes)
            + "."
        )


def _fmt(value: Fraction) -> str:
    return format_decimal(
        (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"))
    )


# -- building results --------------------------------------------------------------


@cache
def _units(unit_set: UnitSet, amount: Quantity) -> tuple[UnitCount, ...]:
    made = unit_set.make(amount)
    if made is None:
        made = attrs.evolve(unit_set, max_pieces=64).make(amount)
    if made is None:  # pragma: no cover - amounts come from the menu or the validated baseline
        raise PlanningError(f"{amount} cannot be made from {unit_set.strengths}")
    return made


def _medication_dose(track: _Track, state: _State) -> MedicationDose:
    cached = track.doses.get(state)
    if cached is not None:
        return cached
    amounts, everys = state
    medication = track.medication
    unit = medication.dose_unit
    doses = []
    for administration, value, every in zip(
        medication.administrations, amounts, everys, strict=True
    ):
        if value == 0:
            continue
        amount = Quantity(track.grid_decimal * value, unit)
        # The patient's own tablets where they make the dose; else any allowed units.
        own = amount == administration.amount
        units = track.units.get((value, own))
        if units is None:
            units = _units(track.stated if own else track.unit_set, amount)
            track.units[value, own] = units
        doses.append(Dose(administration.time, amount, every, units))
    daily, measure = track.ints(state)
    mme = None
    if track.factor is not None:
        mme = Decimal(measure) / track.scale_decimal
    result = MedicationDose(
        index=track.index,
        product=medication.product,
        doses=tuple(doses),
        daily_amount=Quantity(Decimal(daily) * track.grid_decimal / track.day_scale, unit),
        mme_per_day=mme,
        smallest_unit=track.smallest_unit,
    )
    track.doses[state] = result
    return result


def _total_mme(parts: Sequence[MedicationDose]) -> Decimal | None:
    values = [p.mme_per_day for p in parts]
    if any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal(0))


def _step_days(pace: Pace, states: Sequence[_State]) -> int:
    """Step length: the pace's interval, never under the minimum, and a whole
    number of every N-day interval taken in the step (whole patch changes)."""
    days = max(pace.every_days, pace.min_step_days)
    period = 1
    for amounts, everys in states:
        for amount, every in zip(amounts, everys, strict=True):
            if amount:
                period = lcm(period, every)
    return -(-days // period) * period


def _plan_id(regimen: Regimen, start: dt.date, pace: Pace, order: str, factor_set: str) -> str:
    parts = [
        start.isoformat(),
        pace.name,
        str(pace.max_step_fraction),
        str(pace.every_days),
        order,
        factor_set,
    ]
    for medication in regimen.medications:
        parts.append(medication.product.name)
        parts.append(",".join(map(str, medication.strengths)))
        parts.extend(
            f"{a.time.isoformat()}={a.amount}/{medication.interval(a)}"
            for a in medication.administrations
        )
        parts.append(str(medication.every_days))
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"tp-{digest[:12]}"


def _check_in_for(start: dt.date, end: dt.date) -> dt.date:
    """The check-in before the next cut: a week into the step or 6 days before
    its end, whichever is later (VA-TDT: 1–4 weeks after a start, then before
    each reduction)."""
    length = (end - start).days
    _, before_cut, _, _ = _check_in_rules()
    return max(
        start + dt.timedelta(days=min(before_cut, length)), end - dt.timedelta(days=before_cut)
    )


def _date_steps(
    raws: Sequence[_Raw], start: dt.date, *, previous_check_in: dt.date | None = None
) -> tuple[Step, ...]:
    """Give ``raws`` their dates from ``start``, with withdrawal windows,
    check-ins and overlap notes."""
    max_gap, _, min_gap, _ = _check_in_rules()
    steps = []
    day = start
    last_check = previous_check_in
    for position, raw in enumerate(raws):
        end = day + dt.timedelta(days=raw.days - 1)
        window: WithdrawalWindow | None = None
        notes: list[str] = []
        if raw.profile is not None and raw.kind != "pause":
            window = window_after(day, raw.profile)
            if raw.kind == "stop":
                end = max(end, window.end)
            elif end < window.end:
                notes.append(
                    f"this step ({raw.days} days) is shorter than the expected withdrawal window "
                    f"(to {window.end.isoformat()}); the next cut may come before symptoms settle: "
                    "consider pausing if they are troublesome"
                )
        if raw.note:
            notes.append(raw.note)
        pre = _check_in_for(day, end)
        checks = []
        anchor = last_check if last_check is not None else day
        while (pre - anchor).days > max_gap:
            following = anchor + dt.timedelta(days=max_gap)
            # Keep at least a week before the pre-cut check-in.
            following = min(following, pre - dt.timedelta(days=min_gap))
            if following >= day:
                checks.append(following)
            anchor = following
        checks.append(pre)
        last_check = pre
        steps.append(
            Step(
                id=raw.key,
                index=position,
                kind=StepKind(raw.kind),
                start=day,
                end=end,
                medications=raw.parts,
                total_mme_per_day=_total_mme(raw.parts),
                cut_fraction=raw.cut_fraction,
                cut_drug=raw.cut_drug,
                withdrawal_profile=raw.profile,
                withdrawal_window=window,
                check_in=pre,
                check_ins=tuple(checks),
                notes=tuple(notes),
            )
        )
        day = end + dt.timedelta(days=1)
    return tuple(steps)


def _raws(
    engine: _Engine,
    tracks: Sequence[_Track],
    baseline: tuple[_State, ...],
    originals: tuple[int, ...],
    *,
    plan_id: str,
    first_number: int,
    first_index: int,
) -> list[_Raw]:
    """Every cut from ``baseline`` to the stop, undated."""
    states = baseline
    raws: list[_Raw] = []
    index = first_index
    # Only the medication cut changes at a step: the others' doses carry over.
    parts = [_medication_dose(t, s) for t, s in zip(tracks, states, strict=True)]
    while any(_live(s) for s in states):
        if len(raws) >= MAX_STEPS:
            raise PlanningError(
                f"the pace {engine.pace.name} would need more than {MAX_STEPS} steps; "
                "choose a pace with a larger cap"
            )
        choice = engine.choose(states, originals, index)
        if choice is None:
            raise engine.stuck(states)
        track, new_state, (cut, total) = choice
        states = tuple(new_state if i == track.index else s for i, s in enumerate(states))
        parts[track.index] = _medication_dose(track, new_state)
        stop = not any(_live(s) for s in states)
        profile = track.medication.product.profile
        if stop:
            # The stop step covers the withdrawal window after the last dose.
            days = max(window_rules()[profile].end_day + 1, _check_in_rules()[3])
        else:
            days = _step_days(engine.pace, states)
        raws.append(
            _Raw(
                kind="stop" if stop else "cut",
                days=days,
                parts=tuple(parts),
                cut_fraction=Decimal(cut) / Decimal(total) if total else Decimal(1),
                cut_drug=track.medication.drug,
                profile=profile,
                key=f"{plan_id}-s{first_number + len(raws):03d}",
            )
        )
        index += 1
    return raws


def _engine_for(
    regimen: Regimen, pace: Pace, order: TaperOrder | Sequence[str], factor_set: FactorSet
) -> tuple[_Engine, list[_Track]]:
    tracks, scale = _tracks(regimen.medications, factor_set)
    return _Engine(tracks, scale, pace, order), tracks


def _state_of(medication: Medication, track: _Track) -> _State:
    amounts = tuple(int(Fraction(a.amount.amount) / track.grid) for a in medication.administrations)
    return amounts, tuple(medication.interval(a) for a in medication.administrations)


def _resolve_pace(regimen: Regimen, pace: Pace | str | None, start: dt.date) -> tuple[Pace, str]:
    if isinstance(pace, Pace):
        return pace, f"pace {pace.name} given by the caller"
    if isinstance(pace, str):
        return preset(pace), f"pace {pace} given by the caller"
    if regimen.pace is not None:
        return regimen.pace, f"pace {regimen.pace.name} from the regimen's [pace] table"
    chosen, why = default_pace(regimen.context.on_opioids_since, start)
    return chosen, f"default pace {chosen.name}: {why}"


def _refusals(regimen: Regimen, pace: Pace, *, supervised: bool) -> None:
    for index, medication in enumerate(regimen.medications):
        reason = oud_refusal_reason(medication)
        if reason is not None:
            raise RefusedError(f"medication[{index}]: {reason}")
    if pace.supervised_only and not (supervised or regimen.context.supervised):
        raise RefusedError(
            f"the {pace.name} pace is only for patients under close supervision; pass supervised=True "
            "(or set context.supervised = true) if that is the case, or choose another pace"
        )


def plan_taper(
    regimen: Regimen,
    *,
    start: dt.date,
    pace: Pace | str | None = None,
    order: TaperOrder | Sequence[str] = "long-acting-first",
    factors: str | FactorSet | None = None,
    supervised: bool = False,
) -> TaperPlan:
    """Plan a gradual taper of ``regimen`` starting on ``start``.

    Args:
        regimen: the current regimen (see :func:`taperplan.load_regimen`).
        start: the day of the first cut; taperplan never reads the clock.
        pace: a :class:`Pace`, a preset name, or None for the regimen's
            ``[pace]`` table or else the default for the context (a year or
            more on opioids, or unknown: ``cdc-long-term``; shorter:
            ``cdc-short-term``).
        order: which medication to taper first: ``"long-acting-first"``
            (default, as the Mayo research tool), ``"short-acting-first"``,
            ``"proportional"`` (each step cuts the medication furthest from its
            share), or a sequence of drug names.
        factors: the MME factor set (default ``cdc2022``).
        supervised: the patient is under close supervision (needed for
            ``va-rapid``).

    Returns:
        A :class:`TaperPlan`: the same input always gives the same plan.

    Raises:
        RefusedError: a medication for opioid use disorder, or a
            supervised-only pace without supervision.
        PlanningError: no dispensable step fits the pace's cap (the message
            names the fix).
        NotApplicableError: the factor set cannot convert a dose.
    """
    factor_set = resolve_factor_set(factors)
    chosen, reason = _resolve_pace(regimen, pace, start)
    _refusals(regimen, chosen, supervised=supervised)
    order_name = order if isinstance(order, str) else "explicit: " + ", ".join(order)
    engine, tracks = _engine_for(regimen, chosen, order, factor_set)
    baseline = tuple(_state_of(m, t) for m, t in zip(regimen.medications, tracks, strict=True))
    originals = tuple(t.measure_int(s) for t, s in zip(tracks, baseline, strict=True))
    plan_id = _plan_id(regimen, start, chosen, order_name, factor_set.name)
    raws = _raws(
        engine, tracks, baseline, originals, plan_id=plan_id, first_number=1, first_index=0
    )
    steps = _date_steps(raws, start)
    baseline_parts = tuple(_medication_dose(t, s) for t, s in zip(tracks, baseline, strict=True))
    return TaperPlan(
        id=plan_id,
        revision=0,
        regimen=regimen,
        pace=chosen,
        pace_reason=reason,
        order=order_name,
        factor_set=factor_set.name,
        start=start,
        baseline=baseline_parts,
        baseline_total_mme_per_day=_total_mme(baseline_parts),
        steps=steps,
        warnings=_plan_warnings(regimen, chosen, baseline_parts, factor_set, steps),
        adjuncts=suggest_adjuncts(regimen.context, total_mme=_total_mme(baseline_parts)),
    )


def _plan_warnings(
    regimen: Regimen,
    pace: Pace,
    baseline: Sequence[MedicationDose],
    factor_set: FactorSet,
    steps: Sequence[Step],
) -> tuple[Notice, ...]:
    from taperplan._mme import medication_mme  # noqa: PLC0415

    parts = [medication_mme(m, factor_set) for m in regimen.medications]
    total = _total_mme(baseline)
    result: list[Notice] = list(mme_warnings(total, parts, factor_set))
    if pace.cap_lifted:
        result.append(
            notice(
                "cap-above-preset",
                cap=format_decimal(pace.max_step_fraction * 100),
                preset_cap=format_decimal((pace.preset_cap or Decimal(0)) * 100),
                pace=pace.name,
            )
        )
    if pace.supervised_only:
        result.append(notice("supervised-pace", pace=pace.name))
    if any(
        step.notes and step.kind is StepKind.CUT and "shorter than the expected" in step.notes[0]
        for step in steps
    ):
        result.append(notice("steps-shorter-than-window"))
    result.extend(regimen_safety_warnings(regimen, total_mme=total))
    result.extend(dst_time_warnings(regimen, start=steps[0].start, end=steps[-1].end))
    result.extend(regimen.notices)
    return tuple(dict.fromkeys(result))


# -- pause and re-plan -------------------------------------------------------------


def _raw_of(step: Step, *, days: int | None = None) -> _Raw:
    """An undated copy of ``step`` (to re-date it after a pause or re-plan)."""
    return _Raw(
        kind=step.kind.value,
        days=step.days if days is None else days,
        parts=step.medications,
        cut_fraction=step.cut_fraction,
        cut_drug=step.cut_drug,
        profile=step.withdrawal_profile,
        key=step.id,
        note=next((n for n in step.notes if n.startswith("pause:")), None),
    )


def _period(parts: Sequence[MedicationDose]) -> int:
    """The days after which every dose of ``parts`` falls on the same day again."""
    return lcm(1, *(d.every_days for p in parts for d in p.doses))


def _whole(days: int, period: int) -> int:
    """``days`` rounded up to whole ``period``s."""
    return -(-days // period) * period


def pause_plan(plan: TaperPlan, *, on: dt.date, days: int) -> TaperPlan:
    """See :meth:`TaperPlan.pause`."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise PlanningError(f"pause days must be a whole number from 1 to 365, not {days!r}")
    step = plan.step_on(on)
    if step.kind is StepKind.STOP and on > step.start:
        raise PlanningError(
            f"{on.isoformat()} is after the stop ({step.start.isoformat()}); nothing to hold"
        )
    raws = [_raw_of(s) for s in plan.steps]
    key = f"{step.id}-hold-{on.isoformat()}"
    # A step covers whole dosing intervals (alternate days, patch changes):
    # the hold starts at the next whole interval and lasts whole intervals.
    before = _whole((on - step.start).days, _period(step.medications))
    if before >= step.days:
        # The hold would start after this step: postpone the next cut instead.
        step = plan.steps[step.index + 1]
        before = 0
    position = step.index
    if before == 0:
        # Postpone this step's cut: hold the previous dose.
        held = plan.baseline if position == 0 else plan.steps[position - 1].medications
        days = _whole(days, _period(held))
        pause = _Raw(
            kind="pause",
            days=days,
            parts=held,
            cut_fraction=Decimal(0),
            cut_drug=None,
            profile=None,
            key=key,
            note=f"pause: the dose before this cut is held for {days} days",
        )
        new_raws = [*raws[:position], pause, *raws[position:]]
    else:
        days = _whole(days, _period(step.medications))
        held_raw = attrs.evolve(
            _raw_of(step, days=step.days - before + days),
            kind="pause",
            cut_fraction=Decimal(0),
            cut_drug=None,
            profile=None,
            key=key,
            note=f"pause: this dose is held {days} days longer",
        )
        new_raws = [*raws[:position], _raw_of(step, days=before), held_raw, *raws[position + 1 :]]
    steps = _date_steps(new_raws, plan.start)
    return attrs.evolve(plan, steps=steps, revision=plan.revision + 1)


def replan(
    plan: TaperPlan,
    *,
    on: dt.date,
    regimen: Regimen | None = None,
    pace: Pace | str | None = None,
    supervised: bool = False,
) -> TaperPlan:
    """Continue a plan from what the patient actually takes on ``on``.

    Steps before ``on`` are kept as they were (the one in effect is cut short,
    but a step with a cut still lasts its pace's minimum, so the first new cut
    may come a few days after ``on``); from there a new schedule follows from
    ``regimen`` (default: the doses in effect the day before) at ``pace``
    (default: the plan's). The original baseline stays the reference for
    original-based paces. New steps reuse the identifiers of the steps they
    replace, so calendar exports update rather than duplicate; a product the
    new regimen adds joins the plan's medication list.

    Raises:
        PlanningError: ``on`` is outside the plan, or no step fits the cap.
        RefusedError: as :func:`plan_taper`.
    """
    chosen = plan.pace if pace is None else (pace if isinstance(pace, Pace) else preset(pace))
    step = plan.step_on(on)
    if step.kind is StepKind.CUT and step.start < on:
        # A cut step still lasts its minimum before the next cut.
        earliest = step.start + dt.timedelta(days=plan.pace.min_step_days)
        on = min(max(on, earliest), step.end + dt.timedelta(days=1))
    if step.start < on <= step.end:
        # ... and covers whole dosing intervals.
        on = step.start + dt.timedelta(
            days=_whole((on - step.start).days, _period(step.medications))
        )
        on = min(on, step.end + dt.timedelta(days=1))
    step = plan.step_on(on)
    if regimen is not None:
        new_regimen = regimen
    elif on == plan.start:
        new_regimen = plan.regimen
    else:
        # What the patient takes now: the dose in effect the day before.
        new_regimen = _regimen_on(plan, plan.step_on(on - dt.timedelta(days=1)))
    _refusals(new_regimen, chosen, supervised=supervised)
    factor_set = resolve_factor_set(plan.factor_set)
    order: TaperOrder | Sequence[str] = "long-acting-first"
    if plan.order == "short-acting-first":
        order = "short-acting-first"
    elif plan.order == "proportional":
        order = "proportional"
    elif plan.order.startswith("explicit: "):
        order = plan.order.removeprefix("explicit: ").split(", ")
    engine, tracks = _engine_for(new_regimen, chosen, order, factor_set)
    current = tuple(_state_of(m, t) for m, t in zip(new_regimen.medications, tracks, strict=True))
    originals = _originals_for(plan, tracks, engine.scale)
    taken = {t.medication.product for t in tracks}
    engine.stopped_original = sum(
        round(Fraction(p.mme_per_day) * engine.scale)
        for p in plan.baseline
        if p.product not in taken and p.mme_per_day is not None
    )
    kept = [_raw_of(s) for s in plan.steps if s.end < on]
    if step.start < on <= step.end:
        kept.append(_raw_of(step, days=(on - step.start).days))
    first_number = 1 + max((n for n in (_number(r.key) for r in kept) if n is not None), default=0)
    fresh = _raws(
        engine,
        tracks,
        current,
        originals,
        plan_id=plan.id,
        first_number=first_number,
        first_index=len(kept),
    )
    # Keep every step's medications aligned with one list: the plan's, plus
    # any product the new regimen adds.
    known = {m.product for m in plan.regimen.medications}
    added = tuple(m for m in new_regimen.medications if m.product not in known)
    merged = (*plan.regimen.medications, *added)
    offset = len(plan.regimen.medications)
    extra = tuple(_stopped(offset + i, m, factor_set) for i, m in enumerate(added))
    kept = [attrs.evolve(r, parts=(*r.parts, *extra)) for r in kept]
    fresh = [attrs.evolve(r, parts=_aligned(r.parts, merged, factor_set)) for r in fresh]
    return attrs.evolve(
        plan,
        regimen=attrs.evolve(plan.regimen, medications=merged),
        pace=chosen,
        pace_reason=plan.pace_reason
        if pace is None
        else f"pace {chosen.name} given at re-planning on {on.isoformat()}",
        steps=_date_steps([*kept, *fresh], plan.start),
        revision=plan.revision + 1,
    )


def _stopped(index: int, medication: Medication, factor_set: FactorSet) -> MedicationDose:
    """A medication taken no more (all amounts zero)."""
    factor = factor_set.factor_for(medication.product, medication.daily_amount)
    return MedicationDose(
        index=index,
        product=medication.product,
        doses=(),
        daily_amount=Quantity(0, medication.dose_unit),
        mme_per_day=None if factor is None else Decimal(0),
        smallest_unit=medication.unit_set.smallest_unit,
    )


def _aligned(
    parts: Sequence[MedicationDose], medications: Sequence[Medication], factor_set: FactorSet
) -> tuple[MedicationDose, ...]:
    """``parts`` re-indexed to ``medications`` by product (absent ones stopped)."""
    by_product = {p.product: p for p in parts}
    result = []
    for index, medication in enumerate(medications):
        part = by_product.get(medication.product)
        if part is None:
            result.append(_stopped(index, medication, factor_set))
        else:
            result.append(attrs.evolve(part, index=index))
    return tuple(result)


def _regimen_on(plan: TaperPlan, step: Step) -> Regimen:
    """The regimen in effect during ``step``, as a regimen of the same medications."""
    from taperplan._regimen import Administration  # noqa: PLC0415

    medications = []
    for medication, part in zip(plan.regimen.medications, step.medications, strict=True):
        if not part.doses:
            continue
        every = min(d.every_days for d in part.doses)
        # The strengths the patient holds now: the step's units and those stated at the start.
        units = {u.strength for d in part.doses for u in d.units}
        held = sorted(units | set(medication.strengths), key=lambda q: q.amount)
        medications.append(
            attrs.evolve(
                medication,
                strengths=tuple(held),
                administrations=tuple(
                    Administration(
                        d.time, d.amount, None if d.every_days == every else d.every_days
                    )
                    for d in part.doses
                ),
                every_days=every,
            )
        )
    if not medications:
        raise PlanningError("nothing is taken at that date; there is nothing to re-plan")
    return attrs.evolve(plan.regimen, medications=tuple(medications))


def _originals_for(plan: TaperPlan, tracks: Sequence[_Track], scale: int) -> tuple[int, ...]:
    """The plan's baseline measure for each new medication, in the engine's
    integer scale (matched by product; a product new to the plan counts from
    its current dose)."""
    result = []
    for track in tracks:
        match = next((p for p in plan.baseline if p.product == track.medication.product), None)
        if match is None:
            result.append(track.measure_int(_state_of(track.medication, track)))
        elif match.mme_per_day is not None and track.factor is not None:
            result.append(round(Fraction(match.mme_per_day) * scale))
        else:
            result.append(round(Fraction(match.daily_amount.amount) * scale))
    return tuple(result)


def _number(step_id: str) -> int | None:
    """The running number of a step identifier (``tp-…-s007`` → 7)."""
    _, _, tail = step_id.rpartition("-s")
    return int(tail) if tail.isdigit() else None
