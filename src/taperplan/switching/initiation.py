"""Low-dose ("micro") buprenorphine initiation as a dated plan.

:func:`plan_buprenorphine_initiation` lays a published protocol
(:mod:`taperplan.reference.initiation`) over the patient's regimen: day by day,
sublingual buprenorphine rises from a quarter tablet while the full agonist
continues, then the full agonist stops or is tapered on the day the protocol
says. Both medications are in every step while they overlap, so the calendar,
handout, FHIR and prescriptions show both. Days with the same doses make one
step; each step is of kind :attr:`~taperplan.model.plan.StepKind.CHANGE`.

This is initiation under a clinician, not a taper, whether buprenorphine is for
pain or for opioid use disorder.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs

from taperplan.clinical.adjuncts import suggest_adjuncts
from taperplan.clinical.mme import mme_notices, resolve_factor_set
from taperplan.clinical.safety import regimen_safety_warnings
from taperplan.errors import InitiationOptionError, PlanningError, Problem, RefusedError
from taperplan.model.plan import (
    MedicationDose,
    PlanKind,
    ProtocolRef,
    Substitute,
    TaperPlan,
    total_mme,
)
from taperplan.model.regimen import Regimen
from taperplan.planning import baseline_doses, plan_id, plan_start
from taperplan.reference.initiation import (
    InitiationProduct,
    Protocol,
    bridge_product,
    days_after,
    initiation_product,
    most_a_day,
    protocol,
)
from taperplan.reference.notices import Notice, notice
from taperplan.reference.paces import Basis, Pace
from taperplan.reference.products import FactorSet
from taperplan.switching._days import DayDoses, date_spans, merge_days
from taperplan.switching._doses import Agonists, bup_part, bup_units, patch_part, stopped
from taperplan.units import Quantity, Unit, format_decimal


def _maintenance(value: Quantity | str | None) -> Quantity | None:
    if value is None or isinstance(value, Quantity):
        return value
    try:
        return Quantity.parse(value)
    except ValueError as error:
        raise InitiationOptionError(
            "maintenance",
            [Problem("maintenance", str(error), 'the daily buprenorphine dose, e.g. "12 mg"')],
        ) from None


def _maintenance_problems(maintenance: Quantity, chosen: Protocol) -> list[Problem]:
    """A maintenance dose that is not a daily dose in mg the tablets make, or above the
    ceiling."""
    if maintenance.unit is not Unit.MG or maintenance.amount <= 0:
        return [Problem("maintenance", f"{maintenance} is not a daily dose in mg", 'e.g. "12 mg"')]
    most = most_a_day()
    if maintenance.amount > most:
        return [
            Problem(
                "maintenance",
                f"{maintenance} a day is above {format_decimal(most)} mg, the most any "
                "initiation protocol here gives (WONG-2021)",
                "a daily dose of 32 mg or less, as the prescriber sets it",
            )
        ]
    made_of = initiation_product(chosen.product)
    try:
        bup_units(maintenance, made_of)
    except PlanningError as error:
        return [Problem("maintenance", str(error), "a dose the tablets make, e.g. 12 mg")]
    return []


def _refusals(
    regimen: Regimen, chosen: Protocol, maintenance: Quantity | None, *, supervised: bool
) -> None:
    problems: list[Problem] = []
    for index, medication in enumerate(regimen.medications):
        if medication.drug == "buprenorphine":
            problems.append(
                Problem(
                    f"medication[{index}]",
                    "the regimen already has buprenorphine",
                    "an initiation starts buprenorphine from a full agonist: list only the full agonists",
                )
            )
    if chosen.maintenance_required and maintenance is None:
        problems.append(
            Problem(
                "maintenance",
                f"the {chosen.name} protocol leaves the buprenorphine dose from day "
                f"{chosen.last_day + 1} to the prescriber",
                'give it (maintenance="12 mg", or --maintenance "12 mg"): the daily dose, taken once a day',
            )
        )
    if maintenance is not None:
        problems.extend(_maintenance_problems(maintenance, chosen))
    if problems:
        raise InitiationOptionError("initiation", problems)
    if chosen.supervised_only and not (supervised or regimen.context.supervised):
        raise RefusedError(
            f"the {chosen.name} protocol is for hospital use under close supervision; pass "
            "supervised=True (--supervised) or set context.supervised = true if that is the case, or choose "
            "an outpatient protocol"
        )


def _days(
    chosen: Protocol,
    agonists: Agonists,
    made_of: InitiationProduct,
    added: int,
    daily_after: Quantity | None,
) -> list[DayDoses]:
    """Every day's doses: a patch bridge first where the protocol has one, then the
    protocol's sublingual days, then the dose reached (or the prescriber's) to the first
    review; the full agonists beside them as the protocol says."""
    last = chosen.days[-1]
    after = (
        bup_part(added, daily_after, 1, made_of)
        if daily_after is not None
        else bup_part(added, last.dose, last.times, made_of)
    )
    bridge = chosen.bridge
    ahead = 0 if bridge is None else bridge.days
    patch = None if bridge is None else patch_part(added + 1, bridge.strength)
    not_yet = stopped(bup_part(added, chosen.days[0].dose, chosen.days[0].times, made_of))
    days = []
    note: str | None
    end = max(chosen.last_day, agonists.stop_day or 0) + days_after()
    for number in range(1, ahead + end + 1):
        day = number - ahead
        if day < 1:
            assert patch is not None  # noqa: S101 - only a bridge has days before day 1
            note = "the patch is worn for the first 48 hours, then taken off (low confidence)"
            days.append(DayDoses(agonists.baseline, (not_yet, patch), note))
            continue
        if day <= chosen.last_day:
            today = chosen.days[day - 1]
            bup, note = bup_part(added, today.dose, today.times, made_of), today.note
        else:
            bup, note = after, None
        extra = () if patch is None else (stopped(patch),)
        days.append(DayDoses(agonists.on(day), (bup, *extra), note))
    return days


def _added(chosen: Protocol, made_of: InitiationProduct, added: int) -> tuple[Substitute, ...]:
    """What the plan adds to prescribe: the sublingual product, and a bridge's patch."""
    found = [
        Substitute(
            index=added,
            product=made_of.product,
            strengths=made_of.product.strengths,
            resolution=None,
            replaces=(),
            first_step=0,
        )
    ]
    if chosen.bridge is not None:
        found.append(
            Substitute(
                index=added + 1,
                product=bridge_product(),
                strengths=(chosen.bridge.strength,),
                resolution=None,
                replaces=(),
                first_step=0,
            )
        )
    return tuple(found)


