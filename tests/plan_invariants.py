"""An independent checker of the plan JSON against interfaces.md §4 and §4a.

Everything here is computed from the JSON text of a plan (``plan_to_dict`` →
``json.dumps`` → ``json.loads``) and the regimen it was planned from; nothing
calls the planner's own helpers. Amounts are re-derived as exact fractions from
each administration's units, MME factors come from the literal table of the
clinical reference (§1, ``cdc2022``), the smallest units from its product table
(§8), and the pace's parameters from the plan's own ``pace`` object, so a
mistake in the planner's arithmetic or data shows up as a disagreement.

How the rules of §4a are read (docs/invariants.md says the same for people):

- *Groups*: every medication with an MME factor forms one group, measured in
  MME/day; each drug without one (buprenorphine) is a group of its own,
  measured by its daily amount. A step *cuts* a group when a medication of the
  group changes its doses.
- A cut's fraction ``c`` is the fall of the group's total over the baseline
  total while an original basis applies (``original``, or
  ``original-then-current`` while the previous total is above ``switch_at`` of
  the baseline), else over the previous step's total.
- Rule 3 holds for every step that begins with a cut except the stop (the last
  step, whose length is the follow-up after the last dose) and a step that stops
  one group while another goes on (that group's pace has ended; the step lasts at
  least the pace's interval, the planner gives it the withdrawal window).
- The exception of rule 2 for a product with no finer form is a cut of at most
  the drug's finest unit a day: the smallest unit of the product cut, or of a
  finer form of its drug (an immediate-release tablet or capsule, an oral
  solution) when the catalogue has one; the group keeps going.
- Methadone: while the total is above 15 MME/day, no cut of methadone above the
  pace's fraction ``p`` of its own daily amount, except that exception.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from taperplan import Pace, Regimen, TaperPlan
from taperplan.formats.json import plan_to_dict

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

#: Labelled patch strengths and what they deliver (the fentanyl "12 mcg/h" patch
#: delivers 12.5 mcg/h: Duragesic label).
PATCH_LABELS: Mapping[tuple[str, Fraction], Fraction] = {
    ("fentanyl", Fraction(12)): Fraction(25, 2)
}

#: The smallest unit each drug's catalogue forms can give (clinical reference §8;
#: halves of scored immediate-release tablets; 0.5 mL of the weakest solution;
#: the smallest patch): (drug, form) → mg, or mcg/h for patches. The exception of
#: rule 2 allows a cut of at most the smallest of the form cut and its finer forms.
SMALLEST_UNITS: Mapping[tuple[str, str], Fraction] = {
    ("oxycodone", "ir_tablet"): Fraction(5, 4),  # 2.5 mg oxycodone/APAP, halved
    ("oxycodone", "oral_solution"): Fraction(1, 2),  # 0.5 mL of 1 mg/mL
    ("oxycodone", "er_tablet"): Fraction(10),
    ("morphine", "ir_tablet"): Fraction(15, 2),
    ("morphine", "oral_solution"): Fraction(1),  # 0.5 mL of 2 mg/mL
    ("morphine", "er_tablet"): Fraction(15),
    ("morphine", "er_capsule"): Fraction(10),
    ("hydromorphone", "ir_tablet"): Fraction(1),
    ("hydromorphone", "oral_solution"): Fraction(1, 2),
    ("hydromorphone", "er_tablet"): Fraction(8),
    ("hydrocodone", "ir_tablet"): Fraction(5, 4),
    ("tramadol", "ir_tablet"): Fraction(25, 2),
    ("tramadol", "er_tablet"): Fraction(100),
    ("tapentadol", "ir_tablet"): Fraction(50),
    ("tapentadol", "er_tablet"): Fraction(50),
    ("methadone", "ir_tablet"): Fraction(5, 2),
    ("methadone", "oral_solution"): Fraction(1, 2),
    ("oxymorphone", "ir_tablet"): Fraction(5),
    ("oxymorphone", "er_tablet"): Fraction(5),
    ("codeine", "ir_tablet"): Fraction(8),  # co-codamol 8/500; plain codeine 15
    ("fentanyl", "patch"): Fraction(25, 2),
    ("buprenorphine", "patch"): Fraction(5),
}

#: How finely a form can be dosed: a finer form may take over part of a dose (rule 4).
FINENESS = {
    "er_tablet": 0,
    "er_capsule": 0,
    "patch": 0,
    "ir_tablet": 1,
    "ir_capsule": 1,
    "oral_solution": 2,
}

#: The stop comes at or below this total (rule 5), the end moves from at or below this.
STOP_AT_OR_BELOW_MME = Fraction(5)
END_MOVES_AT_OR_BELOW_MME = Fraction(15)
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
    """A plan broke a rule of interfaces.md §4 or §4a."""


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


def finest_unit(drug: str, form: str, own: Fraction) -> Fraction:
    """The drug's finest unit for a cut of a product of ``form`` whose own smallest
    unit is ``own``: the smallest of it and of the drug's finer forms."""
    values = [own] + [
        unit
        for (name, other), unit in SMALLEST_UNITS.items()
        if name == drug and FINENESS[other] > FINENESS[form]
    ]
    return min(values)


