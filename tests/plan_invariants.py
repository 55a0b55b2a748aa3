"""An independent checker of the plan JSON against the rules of interfaces.md §4.

Everything here is computed from the JSON text of a plan (``plan_to_dict`` →
``json.dumps`` → ``json.loads``), the regimen it was planned from and the
pace; nothing calls the planner's own helpers. Amounts are re-derived as exact
fractions from the per-administration amounts, and MME factors come from the
literal table of the clinical reference (§1, ``cdc2022``), so a mistake in the
planner's arithmetic or data shows up as a disagreement.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from taperplan import Pace, Regimen, TaperPlan
from taperplan.export._json import plan_to_dict

#: MME factors of the clinical reference §1 (cdc2022); None: MME does not apply.
CDC2022_FACTORS: Mapping[str, Fraction | None] = {
    "codeine": Fraction("0.15"),
    "fentanyl": Fraction("2.4"),
    "hydrocodone": Fraction(1),
    "hydromorphone": Fraction(5),
    "methadone": Fraction("4.7"),
    "morphine": Fraction(1),
    "oxycodone": Fraction("1.5"),
    "oxymorphone": Fraction(3),
    "tapentadol": Fraction("0.4"),
    "tramadol": Fraction("0.2"),
    "buprenorphine": None,
}

#: The stop rule's MME threshold (interfaces.md §4).
STOP_AT_OR_BELOW_MME = Fraction(5)
#: Follow up at least monthly (CDC2022); VA-TDT: 1–4 weeks after the start.
MAX_CHECK_IN_GAP_DAYS = 28
#: Default oral syringe resolution of the clinical reference §8 (0.5 mL).
DEFAULT_RESOLUTION_ML = Fraction(1, 2)
#: A plan longer than this is not "bounded" (the planner promises at most 400 steps,
#: plus the steps a pause adds).
MAX_PLAN_STEPS = 402

#: Days after the day of a cut: (earliest window start, latest window start,
#: earliest window end, latest window end), from the clinical reference §4.
WINDOW_OFFSETS: Mapping[str, tuple[int, int, int, int]] = {
    "short-acting": (0, 0, 4, 10),
    "long-acting": (1, 3, 9, 14),
    "methadone": (2, 4, 10, 28),
    "transdermal": (0, 2, 9, 14),
    "buprenorphine": (1, 3, 7, 15),
}

_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?) (mg|mcg|mL|mg/mL|mcg/h)$")


class PlanInvariantError(AssertionError):
    """A plan broke a rule of interfaces.md §4."""


def fail(where: str, message: str) -> PlanInvariantError:
    """An invariant error naming the place in the plan."""
    return PlanInvariantError(f"{where}: {message}")


def exact(value: float | int) -> Fraction:
    """A JSON number as the decimal it was written as (``0.1`` → 1/10)."""
    return Fraction(Decimal(repr(value)))


def close(computed: Fraction, stated: float | None, *, where: str, what: str) -> None:
    """Check that a JSON number agrees with an exactly computed value."""
    if stated is None:
        raise fail(where, f"{what} is null; expected {float(computed)}")
    tolerance = Fraction(1, 10**9) * max(Fraction(1), abs(computed))
    if abs(exact(stated) - computed) > tolerance:
        raise fail(where, f"{what} is {stated}; expected {float(computed)}")


def parse_quantity(text: str) -> tuple[Fraction, str]:
    """``"37.5 mcg/h"`` → (75/2, "mcg/h")."""
    match = _QUANTITY.match(text)
    if match is None:
        raise PlanInvariantError(f"{text!r} is not a quantity like '15 mg'")
    return Fraction(match.group(1)), match.group(2)


def expected_profile(drug: str, form: str) -> str:
    """The withdrawal profile the clinical reference §4 gives a product."""
    if drug == "buprenorphine":
        return "buprenorphine"
    if drug == "methadone":
        return "methadone"
    if form == "patch":
        return "transdermal"
    if form in {"er_tablet", "er_capsule"}:
        return "long-acting"
    return "short-acting"


# -- what the regimen allows ---------------------------------------------------------


@dataclass(frozen=True)
class Allowed:
    """The units one medication's doses may be made of."""

    drug: str
    form: str
    product: str
    strengths: frozenset[tuple[Fraction, str]]
    halves: bool
    resolution: Fraction | None
    times: frozenset[str]
    factor: Fraction | None

    @property
    def smallest(self) -> Fraction:
        """The smallest amount that can be given at one time."""
        weakest = min(amount for amount, _ in self.strengths)
        if self.form == "oral_solution":
            assert self.resolution is not None
            return weakest * self.resolution
        return weakest / 2 if self.halves else weakest


