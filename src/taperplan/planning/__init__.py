"""The taper planner: from a regimen to a dated plan that never drops abruptly.

The rules it keeps are interfaces.md §4 and §4a (docs/planning.md explains
them with their sources). Modules, in the order data flows:

- :mod:`._dispensable`: the amounts a product can give, and a drug's finer
  products;
- :mod:`._family`: one drug's lanes and the moves they allow;
- :mod:`._families`: the families every plan shares, in a bounded memory;
- :mod:`._lanes`: a regimen's lanes (one product at one dose time) and the
  integer measure of its totals;
- :mod:`._measure`: what a move is, measured against the plan's pace;
- :mod:`._order`: the taper order, which drug's products a cut comes from;
- :mod:`._moves`: the dispensable next steps from a state, preferred first;
- :mod:`._search`: the depth-first search to the stop, and each step's length;
- :mod:`._doses`: the doses of a state in real units, shared by every plan;
- :mod:`._build`: the steps of the chosen moves, their notes and substitutes;
- :mod:`._dating`: dates, withdrawal windows and check-ins of the steps;
- :mod:`._planner`: :func:`plan_taper`, its warnings and its refusals;
- :mod:`._pause`: :func:`pause`, holding a dose for some days more;
- :mod:`._visit`: where a re-plan starts, and from what the patient takes;
- :mod:`._merge`: a re-plan's new steps fitted into the plan they continue;
- :mod:`._replan`: :func:`replan` from what the patient actually takes.
"""

from __future__ import annotations

from taperplan.planning._dispensable import substitute_unit_set as product_unit_set
from taperplan.planning._order import TaperOrder
from taperplan.planning._pause import pause
from taperplan.planning._planner import (
    FIRST_START,
    LAST_START,
    baseline_doses,
    plan_id,
    plan_start,
    plan_taper,
)
from taperplan.planning._replan import replan

__all__ = [
    "FIRST_START",
    "LAST_START",
    "TaperOrder",
    "baseline_doses",
    "pause",
    "plan_id",
    "plan_start",
    "plan_taper",
    "product_unit_set",
    "replan",
]