# -- what the plan may use -----------------------------------------------------------


@dataclass(frozen=True)
class Allowed:
    """The units one medication of the plan may be made of."""

    index: int
    drug: str
    form: str
    product: str
    strengths: frozenset[tuple[Fraction, str]]
    halves: bool
    resolution: Fraction | None
    times: frozenset[str]
    factor: Fraction | None
    substitute: bool
    max_patches: int | None = None

    @property
    def patch(self) -> bool:
        """Whether the medication is worn as patches."""
        return self.form == "patch"

    @property
    def smallest(self) -> Fraction:
        """The smallest amount that can be given at one time."""
        weakest = min(amount for amount, _ in self.strengths)
        if self.form == "oral_solution":
            assert self.resolution is not None
            return weakest * self.resolution
        return weakest / 2 if self.halves else weakest


def _delivered(drug: str, strength: tuple[Fraction, str]) -> Fraction:
    return PATCH_LABELS.get((drug, strength[0]), strength[0])


def allowed_units(regimen: Regimen, plan: Mapping[str, Any]) -> dict[int, Allowed]:
    """Per medication index: the strengths the plan may use (``available`` or the
    catalogue's, plus the stated ones; a substitute's listed strengths), whether
    halves are allowed, the syringe resolution and the dose times (any time of a
    medication of the same drug, where a finer product takes over)."""
    result: dict[int, Allowed] = {}
    drug_times: dict[str, set[str]] = {}
    for medication in regimen.medications:
        drug_times.setdefault(medication.drug, set()).update(
            a.time.strftime("%H:%M") for a in medication.administrations
        )
    for index, medication in enumerate(regimen.medications):
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
        max_patches = None
        if form == "patch":
            worn = 1
            for administration in medication.administrations:
                worn = max(worn, _patches_for(medication, Fraction(administration.amount.amount)))
            max_patches = worn + 1
        result[index] = Allowed(
            index=index,
            drug=medication.drug,
            form=form,
            product=medication.product.name,
            strengths=strengths,
            halves=bool(medication.product.splittable) and form == "ir_tablet",
            resolution=resolution,
            times=frozenset(drug_times[medication.drug]),
            factor=CDC2022_FACTORS[medication.drug],
            substitute=False,
            max_patches=max_patches,
        )
    for position, entry in enumerate(plan.get("substitutes", [])):
        where = f"substitutes[{position}]"
        index = entry["index"]
        if index in result:
            raise fail(where, f"index {index} is a regimen medication")
        if entry["drug"] not in drug_times:
            raise fail(where, f"{entry['drug']} is not a drug of the regimen")
        coarser = [m for m in regimen.medications if m.drug == entry["drug"]]
        if entry["form"] not in ("ir_tablet", "ir_capsule", "oral_solution") or not any(
            FINENESS[entry["form"]] > FINENESS[m.form.value] for m in coarser
        ):
            raise fail(
                where, f"{entry['form']} is not a finer form of the regimen's {entry['drug']}"
            )
        strengths = frozenset(parse_quantity(text) for text in entry["strengths"])
        resolution = None
        if entry["form"] == "oral_solution":
            if entry["resolution"] is None:
                raise fail(where, "a solution without its syringe resolution")
            resolution = parse_quantity(entry["resolution"])[0]
        splittable = any(
            m.get("splittable")
            for step in plan["steps"]
            for m in step["medications"]
            if m["index"] == index
        )
        result[index] = Allowed(
            index=index,
            drug=entry["drug"],
            form=entry["form"],
            product=entry["product"],
            strengths=strengths,
            halves=splittable and entry["form"] == "ir_tablet",
            resolution=resolution,
            times=frozenset(drug_times[entry["drug"]]),
            factor=CDC2022_FACTORS[entry["drug"]],
            substitute=True,
        )
    return result


