"""The plans the taper operations accept: tapers only."""

from __future__ import annotations

from taperplan.errors import PlanningError
from taperplan.model.plan import PlanKind, TaperPlan


def not_a_taper(plan: TaperPlan, operation: str) -> None:
    """Refuse ``operation`` (pause, replan) on a plan that is not a taper.

    Raises:
        PlanningError: naming what to use instead.
    """
    if plan.kind is PlanKind.TAPER:
        return
    instead = (
        "repeat a day with taperplan.switching.hold_day (taperplan pause does so)"
        if plan.kind is PlanKind.INITIATION
        else "plan it again"
    )
    what = plan.kind.value
    article = "an" if what[0] in "aeiou" else "a"
    msg = f"{operation} works on a taper, and this is {article} {what} plan: {instead}"
    raise PlanningError(msg)