def allowed_units(regimen: Regimen) -> dict[str, Allowed]:
    """Per product name: the strengths the plan may use (``available`` or the
    catalogue's, plus the stated ones), whether halves are allowed and the
    syringe resolution."""
    result: dict[str, Allowed] = {}
    for medication in regimen.medications:
        form = medication.form.value
        base = (
            medication.available
            if medication.available is not None
            else medication.product.strengths
        )
        strengths = frozenset(
            (Fraction(q.amount), q.unit.value) for q in (*base, *medication.strengths)
        )
        resolution = None
        if form == "oral_solution":
            resolution = (
                Fraction(medication.resolution.amount)
                if medication.resolution is not None
                else DEFAULT_RESOLUTION_ML
            )
        halves = bool(medication.product.splittable) and form == "ir_tablet"
        name = medication.product.name
        if name in result:
            raise PlanInvariantError(f"the checker needs distinct products; {name} is listed twice")
        result[name] = Allowed(
            drug=medication.drug,
            form=form,
            product=name,
            strengths=strengths,
            halves=halves,
            resolution=resolution,
            times=frozenset(a.time.strftime("%H:%M") for a in medication.administrations),
            factor=CDC2022_FACTORS[medication.drug],
        )
    return result


# -- one medication in one step ------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One medication's doses in a step, re-derived exactly."""

    product: str
    admins: Mapping[str, tuple[Fraction, int]]
    daily: Fraction
    mme: Fraction | None
    patch: bool

    @property
    def live(self) -> bool:
        """Whether anything of this medication is taken."""
        return bool(self.admins)


def check_units(admin: Mapping[str, Any], allowed: Allowed, where: str) -> Fraction:
    """Check one administration's units make its amount from allowed strengths."""
    amount = exact(admin["amount"])
    units = admin["units"]
    if not units:
        raise fail(where, "a dose without units")
    total = Fraction(0)
    halves = 0
    for unit in units:
        strength = parse_quantity(unit["strength"])
        if strength not in allowed.strengths:
            raise fail(where, f"strength {unit['strength']} is not allowed for {allowed.product}")
        count = exact(unit["count"])
        if count <= 0:
            raise fail(where, f"count {unit['count']} is not positive")
        if allowed.form == "oral_solution":
            assert allowed.resolution is not None
            if (count / allowed.resolution).denominator != 1:
                raise fail(where, f"{unit['count']} mL is not on the {allowed.resolution} mL grid")
        elif count.denominator != 1:
            if count.denominator != 2 or not allowed.halves:
                raise fail(
                    where, f"{unit['count']} units of {unit['strength']}: halves not allowed"
                )
            halves += 1
        total += strength[0] * count
    if halves > 1:
        raise fail(where, "more than one half tablet in one dose")
    if total != amount:
        raise fail(where, f"units give {float(total)}, the dose is {admin['amount']}")
    return amount