def _pace(chosen: Protocol) -> Pace:
    """The plan's record of how the full agonist comes down."""
    rule = chosen.agonist
    if rule.action == "taper":
        assert rule.percent is not None  # noqa: S101 - a taper rule has both
        assert rule.every_days is not None  # noqa: S101
        return Pace(
            name=chosen.name,
            description=f"{chosen.title}: the full agonist from day {rule.day}, "
            f"{format_decimal(rule.percent)}% of its dose every {rule.every_days} days",
            basis=Basis.ORIGINAL,
            every_days=rule.every_days,
            max_step_fraction=Decimal(1),
            source=rule.source,
            min_step_days=1,
            percent=rule.percent,
            substitute=False,
        )
    return Pace(
        name=chosen.name,
        description=f"{chosen.title}: the full agonist stops on day {rule.day}, "
        "when buprenorphine has reached a dose that covers it",
        basis=Basis.ORIGINAL,
        every_days=1,
        max_step_fraction=Decimal(1),
        source=rule.source,
        min_step_days=1,
        substitute=False,
    )


def _warnings(
    chosen: Protocol,
    regimen: Regimen,
    baseline: tuple[MedicationDose, ...],
    factor_set: FactorSet,
    maintenance: Quantity | None,
) -> tuple[Notice, ...]:
    total = total_mme(baseline)
    found: list[Notice] = [
        attrs.evolve(
            notice("initiation-protocol", protocol=chosen.name, title=chosen.title),
            source=chosen.source,
        ),
        notice("initiation-hold"),
        notice("precipitated-withdrawal"),
    ]
    if chosen.low_confidence:
        found.append(
            attrs.evolve(
                notice("initiation-low-confidence", protocol=chosen.name), source=chosen.source
            )
        )
    if chosen.supervised_only:
        found.append(
            attrs.evolve(
                notice("initiation-supervised", protocol=chosen.name), source=chosen.source
            )
        )
    after = chosen.last_day + 1
    if maintenance is not None:
        found.append(notice("initiation-maintenance", day=after, dose=str(maintenance)))
    else:
        last = chosen.days[-1]
        found.append(
            notice("initiation-after", day=chosen.last_day, dose=str(last.daily), days=days_after())
        )
    reads = tuple((p.drug, p.form, p.mme_per_day is None) for p in baseline)
    found.extend(mme_notices(reads, total, factor_set))
    found.extend(regimen_safety_warnings(regimen, total_mme=total))
    found.extend(regimen.notices)
    return tuple(dict.fromkeys(found))


