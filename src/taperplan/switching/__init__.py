"""Plans that are not tapers: moving a patient from full agonists to another drug.

- :mod:`.rotation`: :func:`plan_rotation`, a switch to another opioid by named
  conversion tables (:mod:`._target`: the new product and its dose);
- :mod:`.initiation`: :func:`plan_buprenorphine_initiation`, a low-dose
  buprenorphine initiation by a published protocol;
- :mod:`._days`: the days of such a plan and the steps they make;
- :mod:`.redating`: :func:`hold_day`, repeating a day of an initiation (a
  withdrawal hold or a missed dose), never jumping ahead.
"""

from __future__ import annotations

from taperplan.switching.initiation import plan_buprenorphine_initiation
from taperplan.switching.redating import hold_day
from taperplan.switching.rotation import plan_rotation

__all__ = ["hold_day", "plan_buprenorphine_initiation", "plan_rotation"]