def read_part(entry: Mapping[str, Any], allowed: Allowed, where: str, expected_unit: str) -> Part:
    """Re-derive one medication's daily amount and MME from its administrations."""
    if entry["drug"] != allowed.drug or entry["form"] != allowed.form:
        raise fail(where, f"{entry['drug']} {entry['form']} does not match {allowed.product}")
    admins: dict[str, tuple[Fraction, int]] = {}
    patch = allowed.form == "patch"
    daily = Fraction(0)
    for position, admin in enumerate(entry["administrations"]):
        here = f"{where}.administrations[{position}]"
        if admin["time"] not in allowed.times:
            raise fail(here, f"time {admin['time']} is not one of the regimen's")
        if admin["time"] in admins:
            raise fail(here, f"time {admin['time']} listed twice")
        if admin["unit"] != expected_unit:
            raise fail(here, f"unit {admin['unit']}; expected {expected_unit}")
        every = admin["every_days"]
        if not isinstance(every, int) or every < 1:
            raise fail(here, f"every_days {every!r} is not a whole number ≥ 1")
        amount = check_units(admin, allowed, here)
        if amount <= 0:
            raise fail(here, "a listed dose of zero")
        admins[admin["time"]] = (amount, every)
        daily += amount if patch else amount / every
    close(daily, entry["daily_amount"], where=where, what="daily_amount")
    if entry["unit"] != expected_unit:
        raise fail(where, f"unit {entry['unit']}; expected {expected_unit}")
    smallest = entry["smallest_unit"]
    close(allowed.smallest, smallest["amount"], where=where, what="smallest_unit.amount")
    mme = None if allowed.factor is None else daily * allowed.factor
    if mme is None:
        if entry["mme_per_day"] is not None:
            raise fail(
                where, f"mme_per_day {entry['mme_per_day']} for {allowed.drug}; expected null"
            )
    else:
        close(mme, entry["mme_per_day"], where=where, what="mme_per_day")
    return Part(product=allowed.product, admins=admins, daily=daily, mme=mme, patch=patch)


def read_parts(
    medications: Sequence[Mapping[str, Any]], allowed: Mapping[str, Allowed], where: str
) -> dict[str, Part]:
    """Every medication of a step, by product (medications not listed are stopped)."""
    parts: dict[str, Part] = {}
    for position, entry in enumerate(medications):
        here = f"{where}.medications[{position}]"
        name = entry.get("product")
        if name not in allowed:
            raise fail(here, f"product {name!r} is not in the regimen")
        if name in parts:
            raise fail(here, f"product {name} listed twice")
        expected_unit = "mcg/h" if allowed[name].form == "patch" else "mg"
        parts[name] = read_part(entry, allowed[name], here, expected_unit)
    for name, medication in allowed.items():
        if name not in parts:
            is_patch = medication.form == "patch"
            parts[name] = Part(product=name, admins={}, daily=Fraction(0), mme=None, patch=is_patch)
    return parts


def check_total(step: Mapping[str, Any], parts: Mapping[str, Part], where: str) -> None:
    """``total_mme_per_day`` is the sum of the listed medications' MME, or null."""
    listed = {entry["product"] for entry in step["medications"]}
    values = [parts[name].mme for name in listed]
    if any(value is None for value in values):
        if step["total_mme_per_day"] is not None:
            raise fail(where, "total_mme_per_day should be null when a medication has no MME")
        return
    close(
        sum((v for v in values if v is not None), Fraction(0)),
        step["total_mme_per_day"],
        where=where,
        what="total_mme_per_day",
    )


# -- cuts ----------------------------------------------------------------------------


def groups(allowed: Mapping[str, Allowed]) -> list[list[str]]:
    """Medications whose cuts are measured against one total: every medication with
    an MME factor together; each medication without one on its own."""
    with_mme = [name for name, a in allowed.items() if a.factor is not None]
    result = [with_mme] if with_mme else []
    result += [[name] for name, a in allowed.items() if a.factor is None]
    return result


def measure(part: Part) -> Fraction:
    """MME/day, or the daily amount where MME does not apply."""
    return part.mme if part.mme is not None else part.daily


def changed(before: Part, after: Part) -> bool:
    """Whether anything about a medication's doses changed."""
    return dict(before.admins) != dict(after.admins)