def _patches_for(medication: Any, amount: Fraction) -> int:
    """The fewest of the patient's own patches that make ``amount``."""
    sizes = sorted(
        (
            PATCH_LABELS.get((medication.drug, Fraction(q.amount)), Fraction(q.amount))
            for q in medication.strengths
        ),
        reverse=True,
    )
    best = {Fraction(0): 0}
    for _ in range(8):
        for total, count in list(best.items()):
            for size in sizes:
                grown = total + size
                if grown <= amount and (grown not in best or best[grown] > count + 1):
                    best[grown] = count + 1
    return best.get(amount, 1)


# -- one medication in one step ------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One medication's doses in a step, re-derived exactly."""

    index: int
    drug: str
    form: str
    admins: Mapping[str, tuple[Fraction, int, int]]
    daily: Fraction
    mme: Fraction | None
    patch: bool
    patches: int = 0

    @property
    def live(self) -> bool:
        """Whether anything of this medication is taken."""
        return bool(self.admins)


def check_units(admin: Mapping[str, Any], allowed: Allowed, where: str) -> tuple[Fraction, int]:
    """Check one administration's units make its amount from allowed strengths;
    return the amount and the number of units (patches worn)."""
    amount = exact(admin["amount"])
    units = admin["units"]
    if not units:
        raise fail(where, "a dose without units")
    total = Fraction(0)
    halves = 0
    pieces = 0
    for unit in units:
        strength = parse_quantity(unit["strength"])
        if (
            strength not in allowed.strengths
            and (_delivered(allowed.drug, strength), strength[1]) not in allowed.strengths
        ):
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
        pieces += math.ceil(count)
        total += _delivered(allowed.drug, strength) * count
    if halves > 1:
        raise fail(where, "more than one half tablet in one dose")
    if total != amount:
        raise fail(where, f"units give {float(total)}, the dose is {admin['amount']}")
    return amount, pieces


def read_part(entry: Mapping[str, Any], allowed: Allowed, where: str) -> Part:
    """Re-derive one medication's daily amount and MME from its administrations."""
    if entry["drug"] != allowed.drug or entry["form"] != allowed.form:
        raise fail(where, f"{entry['drug']} {entry['form']} does not match {allowed.product}")
    expected_unit = "mcg/h" if allowed.patch else "mg"
    admins: dict[str, tuple[Fraction, int, int]] = {}
    daily = Fraction(0)
    patches = 0
    for position, admin in enumerate(entry["administrations"]):
        here = f"{where}.administrations[{position}]"
        if admin["time"] not in allowed.times:
            raise fail(here, f"time {admin['time']} is not one of the regimen's for {allowed.drug}")
        if admin["time"] in admins:
            raise fail(here, f"time {admin['time']} listed twice")
        if admin["unit"] != expected_unit:
            raise fail(here, f"unit {admin['unit']}; expected {expected_unit}")
        every = admin["every_days"]
        if not isinstance(every, int) or every < 1:
            raise fail(here, f"every_days {every!r} is not a whole number ≥ 1")
        offset = admin.get("offset", 0)
        if not isinstance(offset, int) or not 0 <= offset < every:
            raise fail(here, f"offset {offset!r} is not from 0 to {every - 1}")
        amount, pieces = check_units(admin, allowed, here)
        if amount <= 0:
            raise fail(here, "a listed dose of zero")
        if allowed.max_patches is not None and pieces > allowed.max_patches:
            raise fail(
                here,
                f"{pieces} patches worn; at most {allowed.max_patches} (the regimen's own plus one)",
            )
        patches += pieces
        admins[admin["time"]] = (amount, every, offset)
        daily += amount if allowed.patch else amount / every
    close(daily, entry["daily_amount"], where=where, what="daily_amount")
    if entry["unit"] != expected_unit:
        raise fail(where, f"unit {entry['unit']}; expected {expected_unit}")
    mme = None if allowed.factor is None else daily * allowed.factor
    if mme is None:
        if entry["mme_per_day"] is not None:
            raise fail(
                where, f"mme_per_day {entry['mme_per_day']} for {allowed.drug}; expected null"
            )
    else:
        close(mme, entry["mme_per_day"], where=where, what="mme_per_day")
    return Part(
        index=allowed.index,
        drug=allowed.drug,
        form=allowed.form,
        admins=admins,
        daily=daily,
        mme=mme,
        patch=allowed.patch,
        patches=patches,
    )


