"""A clinic batch: a CSV of patients in; plans, calendars and a summary table out.

Run:  python examples/clinic_batch.py [OUT_DIR]

Reads examples/data/clinic.csv (one row per patient: ``id``, ``regimen`` (a
TOML file beside the CSV), optional ``start`` and ``pace``), plans every
patient on all cores with :func:`plan_many`, and writes ``<id>.json``,
``<id>.csv``, ``<id>.ics`` and ``summary.csv`` to OUT_DIR (by default a new
temporary folder; an existing file is never overwritten). One patient's
regimen has a typing error on purpose: the batch reports it and plans the
others. ``taperplan batch examples/data/clinic.csv --out DIR`` does the same
from the command line.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
import tempfile
from pathlib import Path

from taperplan import plan_many
from taperplan.batch import SUMMARY_COLUMNS, load_batch, summary_row
from taperplan.formats.csv import plan_to_csv
from taperplan.formats.ics import plan_to_ics
from taperplan.formats.json import plan_to_json

CLINIC = Path(__file__).parent / "data" / "clinic.csv"
#: The first cut for patients whose row gives no start.
START = dt.date(2027, 1, 4)
#: taperplan never reads the clock: the date and the calendars' DTSTAMP are given.
TODAY = dt.date(2026, 11, 24)
DTSTAMP = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def write(path: Path, data: str | bytes) -> None:
    """Write a new file; refuse to replace one ("x" mode)."""
    with path.open("xb") as stream:
        stream.write(data.encode() if isinstance(data, str) else data)


def main(argv: list[str]) -> None:
    """Plan the clinic's patients, write their files and print the summary."""
    out = Path(argv[1]) if len(argv) > 1 else Path(tempfile.mkdtemp(prefix="taperplan-clinic-"))
    out.mkdir(parents=True, exist_ok=True)

    results = plan_many(load_batch(CLINIC), start=START, today=TODAY)  # every core
    rows = []
    for result in results:
        rows.append(summary_row(result))
        plan = result.plan
        if plan is None:
            continue
        write(out / f"{result.key}.json", plan_to_json(plan))
        write(out / f"{result.key}.csv", plan_to_csv(plan))
        write(out / f"{result.key}.ics", plan_to_ics(plan, dtstamp=DTSTAMP))
    with (out / "summary.csv").open("x", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=SUMMARY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)

    print(f"{'id':6}{'status':8}{'pace':16}{'start':12}{'stop':12}{'weeks':>6}{'MME/day':>9}")
    for row in rows:
        line = (
            f"{row['id']:6}{row['status']:8}{row['pace']:16}{row['start']:12}"
            f"{row['stop']:12}{row['weeks']:>6}{row['baseline_mme_per_day']:>9}"
        )
        print(line.rstrip())
    for row in rows:
        if row["status"] != "ok":
            print(f"\n{row['id']} not planned ({row['error_type']}):\n{row['error']}")
    planned = sum(row["status"] == "ok" for row in rows)
    print(f"\n{planned} of {len(rows)} planned; files in {out}")
    print("Decision support for clinicians; not medical advice.")


if __name__ == "__main__":  # needed: the worker processes import this module
    main(sys.argv)