def check_never_rises(before: Part, after: Part, where: str) -> None:
    """No medication's daily amount, and no administration's amount or average, rises;
    a dropped administration never comes back."""
    if after.daily > before.daily:
        raise fail(where, f"{after.product} rises from {before.daily} to {after.daily} a day")
    for time, (amount, every) in after.admins.items():
        if time not in before.admins:
            raise fail(where, f"{after.product} at {time} comes back after being dropped")
        old_amount, old_every = before.admins[time]
        if amount > old_amount:
            raise fail(where, f"{after.product} at {time} rises from {old_amount} to {amount}")
        if not after.patch and amount / every > old_amount / old_every:
            raise fail(where, f"{after.product} at {time} is taken more often")


def low_dose_allows(before: Part, after: Part, allowed: Allowed) -> bool:
    """The tail exception: at most two smallest units a day before, and a cut of at
    most one smallest unit a day."""
    return before.daily <= 2 * allowed.smallest and before.daily - after.daily <= allowed.smallest


def stop_rule_allows(part: Part, allowed: Allowed) -> bool:
    """The stop rule: every dose less than once a day, the smallest patch, or ≤ 5 MME/day."""
    if part.patch:
        return len(part.admins) == 1 and next(iter(part.admins.values()))[0] <= allowed.smallest
    if all(every >= 2 for _, every in part.admins.values()):
        return True
    return part.mme is not None and part.mme <= STOP_AT_OR_BELOW_MME


@dataclass(frozen=True)
class Cut:
    """What changed at the start of a step."""

    is_cut: bool
    cut_products: tuple[str, ...]
    fraction: Fraction | None


def check_cut(
    before: Mapping[str, Part],
    after: Mapping[str, Part],
    allowed: Mapping[str, Allowed],
    cap: Fraction,
    *,
    final: bool,
    where: str,
) -> Cut:
    """Check a step's cut against the cap, the low-dose exception and the stop rule."""
    cut_products = tuple(name for name in allowed if changed(before[name], after[name]))
    for name in allowed:
        check_never_rises(before[name], after[name], where)
    fraction: Fraction | None = None
    for group in groups(allowed):
        previous = sum((measure(before[n]) for n in group), Fraction(0))
        current = sum((measure(after[n]) for n in group), Fraction(0))
        cut = previous - current
        if cut < 0:
            raise fail(where, f"the total of {group} rises from {previous} to {current}")
        moved = [n for n in group if n in cut_products]
        if not moved:
            continue
        fraction = cut / previous if previous else Fraction(1)
        if cut <= cap * previous:
            continue
        if all(low_dose_allows(before[n], after[n], allowed[n]) for n in moved):
            continue
        tiny = all(
            final and before[n].mme is not None and before[n].mme <= STOP_AT_OR_BELOW_MME
            for n in moved
        )
        if tiny:
            continue  # the final stop at ≤ 5 MME/day
        raise fail(
            where,
            f"cut of {float(cut)} from {float(previous)} ({float(fraction):.4f}) exceeds the cap "
            f"{float(cap)} and is not a low-dose cut of one smallest unit a day",
        )
    return Cut(is_cut=bool(cut_products), cut_products=cut_products, fraction=fraction)


# -- dates ---------------------------------------------------------------------------


def day(text: str, where: str) -> dt.date:
    """An ISO date from the plan."""
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise fail(where, f"{text!r} is not an ISO date") from None


def check_window(
    step: Mapping[str, Any], start: dt.date, end: dt.date, profile: str, where: str
) -> dt.date:
    """A cut step's withdrawal window: after the cut, as the clinical reference §4 times it."""
    window = step["withdrawal_window"]
    if window is None:
        raise fail(where, "a cut without a withdrawal window")
    first, last = day(window["start"], where), day(window["end"], where)
    if last < first:
        raise fail(where, "withdrawal window ends before it starts")
    if window.get("profile", profile) != profile:
        raise fail(where, f"window profile {window.get('profile')}; expected {profile}")
    low_start, high_start, low_end, high_end = WINDOW_OFFSETS[profile]
    if not low_start <= (first - start).days <= high_start:
        raise fail(where, f"window starts {(first - start).days} days after the cut ({profile})")
    if not low_end <= (last - start).days <= high_end:
        raise fail(where, f"window ends {(last - start).days} days after the cut ({profile})")
    if end < last and step["kind"] != "stop":
        notes = " ".join(step.get("notes", []))
        if window["end"] not in notes:
            raise fail(where, f"step ends {end} before its window ({last}) without a note")
    return last