def read_parts(
    medications: Sequence[Mapping[str, Any]], allowed: Mapping[int, Allowed], where: str
) -> dict[int, Part]:
    """Every medication of a step, by index (medications not listed take nothing)."""
    parts: dict[int, Part] = {}
    for position, entry in enumerate(medications):
        here = f"{where}.medications[{position}]"
        index = entry.get("index")
        if index not in allowed:
            raise fail(
                here, f"medication index {index!r} is neither the regimen's nor a listed substitute"
            )
        if index in parts:
            raise fail(here, f"medication {index} listed twice")
        parts[index] = read_part(entry, allowed[index], here)
    for index, medication in allowed.items():
        if index not in parts:
            parts[index] = Part(
                index=index,
                drug=medication.drug,
                form=medication.form,
                admins={},
                daily=Fraction(0),
                mme=None if medication.factor is None else Fraction(0),
                patch=medication.patch,
            )
    return parts


def check_total(step: Mapping[str, Any], parts: Mapping[int, Part], where: str) -> None:
    """``total_mme_per_day`` is the sum of the listed medications' MME, or null."""
    listed = {entry["index"] for entry in step["medications"]}
    values = [parts[index].mme for index in listed]
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


# -- the pace --------------------------------------------------------------------------


@dataclass(frozen=True)
class PaceRules:
    """The pace's parameters as the plan JSON states them."""

    percent: Fraction | None
    basis: str
    every_days: int
    switch_at: Fraction | None
    after_percent: Fraction | None
    first_percent: Fraction | None
    slow_below: Fraction | None
    slow_factor: Fraction | None
    ceiling: Fraction
    min_step_days: int
    reduction: Fraction | None
    substitute: bool

    @classmethod
    def read(cls, pace: Mapping[str, Any]) -> PaceRules:
        """From the plan JSON's ``pace`` object."""

        def number(key: str) -> Fraction | None:
            value = pace.get(key)
            return None if value is None else Fraction(Decimal(str(value)))

        reduction = pace.get("reduction")
        return cls(
            percent=number("percent"),
            basis=pace["basis"],
            every_days=int(pace["every_days"]),
            switch_at=number("switch_at"),
            after_percent=number("after_percent"),
            first_percent=number("first_percent"),
            slow_below=number("slow_below"),
            slow_factor=number("slow_factor"),
            ceiling=exact(pace["max_step_fraction"]),
            min_step_days=int(pace.get("min_step_days", 1)),
            reduction=None if reduction is None else parse_quantity(reduction)[0],
            substitute=bool(pace.get("substitute", True)),
        )

    def original_basis(self, previous: Fraction, baseline: Fraction) -> bool:
        """Whether the cut is measured against the baseline (original basis)."""
        if self.basis == "original":
            return True
        if self.basis == "original-then-current":
            assert self.switch_at is not None
            return previous > self.switch_at * baseline
        return False

    def p(
        self, previous: Fraction, baseline: Fraction, *, first: bool, factor: Fraction
    ) -> Fraction:
        """The pace's fraction per ``every_days`` at this point of the taper."""
        if self.reduction is not None:
            return self.reduction * factor / baseline if baseline else Fraction(1)
        assert self.percent is not None
        if self.basis == "original-then-current" and not self.original_basis(previous, baseline):
            base = (self.after_percent if self.after_percent is not None else self.percent) / 100
        elif first and self.first_percent is not None:
            base = self.first_percent / 100
        else:
            base = self.percent / 100
        if (
            self.slow_below is not None
            and self.slow_factor is not None
            and previous <= self.slow_below * baseline
        ):
            base *= self.slow_factor
        return base


# -- cuts ----------------------------------------------------------------------------


