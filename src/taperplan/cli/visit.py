"""The visit from the command line: ``taperplan pause`` and ``taperplan replan``.

Both read a plan written by ``taperplan plan --json`` (or ``--format json``),
change it as :func:`taperplan.pause` and :func:`taperplan.replan` do, and
deliver the new plan (a higher ``revision``; the same step and calendar UIDs,
so a calendar written with ``--ics`` updates the events already imported) with
the same output options as ``taperplan plan``; its prescriptions (``--format rx``,
``--prescriptions``, the handout's and FHIR's fills) start at the visit. Nothing is
replaced without ``--force``: write the new plan over the old with ``--json PLAN.json
--force``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import click

from taperplan import formats
from taperplan.cli.delivery import Delivery, delivery_options
from taperplan.cli.regimen import read_regimen, refusal
from taperplan.cli.terminal import echo
from taperplan.cli.types import ISO_DATE, Refused, check_pace_option
from taperplan.errors import TaperplanError
from taperplan.model.plan import PlanKind, TaperPlan
from taperplan.planning import pause as pause_plan
from taperplan.planning import replan as replan_plan
from taperplan.switching import hold_day

_PLAN = click.Path(dir_okay=False, path_type=str)
_F = TypeVar("_F", bound=Callable[..., Any])


def _read_plan(path: str) -> TaperPlan:
    try:
        plan: TaperPlan = formats.load_plan(path)
    except TaperplanError as error:
        raise refusal(path, error) from error
    return plan


def _deliver(delivery: Delivery, path: str, plan: TaperPlan, visit: dt.date) -> None:
    """Print and write the new plan; its prescriptions start at the visit."""
    try:
        printed, files = delivery.render(plan, since=visit)
    except TaperplanError as error:
        raise refusal(path, error) from error
    delivery.write(files)
    echo(printed, nl=False)


def _visit_day(what: str) -> Callable[[_F], _F]:
    """``--on YYYY-MM-DD``, required, with ``what`` as its help."""
    return click.option("--on", type=ISO_DATE, required=True, metavar="YYYY-MM-DD", help=what)


@click.command()
@click.argument("plan_file", metavar="PLAN.json", type=_PLAN)
@_visit_day("The day the pause starts (the dose in effect that day is held).")
@click.option(
    "--days",
    type=click.IntRange(min=1, max=365),
    required=True,
    metavar="N",
    help="How many days to hold the dose (1 to 365); everything after moves N days later.",
)
@delivery_options
def pause(plan_file: str, on: dt.datetime, days: int, **options: Any) -> None:
    """Hold the dose of a plan from --on for --days more days.

    PLAN.json is a plan written by `taperplan plan --json` (or by `taperplan
    initiate`: there the day's doses are repeated, 1 to 14 days). The new plan (the
    same steps, later) is printed in --format and written to the file options;
    its revision is one higher, so a calendar written with --ics updates the
    events already imported.

    \b
    Examples:
      taperplan pause plan.json --on 2027-02-10 --days 14
      taperplan pause plan.json --on 2027-02-10 --days 14 --json plan.json --force
      taperplan pause plan.json --on 2027-02-10 --days 14 --json paused.json --ics paused.ics
    """
    delivery = Delivery.of(options)
    plan = _read_plan(plan_file)
    try:
        if plan.kind is PlanKind.INITIATION:
            paused = hold_day(plan, on.date(), days=days)
        else:
            paused = pause_plan(plan, on=on.date(), days=days)
    except TaperplanError as error:
        raise refusal(plan_file, error) from error
    _deliver(delivery, plan_file, paused, on.date())


@click.command()
@click.argument("plan_file", metavar="PLAN.json", type=_PLAN)
@_visit_day("The visit: the new schedule continues from this day.")
@click.option(
    "--regimen",
    "regimen_file",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    metavar="TAKING.toml",
    help="What the patient actually takes now (a regimen file). Default: the plan's doses "
    "the day before --on.",
)
@click.option(
    "--pace",
    default=None,
    metavar="NAME",
    help="A pace preset for the rest of the plan (see `taperplan paces`). Default: the plan's.",
)
@click.option(
    "--substitute/--no-substitute",
    default=None,
    help="Allow (or forbid) a finer product of the same drug, as for `taperplan plan`.",
)
@click.option(
    "--allow-higher-dose",
    is_flag=True,
    help="Re-plan even from doses above the plan's (refused otherwise: tolerance falls within "
    "about a week, and going back up can cause an overdose). The plan then carries a warning.",
)
@delivery_options
def replan(  # click passes every parameter by name
    *,
    plan_file: str,
    on: dt.datetime,
    regimen_file: str | None,
    pace: str | None,
    substitute: bool | None,
    allow_higher_dose: bool,
    **options: Any,
) -> None:
    """Continue a plan from what the patient takes at a visit.

    PLAN.json is a plan written by `taperplan plan --json`. Steps before --on
    stay as they were; from --on a new schedule follows from --regimen (or the
    plan's own doses) at --pace (or the plan's). A regimen above the plan's
    doses is refused unless --allow-higher-dose. The new plan is printed in
    --format and written to the file options, with a revision one higher.

    \b
    Examples:
      taperplan replan plan.json --on 2027-03-01 --pace va-slowest
      taperplan replan plan.json --on 2027-03-01 --regimen taking.toml --json plan.json --force
      taperplan replan plan.json --on 2027-03-01 --json new.json --ics new.ics
    """
    delivery = Delivery.of(options)
    check_pace_option(pace)
    plan = _read_plan(plan_file)
    regimen = None if regimen_file is None else read_regimen(regimen_file)
    try:
        replanned = replan_plan(
            plan,
            on=on.date(),
            regimen=regimen,
            pace=pace,
            substitute=substitute,
            allow_higher_dose=allow_higher_dose,
        )
    except TaperplanError as error:
        refused = refusal(plan_file, error)
        # The library names its argument; the command line names the option.
        message = refused.format_message().replace("allow_higher_dose=True", "--allow-higher-dose")
        raise Refused(message) from error
    _deliver(delivery, plan_file, replanned, on.date())
