"""Draw docs/_static/methadone-tables.svg: the methadone mg/day each table gives for a
daily dose of oral morphine, before the cross-tolerance cut.

Run:  python docs/figures/methadone_tables.py [OUT.svg]
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

from taperplan.errors import NotApplicableError
from taperplan.reference.rotation import table_names, to_methadone

OUT = Path(__file__).resolve().parents[1] / "_static" / "methadone-tables.svg"
#: Daily oral morphine drawn, mg (every 2 mg from 10 to 1,200).
DOSES = range(10, 1201, 2)


def series(name: str) -> tuple[list[int], list[float]]:
    """The table's methadone mg/day at each dose (NaN where it gives no number)."""
    values = []
    for mg in DOSES:
        try:
            values.append(float(to_methadone(Decimal(mg), name).amount))
        except NotApplicableError:
            values.append(float("nan"))
    return list(DOSES), values


def main(out: Path) -> None:
    import matplotlib  # noqa: PLC0415 - an optional extra, for this script only

    matplotlib.use("svg")
    matplotlib.rcParams["svg.hashsalt"] = "taperplan"
    import matplotlib.pyplot as plt  # noqa: PLC0415

    figure, axes = plt.subplots(figsize=(8, 4.5))
    for name in table_names("methadone"):
        doses, values = series(name)
        axes.plot(doses, values, label=name, gid=f"table-{name}", linewidth=1.5)
    axes.set_xlabel("Oral morphine, mg/day")
    axes.set_ylabel("Methadone, mg/day (before the cut)")
    axes.set_title("Methadone by table: the same patient, four answers")
    axes.grid(visible=True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(out, format="svg", metadata={"Date": None})
    plt.close(figure)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