# -- the whole plan ------------------------------------------------------------------


def check_plan_invariants(
    plan: Mapping[str, Any],
    regimen: Regimen,
    pace: Pace,
    *,
    start: dt.date | None = None,
    steps_before: int = 0,
) -> None:
    """Check every rule of interfaces.md §4 on a plan's JSON.

    ``steps_before`` is the number of steps a re-plan kept before its new
    schedule (which is bounded on its own).

    Args:
        plan: the parsed JSON of a plan.
        regimen: the regimen the plan's baseline was planned from.
        pace: the pace in effect (for replanned plans: the new pace).
        start: the start date given to the planner (checked when given).

    Raises:
        PlanInvariantError: naming the step and the rule broken.
    """
    if plan["schema"] != "taperplan.plan/1":
        raise fail("schema", repr(plan["schema"]))
    if plan.get("factor_set", "cdc2022") != "cdc2022":
        raise fail("factor_set", "the checker knows the cdc2022 factors only")
    close(
        Fraction(pace.max_step_fraction),
        plan["pace"]["max_step_fraction"],
        where="pace",
        what="max_step_fraction",
    )
    cap = Fraction(pace.max_step_fraction)
    allowed = allowed_units(regimen)
    steps = plan["steps"]
    if not steps:
        raise fail("steps", "no steps")
    if len(steps) > steps_before + MAX_PLAN_STEPS:
        raise fail("steps", f"{len(steps)} steps: the plan is not bounded")

    baseline = read_parts(plan["baseline"]["medications"], allowed, "baseline")
    check_total(plan["baseline"], baseline, "baseline")
    for medication in regimen.medications:
        part = baseline[medication.product.name]
        stated = {
            a.time.strftime("%H:%M"): (
                Fraction(a.amount.amount),
                getattr(a, "every_days", None) or medication.every_days,
            )
            for a in medication.administrations
        }
        if dict(part.admins) != stated:
            raise fail("baseline", f"{part.product} is not the regimen's {stated}")

    plan_start = day(steps[0]["start"], "steps[0].start")
    if start is not None and plan_start != start:
        raise fail("steps[0].start", f"{plan_start}; the plan starts on {start}")
    if "start" in plan and day(plan["start"], "start") != plan_start:
        raise fail("start", f"{plan['start']} is not steps[0].start")

    previous_parts = baseline
    previous_end: dt.date | None = None
    last_check: dt.date | None = None
    last_cut_start: dt.date | None = None
    all_checks: list[dt.date] = []
    for position, step in enumerate(steps):
        where = f"steps[{position}]"
        final = position == len(steps) - 1
        if step["index"] != position:
            raise fail(where, f"index {step['index']}")
        first, last = day(step["start"], where), day(step["end"], where)
        if last < first:
            raise fail(where, "ends before it starts")
        if previous_end is not None and first != previous_end + dt.timedelta(days=1):
            raise fail(where, f"starts {first}; the step before ends {previous_end}")
        length = (last - first).days + 1
        if "days" in step and step["days"] != length:
            raise fail(where, f"days {step['days']}; the dates span {length}")
        parts = read_parts(step["medications"], allowed, where)
        check_total(step, parts, where)
        actual = step.get("replanned_from")
        if actual is not None:
            # A re-plan from what the patient actually took: this step's cut is
            # measured against those doses, not the planned step before.
            if position == 0:
                raise fail(where, "the first step cannot be re-planned from other doses")
            previous_parts = read_parts(actual, allowed, f"{where}.replanned_from")
        cut = check_cut(previous_parts, parts, allowed, cap, final=final, where=where)

        # every_days: a step covers whole intervals of every administration in it.
        for part in parts.values():
            for time, (_, every) in part.admins.items():
                if length % every:
                    raise fail(
                        where,
                        f"{length} days is not a whole number of {part.product} "
                        f"at {time} every {every} days",
                    )

        kind = step.get("kind")
        if final:
            if any(part.live for part in parts.values()):
                raise fail(where, "the last step is not the stop")
            for entry in step["medications"]:
                if entry["administrations"] or exact(entry["daily_amount"]) != 0:
                    raise fail(where, "the stop step lists a dose")
            if kind not in (None, "stop"):
                raise fail(where, f"the last step's kind is {kind!r}")
            for name in cut.cut_products:
                if not stop_rule_allows(previous_parts[name], allowed[name]):
                    raise fail(
                        where,
                        f"{name} stops from {dict(previous_parts[name].admins)}: "
                        "not less than once a day, the smallest patch, or ≤ 5 MME/day",
                    )
        elif not any(part.live for part in parts.values()):
            raise fail(where, "nothing is taken before the last step")

        if cut.is_cut:
            if kind not in (None, "cut", "stop"):
                raise fail(where, f"a cut step of kind {kind!r}")
            dropped = [n for n in cut.cut_products if previous_parts[n].live]
            profile_of = dropped[0] if dropped else cut.cut_products[0]
            profile = expected_profile(allowed[profile_of].drug, allowed[profile_of].form)
            window_end = check_window(step, first, last, profile, where)
            if final and last < window_end:
                raise fail(where, "the stop step ends before its withdrawal window")
            if last_cut_start is not None:
                gap = (first - last_cut_start).days
                if gap < pace.min_step_days:
                    raise fail(
                        where,
                        f"cut {gap} days after the previous cut "
                        f"(the pace's minimum is {pace.min_step_days})",
                    )
            last_cut_start = first
        else:
            if kind not in (None, "pause"):
                raise fail(where, f"a step without a cut of kind {kind!r}")
            if step["withdrawal_window"] is not None:
                raise fail(where, "a step without a cut has a withdrawal window")

        # Check-ins: within the step, at most four weeks apart.
        check_in = day(step["check_in"], where)
        checks = [day(c, where) for c in step.get("check_ins", [step["check_in"]])]
        if check_in not in checks:
            raise fail(where, "check_in is not among check_ins")
        if checks != sorted(set(checks)):
            raise fail(where, "check_ins are not in order")
        for check in checks:
            if not first <= check <= last:
                raise fail(where, f"check-in {check} outside the step {first}..{last}")
        for check in checks:
            anchor = last_check if last_check is not None else plan_start
            if (check - anchor).days > MAX_CHECK_IN_GAP_DAYS:
                raise fail(where, f"{(check - anchor).days} days without a check-in before {check}")
            last_check = check
        all_checks += checks
        previous_parts = parts
        previous_end = last

    # The first check-in: 1–4 weeks after the start when the first step allows it.
    first_days = (day(steps[0]["end"], "steps[0]") - plan_start).days + 1
    offset = (all_checks[0] - plan_start).days
    if first_days >= 7 and not 6 <= offset <= MAX_CHECK_IN_GAP_DAYS:
        raise fail("steps[0]", f"first check-in {offset} days after the start")


def plan_json(plan: TaperPlan) -> dict[str, Any]:
    """The plan's JSON as a client reads it (through text, so only JSON survives)."""
    loaded: dict[str, Any] = json.loads(json.dumps(plan_to_dict(plan)))
    return loaded


def check_plan(
    plan: TaperPlan,
    regimen: Regimen,
    pace: Pace,
    *,
    start: dt.date | None = None,
    steps_before: int = 0,
) -> dict[str, Any]:
    """Check a plan object through its JSON; return the JSON."""
    data = plan_json(plan)
    check_plan_invariants(data, regimen, pace, start=start, steps_before=steps_before)
    return data