def plan_buprenorphine_initiation(
    regimen: Regimen,
    protocol_name: str = "vancouver-7d",
    *,
    start: dt.date,
    maintenance: Quantity | str | None = None,
    supervised: bool = False,
    factors: str | FactorSet | None = None,
) -> TaperPlan:
    """Plan a low-dose buprenorphine initiation from ``regimen`` (the full agonists the
    patient takes now) by a published protocol, starting on ``start``.

    Args:
        regimen: the current regimen of full agonists.
        protocol_name: ``vancouver-7d`` (the default), ``jabfm-outpatient``,
            ``rapid-inpatient`` (supervised only) or ``uk-transdermal-bridge``; see
            docs/howto-initiation.md.
        start: day 1 of the protocol; taperplan never reads the clock.
        maintenance: the daily buprenorphine dose after the protocol's last day,
            taken once a day (``"12 mg"``). Required by a protocol that leaves it to
            the prescriber (``jabfm-outpatient``); otherwise the plan continues the
            last day's dose to the first review.
        supervised: the patient is in hospital under close supervision (needed for
            ``rapid-inpatient``).
        factors: the MME factor set for the full agonists (default ``cdc2022``).

    Returns:
        A :class:`TaperPlan` of kind ``initiation``: steps of kind ``change`` with both
        medications while they overlap; the same input always gives the same plan.

    Raises:
        CatalogueError: an unknown protocol, naming those there are.
        InitiationOptionError: the regimen already has buprenorphine, or a needed
            ``maintenance`` dose is missing or not a dose in mg.
        RefusedError: a supervised-only protocol without supervision.
        PlanningError: a start date outside the dates taperplan plans for.
    """
    start = plan_start(start)
    chosen = protocol(protocol_name)
    daily_after = _maintenance(maintenance)
    _refusals(regimen, chosen, daily_after, supervised=supervised)
    factor_set = resolve_factor_set(factors)
    baseline = baseline_doses(regimen, factor_set)
    made_of = initiation_product(chosen.product)
    added = len(regimen.medications)
    days = _days(
        chosen, Agonists(chosen, regimen, baseline, factor_set), made_of, added, daily_after
    )
    pace = _pace(chosen)
    order = f"initiation: {chosen.name}" + (
        "" if daily_after is None else f", then {daily_after} a day"
    )
    identifier = plan_id(regimen, start, pace, order, factor_set.name)
    steps = date_spans(merge_days(days), start, baseline, plan_id=identifier)
    return TaperPlan(
        id=identifier,
        revision=0,
        regimen=regimen,
        pace=pace,
        pace_reason=f"the {chosen.name} protocol's own schedule for the full agonist",
        order=order,
        factor_set=factor_set.name,
        start=start,
        baseline=baseline,
        baseline_total_mme_per_day=total_mme(baseline),
        steps=steps,
        warnings=_warnings(chosen, regimen, baseline, factor_set, daily_after),
        adjuncts=suggest_adjuncts(regimen.context, total_mme=total_mme(baseline)),
        substitutes=_added(chosen, made_of, added),
        kind=PlanKind.INITIATION,
        protocol=ProtocolRef(
            name=chosen.name,
            title=chosen.title,
            source=chosen.source,
            low_confidence=chosen.low_confidence,
        ),
    )
