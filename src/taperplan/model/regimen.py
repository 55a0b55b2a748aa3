"""The regimen model: what a patient takes now, and who the patient is.

Pure values: a :class:`Regimen` holds :class:`Medication` objects, each a
product family with its doses at wall-clock times. Nothing here reads files;
see :mod:`taperplan.formats.regimen` for the TOML and mapping forms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

import attrs

from taperplan.errors import CatalogueError, QuantityError
from taperplan.reference.dispense import UnitCount, UnitSet
from taperplan.reference.notices import Notice
from taperplan.reference.paces import Pace
from taperplan.reference.products import Combination, Form, Product, catalogue
from taperplan.units import Quantity, Unit

Indication = Literal["pain", "oud"]

#: Boolean context keys, each a risk factor or caution used by the clinical rules.
CONTEXT_FLAGS: tuple[str, ...] = (
    "benzodiazepines",
    "pregnant",
    "renal_impairment",
    "hepatic_impairment",
    "sleep_apnea",
    "history_of_overdose",
    "substance_use_disorder",
    "opioid_use_disorder",
    "gi_bleeding",
    "heart_disease",
    "hypotension",
    "bradycardia",
    "qt_prolongation",
    "fibromyalgia",
    "neuropathy",
    "anxiety",
    "depression",
    "rapid_escalation",
    "supervised",
)


@attrs.frozen
class Context:
    """Optional facts about the patient that change the plan or its cautions.

    Every field is optional; ``None`` means "not stated". ``supervised`` states
    that the patient is under close supervision (required for ``va-rapid``).
    """

    on_opioids_since: dt.date | None = None
    age: int | None = None
    benzodiazepines: bool | None = None
    pregnant: bool | None = None
    renal_impairment: bool | None = None
    hepatic_impairment: bool | None = None
    sleep_apnea: bool | None = None
    history_of_overdose: bool | None = None
    substance_use_disorder: bool | None = None
    opioid_use_disorder: bool | None = None
    gi_bleeding: bool | None = None
    heart_disease: bool | None = None
    hypotension: bool | None = None
    bradycardia: bool | None = None
    qt_prolongation: bool | None = None
    fibromyalgia: bool | None = None
    neuropathy: bool | None = None
    anxiety: bool | None = None
    depression: bool | None = None
    rapid_escalation: bool | None = None
    supervised: bool | None = None

    def flag(self, name: str) -> bool:
        """Whether the boolean context key ``name`` is stated true."""
        return bool(getattr(self, name))

    def years_on_opioids(self, on: dt.date) -> Decimal | None:
        """Years from ``on_opioids_since`` to ``on``, or None when not stated."""
        if self.on_opioids_since is None:
            return None
        return Decimal((on - self.on_opioids_since).days) / Decimal("365.25")


@attrs.frozen(order=True)
class Administration:
    """An amount taken at one wall-clock time (mg; mcg/h for a patch).

    ``every_days`` is this dose's own interval when it differs from its
    medication's (a plan can move one dose to alternate days); None means
    the medication's ``every_days``. ``offset`` is the first day it is taken,
    counted from 0 (a re-plan continues doses taken on alternate days on the
    days the patient takes them).
    """

    time: dt.time
    amount: Quantity = attrs.field(order=False)
    every_days: int | None = attrs.field(default=None, order=False)
    offset: int = attrs.field(default=0, order=False, validator=attrs.validators.ge(0))


def _quantities(values: Iterable[Quantity]) -> tuple[Quantity, ...]:
    return tuple(values)


def _medications(values: Iterable[Medication]) -> tuple[Medication, ...]:
    return tuple(values)


def _notices(values: Iterable[Notice]) -> tuple[Notice, ...]:
    return tuple(values)


def _amount(quantity: Quantity) -> Decimal:
    return quantity.amount


def _clock_time(text: str) -> dt.time:
    """``HH:MM`` on the 24-hour clock, nothing else."""
    try:
        return dt.datetime.strptime(text, "%H:%M").time()  # noqa: DTZ007 - a wall-clock time
    except ValueError:
        msg = f"time {text!r} is not HH:MM on the 24-hour clock, e.g. 08:00"
        raise ValueError(msg) from None


AsNeededPlan = Literal["schedule", "stop-first"]


@attrs.frozen
class AsNeeded:
    """An as-needed (PRN) medication: at most ``max_doses_per_day`` doses a day, counted at
    that maximum in MME, and how the plan handles it: ``schedule`` (the default, as the
    guidelines advise: scheduled doses at the medication's times, not as needed) or
    ``stop-first`` (taper its drug before the others; the clinician's choice)."""

    max_doses_per_day: int = attrs.field(validator=attrs.validators.ge(1))
    plan: AsNeededPlan = attrs.field(
        default="schedule", validator=attrs.validators.in_(("schedule", "stop-first"))
    )


def _sorted_admins(items: Sequence[Administration]) -> tuple[Administration, ...]:
    return tuple(sorted(items, key=lambda a: a.time))


class OfProduct:
    """The drug and form of a value that holds a catalogue ``product``."""

    __slots__ = ()

    product: Product

    @property
    def drug(self) -> str:
        """The generic name of the opioid."""
        return self.product.drug.name

    @property
    def form(self) -> Form:
        """The dosage form."""
        return self.product.form


@attrs.frozen
class Medication(OfProduct):
    """One opioid product family and its doses.

    Build with :meth:`of` from plain values, or through
    :func:`taperplan.load_regimen`.
    """

    product: Product
    strengths: tuple[Quantity, ...] = attrs.field(converter=_quantities)
    administrations: tuple[Administration, ...] = attrs.field(converter=_sorted_admins)
    every_days: int = 1
    available: tuple[Quantity, ...] | None = attrs.field(
        default=None, converter=attrs.converters.optional(_quantities)
    )
    combination: Combination | None = None
    resolution: Quantity | None = None
    indication: Indication = "pain"
    as_needed: AsNeeded | None = None

    def __attrs_post_init__(self) -> None:
        if self.as_needed is not None:
            if len(self.administrations) > self.as_needed.max_doses_per_day:
                msg = (
                    f"{len(self.administrations)} dose times are more than the as-needed "
                    f"maximum of {self.as_needed.max_doses_per_day} a day"
                )
                raise ValueError(msg)
            if len({a.amount for a in self.administrations}) > 1:
                msg = "an as-needed medication has one dose (the same at every time)"
                raise ValueError(msg)
        for administration in self.administrations:
            if administration.offset >= self.interval(administration):
                msg = (
                    f"the {administration.time:%H:%M} dose's offset {administration.offset} "
                    f"must be below its interval of {self.interval(administration)} days"
                )
                raise ValueError(msg)

    @classmethod
    def of(
        cls,
        drug: str,
        form: str,
        strength: str | Sequence[str],
        *,
        times: Sequence[str],
        dose: str | None = None,
        doses: Sequence[str] | None = None,
        every_days: int | None = None,
        available: Sequence[str] | None = None,
        combination: str | None = None,
        split: bool | None = None,
    ) -> Medication:
        """Build a medication from the same values a regimen file holds.

        Each value is checked as it is made, and the first bad one raises
        (:class:`~taperplan.CatalogueError` for an unknown drug or product,
        :class:`~taperplan.QuantityError` or :class:`ValueError` for a value).
        This does not check that the doses can be made from the strengths, nor
        list every problem at once: load through :func:`taperplan.load_regimen`
        (or :func:`taperplan.regimen_from_mapping`) for that. ``every_days``
        defaults to the product's (3 for a 72-hour patch, else 1).
        """
        opioid, shape = catalogue().opioid(drug), Form(form)
        try:
            product = catalogue().product(opioid, shape, combination)
        except CatalogueError:
            # As in a regimen file: the one combination product of a drug and form
            # (hydrocodone/acetaminophen) is meant when no combination is named.
            families = [p for p in catalogue().products_for(opioid) if p.form is shape]
            if combination is not None or len(families) != 1:
                raise
            product = families[0]
        if split is not None:
            product = product.with_split(split)
        stated = tuple(
            Quantity.parse(s) for s in ([strength] if isinstance(strength, str) else strength)
        )
        offered = None if available is None else tuple(Quantity.parse(a) for a in available)
        if (dose is None) == (doses is None):
            msg = "give dose (the same at every time) or doses (one per time), not both or neither"
            raise ValueError(msg)
        amounts = [
            Quantity.parse(d) for d in ([dose] * len(times) if dose is not None else doses or ())
        ]
        if len(amounts) != len(times):
            msg = f"doses has {len(amounts)} amounts for {len(times)} times: give one per time"
            raise ValueError(msg)
        if product.labels:  # a labelled strength counts as what it delivers (12 → 12.5 mcg/h)
            stated = tuple(sorted({product.from_label(s) for s in stated}, key=_amount))
            if offered is not None:
                offered = tuple(sorted({product.from_label(s) for s in offered}, key=_amount))
            amounts = [product.delivered(a, stated) for a in amounts]
        return cls(
            product=product,
            strengths=stated,
            administrations=tuple(
                Administration(_clock_time(t), a) for t, a in zip(times, amounts, strict=True)
            ),
            every_days=every_days or product.change_days or 1,
            available=offered,
            combination=Combination.parse(combination) if combination else product.combination,
        )

    @property
    def dose_unit(self) -> Unit:
        """mg, or mcg/h for patches."""
        return self.form.dose_unit

    @property
    def unit_set(self) -> UnitSet:
        """The units doses may be made of (``available`` strengths if stated,
        else the catalogue's, always including the strengths the patient has)."""
        base = self.available if self.available is not None else self.product.strengths
        return UnitSet(
            form=self.form,
            strengths=(*base, *self.strengths),
            splittable=self.product.splittable,
            resolution=self.resolution or self._default_resolution(),
            max_pieces=self.max_pieces,
            labels=self.product.labels,
        )

    @property
    def max_pieces(self) -> int:
        """The most units one administration may take: the catalogue's limit (or the
        pieces the patient takes at once now, if more), and for patches at most one
        more patch than the patient wears now (§4a: never six small patches for one
        large one)."""
        limit = catalogue().max_units_per_administration
        worn = self.pieces_at_once
        if self.form is not Form.PATCH:
            # Never fewer than the patient takes at once now (a first cut must be makeable).
            return max(limit, worn)
        return min(limit, worn + 1)

    @property
    def pieces_at_once(self) -> int:
        """The most tablets, capsules or patches (halves counted up) the patient takes at
        one time now, from the stated strengths (a dose of an oral solution counts 1)."""
        stated = attrs.evolve(self._base_unit_set(), strengths=self.strengths, max_pieces=64)
        worn = 0
        for administration in self.administrations:
            units = stated.make(administration.amount)
            if units is None or self.form is Form.ORAL_SOLUTION:
                pieces = Decimal(1)
            else:
                pieces = sum((u.count for u in units), Decimal(0))
            worn = max(worn, int(pieces.to_integral_value(rounding="ROUND_CEILING")))
        return worn

    def _base_unit_set(self) -> UnitSet:
        return UnitSet(
            form=self.form,
            strengths=self.strengths,
            splittable=self.product.splittable,
            resolution=self.resolution or self._default_resolution(),
            labels=self.product.labels,
        )

    @property
    def stated_unit_set(self) -> UnitSet:
        """The units the patient has now (the stated strengths only)."""
        return attrs.evolve(self.unit_set, strengths=self.strengths, max_pieces=64)

    def _default_resolution(self) -> Quantity | None:
        return catalogue().solution_resolution if self.form is Form.ORAL_SOLUTION else None

    @property
    def daily_amount(self) -> Quantity:
        """The average amount per day (mg/day; for a patch, the mcg/h worn)."""
        if self.form is Form.PATCH:
            total = sum((a.amount.amount for a in self.administrations), Decimal(0))
            return Quantity(total, Unit.MCG_PER_H)
        total = sum(
            (a.amount.to(Unit.MG).amount / self.interval(a) for a in self.administrations),
            Decimal(0),
        )
        return Quantity(total, Unit.MG)

    @property
    def mme_daily_amount(self) -> Quantity:
        """The daily amount MME counts: an as-needed medication's maximum (its dose as
        often as allowed), else :attr:`daily_amount`."""
        if self.as_needed is None or not self.administrations:
            return self.daily_amount
        dose = self.administrations[0].amount
        if self.form is not Form.PATCH:
            dose = dose.to(Unit.MG)
        return Quantity(dose.amount * self.as_needed.max_doses_per_day, dose.unit)

    def interval(self, administration: Administration) -> int:
        """Days between doses at ``administration``'s time."""
        return administration.every_days or self.every_days

    def units_for(self, amount: Quantity) -> tuple[UnitCount, ...]:
        """The units that make ``amount`` (from the patient's own strengths when
        possible, else from every allowed strength)."""
        made = self.stated_unit_set.make(amount)
        if made is None:
            made = self.unit_set.make(amount)
        if made is None:
            raise QuantityError(amount, f"cannot be made from {self.product.name} units")
        return made

    @property
    def acetaminophen_per_day(self) -> Quantity | None:
        """Acetaminophen per day from a combination product, or None."""
        if self.combination is None:
            return None
        units = sum(
            (
                sum((u.count for u in self.units_for(a.amount)), Decimal(0)) / self.interval(a)
                for a in self.administrations
            ),
            Decimal(0),
        )
        return Quantity(self.combination.amount.to(Unit.MG).amount * units, Unit.MG)


@attrs.frozen
class Regimen:
    """A patient's current opioid regimen.

    ``notices`` are the warnings found while reading it (a strength the
    catalogue does not list, an assumed combination, ...).
    """

    medications: tuple[Medication, ...] = attrs.field(converter=_medications)
    timezone: ZoneInfo | None = None
    context: Context = Context()
    pace: Pace | None = None
    notices: tuple[Notice, ...] = attrs.field(default=(), converter=_notices)