def groups(allowed: Mapping[int, Allowed]) -> list[list[int]]:
    """Medications whose cuts are measured against one total: every medication with
    an MME factor together; each drug without one on its own."""
    with_mme = [index for index, a in allowed.items() if a.factor is not None]
    result = [with_mme] if with_mme else []
    result.extend(
        [index for index, a in allowed.items() if a.drug == drug]
        for drug in sorted({a.drug for a in allowed.values() if a.factor is None})
    )
    return result


def measure(part: Part) -> Fraction:
    """MME/day, or the daily amount where MME does not apply."""
    return part.mme if part.mme is not None else part.daily


def changed(before: Part, after: Part) -> bool:
    """Whether anything about a medication's doses changed."""
    return {t: (a, e) for t, (a, e, _) in before.admins.items()} != {
        t: (a, e) for t, (a, e, _) in after.admins.items()
    }


def day_amounts(parts: Sequence[Part], length: int) -> list[Fraction]:
    """The amount of a drug taken on each day of a step (patches: the mcg/h worn)."""
    amounts = [Fraction(0)] * length
    for part in parts:
        for amount, every, offset in part.admins.values():
            for day in range(length):
                if part.patch or (day >= offset and (day - offset) % every == 0):
                    amounts[day] += amount
    return amounts


def empty_days(parts: Sequence[Part]) -> bool:
    """Whether a day goes without any dose while more than one dose is taken."""
    live = [p for p in parts if p.live]
    if not live or any(p.patch for p in live):
        return False
    admins = [a for p in live for a in p.admins.values()]
    if len(admins) == 1:
        return False
    period = math.lcm(*(every for _, every, _ in admins))
    return any(amount == 0 for amount in day_amounts(live, period))


@dataclass
class Walk:
    """What the checker remembers while it walks the steps."""

    gaps_before: bool = False

    smallest_patch_days: dict[int, int] = field(default_factory=dict)


def check_never_rises(
    before: Mapping[int, Part],
    after: Mapping[int, Part],
    before_days: int,
    after_days: int,
    where: str,
) -> None:
    """Rule 1: no drug's daily amount rises, and no day of the step carries more of a
    drug than the most any single day of the step before carried."""
    for drug in sorted({p.drug for p in before.values()}):
        old = [p for p in before.values() if p.drug == drug]
        new = [p for p in after.values() if p.drug == drug]
        old_daily = sum((p.daily for p in old), Fraction(0))
        new_daily = sum((p.daily for p in new), Fraction(0))
        if new_daily > old_daily:
            raise fail(where, f"{drug} rises from {old_daily} to {new_daily} a day")
        if any(p.live for p in new):
            most_before = max(day_amounts(old, max(before_days, 1)), default=Fraction(0))
            most_after = max(day_amounts(new, max(after_days, 1)), default=Fraction(0))
            if most_after > most_before:
                raise fail(
                    where,
                    f"a day carries {float(most_after)} of {drug}, more than any day before ({float(most_before)})",
                )


def _single_admin(parts: Sequence[Part]) -> tuple[Part, tuple[Fraction, int, int]] | None:
    live = [(p, admin) for p in parts for admin in p.admins.values()]
    return live[0] if len(live) == 1 else None


def _smallest_of(allowed: Allowed) -> Fraction:
    return allowed.smallest


