"""Symptom review: read a symptom log against a plan and act on the flags.

Run:  python examples/symptom_review.py

Plans the sample regimen (oxycodone ER 20 mg twice a day, va-slower), reads
six weeks of a fictitious symptom log (withdrawal scores, pain, yes/no signs)
and reviews it on 10 February 2027. Each flag names its rule, the log entries
behind it and its source; the pause flag previews what a pause would do to
the dates, and the clinician's pause is then applied to the plan. Nothing is
written to disk. See docs/howto-symptom-review.md and docs/review.md.
"""

from __future__ import annotations

import datetime as dt
import json

from taperplan import LogEntry, Review, pause, plan_taper, regimen_from_mapping, review
from taperplan.formats.logs import parse_log_csv
from taperplan.formats.review_json import review_to_dict
from taperplan.reviewing.scales import score_cows

REGIMEN = {
    "timezone": "America/New_York",
    "context": {"on_opioids_since": "2021-03-01"},
    "medication": [
        {
            "drug": "oxycodone",
            "form": "er_tablet",
            "strength": "20 mg",
            "dose": "20 mg",
            "times": ["08:00", "20:00"],
        }
    ],
    "pace": {"preset": "va-slower"},
}
#: The log as a clinic keeps it (empty cells: not recorded). The first cut is on 4 January,
#: the second on 1 February.
LOG = """\
date,scale,total,pain,pain_site,pain_spread,allodynia,craving,loss_of_control,notes
2027-01-02,cows,2,4,low back,no,no,no,no,before the first cut
2027-01-07,cows,9,6,low back,no,no,no,no,"yawning, runny nose"
2027-01-20,cows,3,4,low back,,,no,,settled
2027-01-29,sows,6,4,low back,,,,,before the second cut
2027-02-03,sows,19,5,low back,,,,,"sweats, aching, poor sleep"
2027-02-06,,,5,low back and legs,yes,,,,pain spreading down both legs
"""
#: taperplan never reads the clock: the day the regimen is checked against, and the start.
TODAY = dt.date(2026, 12, 20)
START = dt.date(2027, 1, 4)
REVIEW_ON = dt.date(2027, 2, 10)


def show(result: Review) -> None:
    """Print the review: every flag with its evidence, preview and source."""
    print(f"review on {result.on}: {result.entries} entries, {len(result.flags)} flags")
    for number, flag in enumerate(result.flags, start=1):
        print(f"\n{number}. [{flag.kind}] {flag.rule} (step {flag.step_id})")
        print(f"   {flag.message}")
        for evidence in flag.evidence:
            print(f"   evidence: {evidence.day}  {evidence.finding}")
        preview = flag.pause_preview
        if preview is not None:
            print(
                f"   a pause from {preview.on} for {preview.days} days would move the next cut "
                f"{preview.next_cut_now} -> {preview.next_cut_paused} and the stop "
                f"{preview.stop_now} -> {preview.stop_paused}"
            )
        print(f"   source: {', '.join((flag.source, *flag.also))}")
    for note in result.notes:
        print(f"\nnote: {note.message}")


def main() -> None:
    """Plan, review the log, and apply the pause the clinician chooses."""
    plan = plan_taper(regimen_from_mapping(REGIMEN, today=TODAY), start=START)
    log = list(parse_log_csv(LOG, source="log.csv"))

    # At the clinic on 10 February the clinician scores COWS item by item; only legal
    # scores are accepted, and the result goes into the log as it is.
    cows = score_cows(
        pulse=1,
        sweating=2,
        restlessness=3,
        pupils=2,
        bone_joint_aches=2,
        runny_nose_tearing=1,
        gi_upset=1,
        tremor=0,
        yawning=1,
        anxiety_irritability=1,
        gooseflesh=0,
    )
    print(
        f"COWS on {REVIEW_ON}: {cows.total} of 48 ({cows.band.label if cows.band else 'no band'})"
    )
    log.append(LogEntry(day=REVIEW_ON, scale=cows, pain=5, pain_site="low back"))

    result = review(plan, log, on=REVIEW_ON)
    show(result)

    pauses = result.of_kind("pause")
    if pauses and pauses[0].pause_preview is not None:
        preview = pauses[0].pause_preview
        paused = pause(plan, on=preview.on, days=preview.days)
        print(
            f"\nThe clinician pauses from {preview.on} for {preview.days} days: revision "
            f"{paused.revision}, stop moves from {plan.stop_date} to {paused.stop_date}."
        )
        again = review(paused, log, on=REVIEW_ON)
        print(f"Reviewed against the paused plan: {len(again.flags)} flags.")

    document = review_to_dict(result)
    print(f"\nJSON for other programs: schema {document['schema']}, ", end="")
    print(f"{len(json.dumps(document))} characters")
    print("Decision support for clinicians; not medical advice and not a diagnosis.")


if __name__ == "__main__":
    main()
