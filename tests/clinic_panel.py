"""The clinic panel: realistic outpatient regimens (tests/data/clinic/*.toml).

99 regimens of US, UK and Australian shapes — extended- and immediate-release
oxycodone, hydrocodone/acetaminophen, morphine (tablets, capsules, solutions),
tramadol, fentanyl and buprenorphine patches, hydromorphone, tapentadol,
methadone for pain, codeine and its acetaminophen combinations, oxymorphone, and
two- and three-opioid regimens — from 10 to 285 MME/day. Each file says who the
patient is and where its strengths come from; tests/data/clinic/README.md lists them.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

from taperplan import Regimen, load_regimen
from taperplan.reference.paces import presets

FOLDER = Path(__file__).parent / "data" / "clinic"
#: The day every panel regimen is loaded and planned from (the files' dates lie before it).
TODAY = dt.date(2027, 1, 1)


@cache
def panel() -> tuple[tuple[str, Regimen], ...]:
    """Every panel regimen, by file name."""
    return tuple(
        (path.name, load_regimen(path, today=TODAY)) for path in sorted(FOLDER.glob("*.toml"))
    )


def unsupervised_paces() -> tuple[str | None, ...]:
    """The default pace (None) and every preset that needs no supervision."""
    return (None, *(p.name for p in presets() if not p.supervised_only))