def end_move(  # noqa: PLR0917 - the walk's state, as the checker's other rules take it
    previous: Mapping[int, Part],
    parts: Mapping[int, Part],
    group: Sequence[int],
    allowed: Mapping[int, Allowed],
    total_before: Fraction,
    mme_group: bool,
    walk: Walk,
    pace: PaceRules,
    warnings: set[str],
) -> str | None:
    """The name of the end move (rule 5) this step of ``group`` is, or None."""
    stopped = not any(parts[i].live for i in group)
    if mme_group and stopped and total_before <= STOP_AT_OR_BELOW_MME:
        return "the stop at or below 5 MME/day"
    single_before = _single_admin([previous[i] for i in group])
    single_after = _single_admin([parts[i] for i in group])
    if single_before is not None:
        part, (amount, every, _) = single_before
        medication = allowed[part.index]
        if stopped and every >= 2 and amount == medication.smallest and not part.patch:
            return "the stop from a single smallest dose taken less than once a day"
        if single_after is not None and every == 1:
            new_part, (new_amount, new_every, _) = single_after
            spaced_to = allowed[new_part.index]
            if (
                new_every == 2
                and new_amount == amount
                and spaced_to.form in ("ir_tablet", "ir_capsule", "oral_solution")
                and amount == spaced_to.smallest
                and new_part.drug == part.drug
            ):
                return "a single once-daily smallest dose taken every other day"
    # The smallest patch, worn alone for at least the pace's interval, stopped (any total).
    for index in group:
        before, after = previous[index], parts[index]
        medication = allowed[index]
        if not medication.patch or not before.live or after.live:
            continue
        others_changed = [i for i in group if i != index and changed(previous[i], parts[i])]
        if others_changed:
            continue
        [(amount, _, _)] = list(before.admins.values())
        if before.patches == 1 and amount == min(
            _delivered(medication.drug, s) for s in medication.strengths
        ):
            worn = walk.smallest_patch_days.get(index, 0)
            if worn < pace.every_days:
                raise PlanInvariantError(
                    f"the smallest {medication.drug} patch is stopped after {worn} days worn alone; "
                    f"at least {pace.every_days} (the pace's interval)"
                )
            if "smallest-patch-stop" not in warnings:
                raise PlanInvariantError(
                    "the smallest patch is stopped without a smallest-patch-stop warning"
                )
            return "the stop from the smallest patch"
    return None


def coarse_exception(
    previous: Mapping[int, Part],
    parts: Mapping[int, Part],
    group: Sequence[int],
    allowed: Mapping[int, Allowed],
) -> bool:
    """Rule 2's exception: one drug cut by at most its finest unit a day, the group
    going on."""
    if not any(parts[i].live for i in group):
        return False
    drugs = {parts[i].drug for i in group if changed(previous[i], parts[i])}
    if len(drugs) != 1:
        return False
    [drug] = drugs
    members = [i for i in group if parts[i].drug == drug]
    cut = sum((previous[i].daily - parts[i].daily for i in members), Fraction(0))
    finest = min(
        finest_unit(drug, allowed[i].form, allowed[i].smallest)
        for i in members
        if previous[i].live or parts[i].live
    )
    return cut <= finest


