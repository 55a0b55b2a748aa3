"""The taper planner: from a regimen to a dated plan that never drops abruptly.

How a step is chosen (docs/explanation has the full rules and sources):

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
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from functools import cache
from math import gcd, lcm
from typing import Literal

import attrs

from taperplan._catalogue import FactorSet, Form, WithdrawalProfile
from taperplan._data import load_data
from taperplan._dispense import UnitCount, UnitSet
from taperplan._errors import PlanningError, RefusedError
from taperplan._mme import mme_warnings, resolve_factor_set
from taperplan._notices import Notice, notice
from taperplan._pace import Pace, default_pace, preset
from taperplan._plan import Dose, MedicationDose, Step, StepKind, TaperPlan
from taperplan._regimen import Medication, Regimen
from taperplan._units import Quantity, Unit, format_decimal
from taperplan._withdrawal import WithdrawalWindow, min_step_days, window_after

TaperOrder = Literal["long-acting-first", "short-acting-first", "proportional"]

#: The most steps one plan may have; a pace that needs more is refused.
MAX_STEPS = 400
#: Check-ins are never further apart than this (CDC2022: at least monthly).
MAX_CHECK_IN_GAP = 28

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
    return 10**places


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
    unit = Unit.MG if unit_set.form is Form.ORAL_SOLUTION else unit_set.strengths[0].unit
    return tuple(k for k in range(1, top + 1) if unit_set.make(Quantity(grid * k, unit)) is not None)


@attrs.frozen
class _Track:
    """One medication in integer form."""

    index: int
    medication: Medication
    unit_set: UnitSet
    grid: Decimal
    menu: tuple[int, ...]
    smallest: int
    factor: Fraction | None
    patch: bool
    keep_rank: tuple[int, ...]

    def daily(self, amounts: tuple[int, ...], every: int) -> Fraction:
        total = Fraction(sum(amounts)) * Fraction(self.grid)
        return total if self.patch else total / every

    def measure(self, amounts: tuple[int, ...], every: int) -> Fraction:
        daily = self.daily(amounts, every)
        return daily if self.factor is None else daily * self.factor

    def below(self, amount: int) -> int:
        """The next dispensable amount under ``amount`` (0 to drop the dose)."""
        lower = 0
        for value in self.menu:
            if value >= amount:
                break
            lower = value
        return lower


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


def _track(index: int, medication: Medication, factor_set: FactorSet) -> _Track:
    unit_set = medication.unit_set
    grid = _grid(unit_set)
    amounts = [a.amount.amount / grid for a in medication.administrations]
    top = int(max(amounts))
    menu = _menu(unit_set, grid, top)
    smallest = int(unit_set.smallest_unit.amount / grid)
    factor = factor_set.factor_for(medication.product, medication.daily_amount)
    return _Track(
        index=index,
        medication=medication,
        unit_set=unit_set,
        grid=grid,
        menu=menu,
        smallest=smallest,
        factor=None if factor is None else Fraction(factor),
        patch=medication.form is Form.PATCH,
        keep_rank=_keep_rank(len(amounts)),
    )


_State = tuple[tuple[int, ...], int]


@attrs.frozen
class _Raw:
    """A step before it is dated."""

    number: int
    kind: str
    days: int
    states: tuple[_State, ...]
    cut_fraction: Fraction
    cut_track: int | None
    profile: WithdrawalProfile | None
    note: str | None = None
    key: str | None = None


# -- choosing cuts -----------------------------------------------------------------


class _Engine:
    def __init__(self, tracks: Sequence[_Track], pace: Pace, order: TaperOrder | Sequence[str]) -> None:
        self.tracks = tuple(tracks)
        self.pace = pace
        self.cap = Fraction(pace.max_step_fraction)
        self.order = order
        self.max_every, self.stop_mme = _end_game()

    def group(self, track: _Track) -> tuple[_Track, ...]:
        """The tracks whose total a cut of ``track`` is measured against."""
        if track.factor is None:
            return (track,)
        return tuple(t for t in self.tracks if t.factor is not None)

    def total(self, track: _Track, states: Sequence[_State]) -> Fraction:
        return sum((t.measure(*states[t.index]) for t in self.group(track)), Fraction(0))

    def ordered(self, states: Sequence[_State], originals: Sequence[Fraction]) -> list[_Track]:
        active = [t for t in self.tracks if any(states[t.index][0])]
        if self.order == "proportional":
            def behind(track: _Track) -> tuple[Fraction, int]:
                start = originals[track.index]
                share = track.measure(*states[track.index]) / start if start else Fraction(0)
                return (-share, track.index)
            return sorted(active, key=behind)
        if isinstance(self.order, str):
            long_first = self.order == "long-acting-first"

            def rank(track: _Track) -> tuple[int, int, Fraction, int]:
                profile = track.medication.product.profile
                is_long = profile in _LONG_ACTING
                tramadol_last = 1 if track.medication.drug == "tramadol" else 0
                group = (0 if is_long else 1) if long_first else (0 if not is_long else 1)
                return (group, tramadol_last, -track.measure(*states[track.index]), track.index)
            return sorted(active, key=rank)
        names = list(self.order)
        return sorted(active, key=lambda t: (names.index(t.medication.drug) if t.medication.drug in names else len(names), t.index))

    def choose(
        self, states: tuple[_State, ...], originals: tuple[Fraction, ...], index: int
    ) -> tuple[_Track, _State, Fraction] | None:
        """The next cut: (track, its new state, cut fraction), or None when stuck."""
        active = [t for t in self.tracks if any(states[t.index][0])]
        for track in self.ordered(states, originals):
            final = len(active) == 1
            result = self.best(track, states, originals, index, final=final)
            if result is not None:
                new_state, fraction = result
                return track, new_state, fraction
        return None

    def best(
        self, track: _Track, states: tuple[_State, ...], originals: tuple[Fraction, ...], index: int, *, final: bool
    ) -> tuple[_State, Fraction] | None:
        amounts, every = states[track.index]
        total = self.total(track, states)
        original = sum((originals[t.index] for t in self.group(track)), Fraction(0))
        before = track.measure(amounts, every)
        factor = track.factor if track.factor is not None else Fraction(1)
        target = self.pace.target_cut(original=original, current=total, index=index, amount_factor=factor)
        cap_allow = self.cap * total
        daily_before = track.daily(amounts, every)
        unit = Fraction(track.smallest) * Fraction(track.grid)
        low = daily_before <= 2 * unit

        def allowed(new: _State) -> Fraction | None:
            cut = before - track.measure(*new)
            if cut <= 0:
                return None
            if cut <= cap_allow:
                return cut
            if low and daily_before - track.daily(*new) <= unit:
                return cut
            return None

        candidates: list[tuple[tuple[int, Fraction, Fraction], _State, Fraction]] = []
        drops_now = amounts.count(0)

        def consider(new: _State) -> None:
            cut = allowed(new)
            if cut is not None:
                drops = new[0].count(0) - drops_now
                candidates.append(((drops, abs(cut - target), cut), new, cut))

        # The even-cut chain: lower the largest dose one dispensable step at a
        # time (ties: the dose least worth keeping), until cuts pass every allowance.
        chain = list(amounts)
        limit = max(cap_allow, factor * unit if low else Fraction(0))
        while True:
            live = [i for i, value in enumerate(chain) if value > 0]
            if len(live) == 1 and chain[live[0]] <= track.smallest:
                break  # a single smallest unit: the end game below takes over
            position = max(live, key=lambda i: (chain[i], -track.keep_rank[i]))
            chain[position] = track.below(chain[position])
            new = (tuple(chain), every)
            if before - track.measure(*new) > limit:
                break
            consider(new)
        live = [value for value in amounts if value > 0]
        single_smallest = len(live) == 1 and live[0] <= track.smallest
        # End game: lengthen the interval at a single smallest unit.
        if single_smallest and not track.patch and every < self.max_every:
            consider((amounts, every + 1))
        # The stop.
        stop: _State = (tuple(0 for _ in amounts), every)
        if not final or (
            every >= 2
            or (track.patch and single_smallest)
            or (track.factor is not None and before <= self.stop_mme)
        ):
            consider(stop)
        if not candidates:
            return None
        _, new, cut = min(candidates, key=lambda c: c[0])
        return new, cut / total if total else Fraction(1)

    def stuck(self, states: Sequence[_State]) -> PlanningError:
        active = [t for t in self.tracks if any(states[t.index][0])]
        parts = []
        for track in active:
            amounts, every = states[track.index]
            daily = track.daily(amounts, every)
            cap = self.cap * self.total(track, states)
            unit = track.medication.dose_unit.value
            parts.append(
                f"{track.medication.product.name} at {format_decimal(Decimal(daily.numerator) / Decimal(daily.denominator))} "
                f"{unit}{'' if track.patch else '/day'} (smallest unit {format_decimal(Decimal(track.smallest) * track.grid)} {unit}; "
                f"the cap allows cuts of at most {_fmt(cap)} {'MME/day' if track.factor is not None else unit})"
            )
        return PlanningError(
            f"no dispensable step fits the {self.pace.name} cap of {format_decimal(self.pace.max_step_fraction * 100)}% of the current dose: "
            + "; ".join(parts)
            + ". Fixes: allow a lower strength (available = [...]), use an immediate-release tablet that can be halved or an oral solution, "
            "or choose a pace with a larger cap (a slower pace does not help: the cap limits each cut)."
        )


def _fmt(value: Fraction) -> str:
    return format_decimal((Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01")))


# -- building results --------------------------------------------------------------


@cache
def _units(unit_set: UnitSet, amount: Quantity) -> tuple[UnitCount, ...]:
    made = unit_set.make(amount)
    if made is None:
        made = attrs.evolve(unit_set, max_pieces=64).make(amount)
    if made is None:  # pragma: no cover - amounts come from the menu or the validated baseline
        raise PlanningError(f"{amount} cannot be made from {unit_set.strengths}")
    return made


def _dec(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _medication_dose(track: _Track, state: _State, factor_set: FactorSet) -> MedicationDose:
    amounts, every = state
    medication = track.medication
    unit = medication.dose_unit
    stated = medication.stated_unit_set
    doses = []
    for administration, value in zip(medication.administrations, amounts, strict=True):
        if value == 0:
            continue
        amount = Quantity(track.grid * value, unit)
        units = stated.make(amount) if value * track.grid == administration.amount.amount else None
        doses.append(Dose(administration.time, amount, every, units or _units(track.unit_set, amount)))
    daily = _dec(track.daily(amounts, every))
    daily_q = Quantity(daily, unit)
    mme = None
    if track.factor is not None:
        mme = _dec(track.measure(amounts, every))
    return MedicationDose(
        index=track.index,
        product=medication.product,
        doses=tuple(doses),
        daily_amount=daily_q,
        mme_per_day=mme,
        smallest_unit=track.unit_set.smallest_unit,
    )


def _total_mme(parts: Sequence[MedicationDose]) -> Decimal | None:
    values = [p.mme_per_day for p in parts]
    if any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal(0))


def _step_days(pace: Pace, states: Sequence[_State], tracks: Sequence[_Track]) -> int:
    """Step length: the pace's interval, never under the minimum, and a whole
    number of every N-day interval taken in the step (whole patch changes)."""
    days = max(pace.every_days, pace.min_step_days)
    period = 1
    for track, (amounts, every) in zip(tracks, states, strict=True):
        if any(amounts):
            period = lcm(period, every)
    return -(-days // period) * period


def _plan_id(regimen: Regimen, start: dt.date, pace: Pace, order: str, factor_set: str) -> str:
    parts = [start.isoformat(), pace.name, str(pace.max_step_fraction), str(pace.every_days), order, factor_set]
    for medication in regimen.medications:
        parts.append(medication.product.name)
        parts.append(",".join(map(str, medication.strengths)))
        parts.extend(f"{a.time.isoformat()}={a.amount}" for a in medication.administrations)
        parts.append(str(medication.every_days))
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"tp-{digest[:12]}"


def _check_in_for(start: dt.date, end: dt.date) -> dt.date:
    """The check-in before the next cut: a week into the step or 6 days before
    its end, whichever is later (VA-TDT: 1–4 weeks after a start, then before
    each reduction)."""
    length = (end - start).days
    return max(start + dt.timedelta(days=min(6, length)), end - dt.timedelta(days=6))


def _date_steps(
    plan_id: str, raws: Sequence[_Raw], start: dt.date, tracks: Sequence[_Track], factor_set: FactorSet,
    previous_check_in: dt.date | None = None,
) -> tuple[Step, ...]:
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
                    f"this step ({raw.days} days) is shorter than the expected withdrawal window (to {window.end.isoformat()}); "
                    "the next cut may come before symptoms settle: consider pausing if they are troublesome"
                )
        if raw.note:
            notes.append(raw.note)
        pre = _check_in_for(day, end)
        checks = []
        anchor = last_check if last_check is not None else day
        while (pre - anchor).days > MAX_CHECK_IN_GAP:
            anchor = anchor + dt.timedelta(days=MAX_CHECK_IN_GAP)
            if anchor >= day:
                checks.append(anchor)
        checks.append(pre)
        last_check = pre
        parts = tuple(_medication_dose(t, s, factor_set) for t, s in zip(tracks, raw.states, strict=True))
        steps.append(
            Step(
                id=raw.key or f"{plan_id}-s{raw.number:03d}",
                index=position,
                kind=StepKind(raw.kind),
                start=day,
                end=end,
                medications=parts,
                total_mme_per_day=_total_mme(parts),
                cut_fraction=_dec(raw.cut_fraction),
                cut_drug=tracks[raw.cut_track].medication.drug if raw.cut_track is not None else None,
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
    engine: _Engine, tracks: Sequence[_Track], baseline: tuple[_State, ...], originals: tuple[Fraction, ...],
    *, first_number: int, first_index: int,
) -> list[_Raw]:
    states = baseline
    raws: list[_Raw] = []
    number = first_number
    index = first_index
    while any(any(s[0]) for s in states):
        if len(raws) >= MAX_STEPS:
            raise PlanningError(
                f"the pace {engine.pace.name} would need more than {MAX_STEPS} steps; choose a pace with a larger cap"
            )
        choice = engine.choose(states, originals, index)
        if choice is None:
            raise engine.stuck(states)
        track, new_state, fraction = choice
        states = tuple(new_state if i == track.index else s for i, s in enumerate(states))
        stop = not any(any(s[0]) for s in states)
        profile = track.medication.product.profile
        if stop:
            rule_days = window_after(dt.date(2000, 1, 1), profile).days
            days = max(rule_days, 14)
        else:
            days = _step_days(engine.pace, states, tracks)
        raws.append(
            _Raw(number=number, kind="stop" if stop else "cut", days=days, states=states,
                 cut_fraction=fraction, cut_track=track.index, profile=profile)
        )
        number += 1
        index += 1
    return raws


def _engine_for(regimen: Regimen, pace: Pace, order: TaperOrder | Sequence[str], factor_set: FactorSet) -> tuple[_Engine, list[_Track]]:
    tracks = [_track(i, m, factor_set) for i, m in enumerate(regimen.medications)]
    return _Engine(tracks, pace, order), tracks


def _state_of(medication: Medication, track: _Track) -> _State:
    return (tuple(int(a.amount.amount / track.grid) for a in medication.administrations), medication.every_days)


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
        if medication.indication == "oud" and medication.drug in {"buprenorphine", "methadone"}:
            raise RefusedError(
                f"medication[{index}]: {medication.drug} prescribed for opioid use disorder is not a pain taper. "
                "Medications for OUD are first-line treatment and MME guideposts do not apply (CDC 2022, Recommendation 12); "
                "taperplan's pain presets must not be used to taper it. Refer to the OUD treatment team."
            )
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
    originals = tuple(t.measure(*s) for t, s in zip(tracks, baseline, strict=True))
    raws = _raws(engine, tracks, baseline, originals, first_number=1, first_index=0)
    plan_id = _plan_id(regimen, start, chosen, order_name, factor_set.name)
    steps = _date_steps(plan_id, raws, start, tracks, factor_set)
    baseline_parts = tuple(_medication_dose(t, s, factor_set) for t, s in zip(tracks, baseline, strict=True))
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
    )


def _plan_warnings(
    regimen: Regimen, pace: Pace, baseline: Sequence[MedicationDose], factor_set: FactorSet, steps: Sequence[Step]
) -> tuple[Notice, ...]:
    from taperplan._mme import medication_mme  # noqa: PLC0415

    parts = [medication_mme(m, factor_set) for m in regimen.medications]
    total = _total_mme(baseline)
    result: list[Notice] = list(mme_warnings(total, parts, factor_set))
    if pace.cap_lifted:
        result.append(notice(
            "cap-above-preset", cap=format_decimal(pace.max_step_fraction * 100),
            preset_cap=format_decimal((pace.preset_cap or Decimal(0)) * 100), pace=pace.name))
    if pace.supervised_only:
        result.append(notice("supervised-pace", pace=pace.name))
    if any(step.notes and step.kind is StepKind.CUT and "shorter than the expected" in step.notes[0] for step in steps):
        result.append(notice("steps-shorter-than-window"))
    result.append(notice("loss-of-tolerance"))
    result.extend(regimen.notices)
    return tuple(dict.fromkeys(result))


# -- pause and re-plan -------------------------------------------------------------


def _rebuild(plan: TaperPlan) -> tuple[list[_Track], FactorSet]:
    factor_set = resolve_factor_set(plan.factor_set)
    tracks = [_track(i, m, factor_set) for i, m in enumerate(plan.regimen.medications)]
    return tracks, factor_set


def _raw_of(step: Step, tracks: Sequence[_Track]) -> _Raw:
    states = []
    for track, part in zip(tracks, step.medications, strict=True):
        by_time = {d.time: d for d in part.doses}
        amounts = tuple(
            int(by_time[a.time].amount.amount / track.grid) if a.time in by_time else 0
            for a in track.medication.administrations
        )
        every = part.doses[0].every_days if part.doses else track.medication.every_days
        states.append((amounts, every))
    cut_track = next((t.index for t in tracks if t.medication.drug == step.cut_drug), None)
    return _Raw(
        number=0, kind=step.kind.value, days=step.days, states=tuple(states),
        cut_fraction=Fraction(step.cut_fraction), cut_track=cut_track, profile=step.withdrawal_profile, key=step.id,
    )


def pause_plan(plan: TaperPlan, *, on: dt.date, days: int) -> TaperPlan:
    """See :meth:`TaperPlan.pause`."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise PlanningError(f"pause days must be a whole number from 1 to 365, not {days!r}")
    step = plan.step_on(on)
    if step.kind is StepKind.STOP:
        raise PlanningError(f"{on.isoformat()} is after the stop ({step.start.isoformat()}); nothing to hold")
    tracks, factor_set = _rebuild(plan)
    raws = [_raw_of(s, tracks) for s in plan.steps]
    position = step.index
    current = raws[position]
    if on == step.start:
        # Postpone this step's cut: hold the previous dose.
        if position == 0:
            held_states = tuple(_state_of(m, t) for m, t in zip(plan.regimen.medications, tracks, strict=True))
        else:
            held_states = raws[position - 1].states
        pause = _Raw(number=0, kind="pause", days=days, states=held_states, cut_fraction=Fraction(0),
                     cut_track=None, profile=None, key=f"{step.id}-hold-{on.isoformat()}",
                     note=f"pause: the dose before this cut is held for {days} days")
        new_raws = [*raws[:position], pause, *raws[position:]]
    else:
        before = attrs.evolve(current, days=(on - step.start).days)
        held = attrs.evolve(
            current, kind="pause", days=step.days - before.days + days, cut_fraction=Fraction(0), profile=None,
            cut_track=None, key=f"{step.id}-hold-{on.isoformat()}", note=f"pause: this dose is held {days} days longer",
        )
        new_raws = [*raws[:position], before, held, *raws[position + 1 :]]
    steps = _date_steps(plan.id, new_raws, plan.start, tracks, factor_set)
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

    Steps before ``on`` are kept as they were (the one in effect is cut
    short); from ``on`` a new schedule follows from ``regimen`` (default: the
    doses in effect on ``on``) at ``pace`` (default: the plan's). The
    original baseline stays the reference for original-based paces. New
    steps reuse the identifiers of the steps they replace, so calendar
    exports update rather than duplicate.

    Raises:
        PlanningError: ``on`` is outside the plan, or no step fits the cap.
        RefusedError: as :func:`plan_taper`.
    """
    step = plan.step_on(on)
    kept = [s for s in plan.steps if s.end < on]
    if step.start < on:
        kept.append(attrs.evolve(step, end=on - dt.timedelta(days=1)))
    new_regimen = regimen if regimen is not None else _regimen_on(plan, step)
    chosen = plan.pace if pace is None else (pace if isinstance(pace, Pace) else preset(pace))
    _refusals(new_regimen, chosen, supervised=supervised)
    factor_set = resolve_factor_set(plan.factor_set)
    order: TaperOrder | Sequence[str] = "long-acting-first"
    if plan.order in ("short-acting-first", "proportional"):
        order = plan.order  # type: ignore[assignment]
    elif plan.order.startswith("explicit: "):
        order = plan.order.removeprefix("explicit: ").split(", ")
    engine, tracks = _engine_for(new_regimen, chosen, order, factor_set)
    current = tuple(_state_of(m, t) for m, t in zip(new_regimen.medications, tracks, strict=True))
    originals = _originals_for(plan, tracks)
    first_number = 1 + max((n for n in (_number(s.id) for s in kept) if n is not None), default=0)
    raws = _raws(engine, tracks, current, originals, first_number=first_number, first_index=len(kept))
    previous = kept[-1].check_in if kept else None
    new_steps = _date_steps(plan.id, raws, on, tracks, factor_set, previous_check_in=previous)
    reindexed = tuple(attrs.evolve(s, index=i) for i, s in enumerate((*kept, *new_steps)))
    return attrs.evolve(
        plan,
        regimen=new_regimen if regimen is not None else plan.regimen,
        pace=chosen,
        pace_reason=plan.pace_reason if pace is None else f"pace {chosen.name} given at re-planning on {on.isoformat()}",
        steps=reindexed,
        revision=plan.revision + 1,
    )


def _regimen_on(plan: TaperPlan, step: Step) -> Regimen:
    """The regimen in effect during ``step``, as a regimen of the same medications."""
    from taperplan._regimen import Administration  # noqa: PLC0415

    medications = []
    for medication, part in zip(plan.regimen.medications, step.medications, strict=True):
        if not part.doses:
            continue
        medications.append(
            attrs.evolve(
                medication,
                administrations=tuple(Administration(d.time, d.amount) for d in part.doses),
                every_days=part.doses[0].every_days,
            )
        )
    if not medications:
        raise PlanningError("nothing is taken at that date; there is nothing to re-plan")
    return attrs.evolve(plan.regimen, medications=tuple(medications))


def _originals_for(plan: TaperPlan, tracks: Sequence[_Track]) -> tuple[Fraction, ...]:
    """The plan's baseline measure for each new medication (matched by
    product; a product new to the plan counts from its current dose)."""
    result = []
    for track in tracks:
        match = next((p for p in plan.baseline if p.product == track.medication.product), None)
        if match is None:
            result.append(track.measure(*_state_of(track.medication, track)))
        elif match.mme_per_day is not None and track.factor is not None:
            result.append(Fraction(match.mme_per_day))
        else:
            result.append(Fraction(match.daily_amount.amount))
    return tuple(result)


def _number(step_id: str) -> int | None:
    """The running number of a step identifier (``tp-…-s007`` → 7)."""
    _, _, tail = step_id.rpartition("-s")
    return int(tail) if tail.isdigit() else None