def _held_on(
    steps: Sequence[Mapping[str, Any]], position: int, allowed: Mapping[int, Allowed]
) -> int:
    """The days the steps after ``position`` hold its doses unchanged (pauses)."""

    def doses(step: Mapping[str, Any]) -> list[tuple[int, list[tuple[str, float, int]]]]:
        return sorted(
            (m["index"], [(a["time"], a["amount"], a["every_days"]) for a in m["administrations"]])
            for m in step["medications"]
            if m["administrations"]
        )

    held = 0
    for step in steps[position + 1 :]:
        if doses(step) != doses(steps[position]) or step.get("replanned_from"):
            break
        held += step["days"]
    return held


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
    """Check every rule of interfaces.md §4 and §4a on a plan's JSON.

    ``steps_before`` is the number of steps a re-plan kept before its new schedule
    (those were planned at the plan's earlier pace: rules 2, 3 and 5 are checked
    from the step after them).

    Raises:
        PlanInvariantError: naming the step and the rule broken.
    """
    if plan["schema"] != "taperplan.plan/1":
        raise fail("schema", repr(plan["schema"]))
    if plan.get("factor_set", "cdc2022") != "cdc2022":
        raise fail("factor_set", "the checker knows the cdc2022 factors only")
    rules = PaceRules.read(plan["pace"])
    if rules.ceiling != Fraction(pace.max_step_fraction):
        raise fail(
            "pace", f"max_step_fraction {rules.ceiling}; the pace's is {pace.max_step_fraction}"
        )
    if rules.every_days != pace.every_days:
        raise fail("pace", f"every_days {rules.every_days}; the pace's is {pace.every_days}")
    allowed = allowed_units(regimen, plan)
    if any(a.substitute for a in allowed.values()) and not rules.substitute:
        raise fail("substitutes", "a finer product is added although substitute = false")
    warnings = {w["code"] for w in plan.get("warnings", [])}
    if any(a.substitute for a in allowed.values()) and "substitution" not in warnings:
        raise fail("warnings", "a substitute without a substitution warning")
    steps = plan["steps"]
    if not steps:
        raise fail("steps", "no steps")
    if len(steps) > steps_before + MAX_PLAN_STEPS:
        raise fail("steps", f"{len(steps)} steps: the plan is not bounded")

    baseline = read_parts(plan["baseline"]["medications"], allowed, "baseline")
    check_total(plan["baseline"], baseline, "baseline")
    for index, medication in enumerate(regimen.medications):
        part = baseline[index]
        stated = {
            a.time.strftime("%H:%M"): (
                Fraction(a.amount.amount),
                a.every_days or medication.every_days,
            )
            for a in medication.administrations
        }
        if {t: (a, e) for t, (a, e, _) in part.admins.items()} != stated:
            raise fail("baseline", f"medication {index} is not the regimen's {stated}")
    baselines = {
        tuple(g): sum((measure(baseline[i]) for i in g), Fraction(0)) for g in groups(allowed)
    }

    plan_start = day(steps[0]["start"], "steps[0].start")
    if start is not None and plan_start != start:
        raise fail("steps[0].start", f"{plan_start}; the plan starts on {start}")
    if "start" in plan and day(plan["start"], "start") != plan_start:
        raise fail("start", f"{plan['start']} is not steps[0].start")

    previous_parts = baseline
    previous_days = 1
    previous_end: dt.date | None = None
    last_check: dt.date | None = None
    all_checks: list[dt.date] = []
    walk = Walk(gaps_before=empty_days(list(baseline.values())))
    first_cut_seen = steps_before > 0
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
            if position == 0:
                raise fail(where, "the first step cannot be re-planned from other doses")
            previous_parts = read_parts(actual, allowed, f"{where}.replanned_from")
        for part in parts.values():
            for time, (_, every, _) in part.admins.items():
                if length % every:
                    raise fail(
                        where,
                        f"{length} days is not a whole number of medication {part.index} at {time} every {every} days",
                    )
                if (
                    every > 1
                    and part.form in ("er_tablet", "er_capsule")
                    and baseline[part.index].admins.get(time, (0, 1, 0))[1] != every
                ):
                    raise fail(
                        where,
                        f"extended-release medication {part.index} taken every {every} days (rule 4)",
                    )
        check_never_rises(previous_parts, parts, previous_days, length, where)
        cut_groups = []
        for group in groups(allowed):
            if not any(changed(previous_parts[i], parts[i]) for i in group):
                continue
            before = sum((measure(previous_parts[i]) for i in group), Fraction(0))
            after = sum((measure(parts[i]) for i in group), Fraction(0))
            if after > before:
                raise fail(where, f"the total of {group} rises from {before} to {after}")
            cut_groups.append((group, before, after))
        checked = position >= steps_before
        for group, before, after in cut_groups:
            mme_group = all(allowed[i].factor is not None for i in group)
            if (
                mme_group
                and before <= STOP_AT_OR_BELOW_MME
                and any(parts[i].live for i in group)
                and checked
            ):
                raise fail(
                    where,
                    f"the total was {float(before)} MME/day (≤ 5): this step must be the stop",
                )
            if after == before:
                continue
            base = baselines[tuple(group)]
            reference = base if rules.original_basis(before, base) else before
            fraction = (before - after) / reference if reference else Fraction(1)
            moved = [i for i in group if changed(previous_parts[i], parts[i])]
            factor = allowed[moved[0]].factor or Fraction(1)
            p = rules.p(before, base, first=not first_cut_seen, factor=factor)
            if not checked:
                continue
            exception = None
            if fraction > rules.ceiling:
                exception = end_move(
                    previous_parts, parts, group, allowed, before, mme_group, walk, rules, warnings
                )
                if exception is None and coarse_exception(previous_parts, parts, group, allowed):
                    exception = "a cut of at most the drug's finest unit"
                if exception is None:
                    raise fail(
                        where,
                        f"cut of {float(before - after)} from {float(before)} ({float(fraction):.4f}) exceeds the "
                        f"ceiling {float(rules.ceiling)} and is no end move or finest-unit cut (rules 2 and 5)",
                    )
            methadone = [i for i in moved if allowed[i].drug == "methadone"]
            if methadone and mme_group and before > END_MOVES_AT_OR_BELOW_MME:
                old = sum(
                    (previous_parts[i].daily for i in allowed if allowed[i].drug == "methadone"),
                    Fraction(0),
                )
                new = sum(
                    (parts[i].daily for i in allowed if allowed[i].drug == "methadone"), Fraction(0)
                )
                if (
                    old
                    and (old - new) / old > p
                    and not coarse_exception(previous_parts, parts, group, allowed)
                ):
                    raise fail(
                        where,
                        f"methadone cut by {float((old - new) / old):.4f} of its dose, above the pace's {float(p)}",
                    )
                if not final and length + _held_on(steps, position, allowed) < rules.every_days:
                    raise fail(
                        where, f"a methadone step of {length} days; at least {rules.every_days}"
                    )
            if not final:
                # The cut's dose is held until the next change (a pause holds it on).
                held = length + _held_on(steps, position, allowed)
                needed = max(rules.min_step_days, math.ceil(rules.every_days * fraction / p))
                if not any(parts[i].live for i in group):
                    # A group's stop while another group goes on ends that group's
                    # pace: like the final stop, it lasts its withdrawal window.
                    needed = rules.every_days
                if held < needed:
                    raise fail(
                        where,
                        f"a cut of {float(fraction):.4f} at a pace of {float(p):.4f} per {rules.every_days} days "
                        f"is held {held} days; rule 3 needs at least {needed}",
                    )
        if cut_groups:
            first_cut_seen = True
        # Rule 6: a day without any opioid only with one administration spaced out.
        # (A regimen already taken with such days may keep them while it has them.)
        gaps = empty_days(list(parts.values()))
        if gaps and not walk.gaps_before:
            raise fail(where, "a day without any dose although several doses are taken (rule 6)")
        walk.gaps_before = gaps
        # The smallest patch worn alone: days counted for its stop.
        for index, part in parts.items():
            medication = allowed[index]
            if medication.patch and part.live and part.patches == 1 and len(part.admins) == 1:
                [(amount, _, _)] = list(part.admins.values())
                smallest = min(_delivered(medication.drug, s) for s in medication.strengths)
                if amount == smallest:
                    same = previous_parts[index].admins == part.admins and position > 0
                    walk.smallest_patch_days[index] = (
                        walk.smallest_patch_days.get(index, 0) if same else 0
                    ) + length
                    continue
            walk.smallest_patch_days.pop(index, None)

        kind = step.get("kind")
        if final:
            if any(part.live for part in parts.values()):
                raise fail(where, "the last step is not the stop")
            if kind not in (None, "stop"):
                raise fail(where, f"the last step's kind is {kind!r}")
        elif not any(part.live for part in parts.values()):
            raise fail(where, "nothing is taken before the last step")

        if cut_groups:
            if kind not in (None, "cut", "stop"):
                raise fail(where, f"a cut step of kind {kind!r}")
            fallen = [
                i
                for group, _, _ in cut_groups
                for i in group
                if changed(previous_parts[i], parts[i]) and previous_parts[i].live
            ]
            profiles = {expected_profile(allowed[i].drug, allowed[i].form) for i in fallen}
            window_profile = step.get("withdrawal_profile")
            if window_profile not in profiles:
                raise fail(
                    where,
                    f"withdrawal profile {window_profile}; expected one of {sorted(profiles)}",
                )
            window_end = check_window(step, first, last, window_profile, where)
            if final and last < window_end:
                raise fail(where, "the stop step ends before its withdrawal window")
        else:
            if kind not in (None, "pause"):
                raise fail(where, f"a step without a cut of kind {kind!r}")
            if step["withdrawal_window"] is not None:
                raise fail(where, "a step without a cut has a withdrawal window")

        check_in = day(step["check_in"], where)
        checks = [day(c, where) for c in step.get("check_ins", [step["check_in"]])]
        if check_in not in checks:
            raise fail(where, "check_in is not among check_ins")
        if checks != sorted(set(checks)):
            raise fail(where, "check_ins are not in order")
        for check in checks:
            if not first <= check <= last:
                raise fail(where, f"check-in {check} outside the step {first}..{last}")
            anchor = last_check if last_check is not None else plan_start
            if (check - anchor).days > MAX_CHECK_IN_GAP_DAYS:
                raise fail(where, f"{(check - anchor).days} days without a check-in before {check}")
            last_check = check
        all_checks += checks
        previous_parts = parts
        previous_days = length
        previous_end = last

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
