"""Using taperplan from another app: a request handler any web framework can wrap.

Run:  python examples/library_from_app.py

``plan_request`` takes a parsed JSON body (a regimen in the regimen file's
shape, a start date, optionally a pace preset and ``substitute``) and the app's
own "today", and returns an HTTP status and a JSON-ready body: the plan and its
warnings, every problem of a bad regimen with its path and fix (400), or why a
plan cannot be made (422: where planning stopped, a fix the planner checked, and
the safety warnings). The script runs it on four requests and prints the
responses. Nothing is written to disk. See docs/howto-library.md.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

from taperplan import (
    InvalidRegimenError,
    PlanningError,
    RefusedError,
    TaperplanError,
    plan_taper,
    regimen_from_mapping,
    regimen_mme,
)
from taperplan.formats.json import mme_to_dict, notice_to_dict, plan_to_dict

REGIMEN: dict[str, Any] = {
    "timezone": "Europe/London",
    "context": {"on_opioids_since": "2020-06-15", "age": 67},
    "medication": [
        {
            "drug": "morphine",
            "form": "er_tablet",
            "strength": "30 mg",
            "dose": "30 mg",
            "times": ["08:00", "20:00"],
        },
        {
            "drug": "morphine",
            "form": "ir_tablet",
            "strength": "15 mg",
            "dose": "7.5 mg",
            "times": ["14:00"],
        },
    ],
}
#: The app's clock, read once at its edge; taperplan itself never reads it.
TODAY = dt.date(2026, 12, 1)


def plan_request(body: dict[str, Any], today: dt.date) -> tuple[int, dict[str, Any]]:
    """Plan the regimen in ``body``; return an HTTP status and a JSON-ready body."""
    try:
        regimen = regimen_from_mapping(body["regimen"], today=today, source="regimen")
        start = dt.date.fromisoformat(body["start"])
        plan = plan_taper(
            regimen, start=start, pace=body.get("pace"), substitute=body.get("substitute")
        )
    except InvalidRegimenError as error:  # before TaperplanError: it is one
        problems = [{"path": p.path, "message": p.message, "fix": p.fix} for p in error.problems]
        return 400, {"problems": problems}
    except PlanningError as error:  # where planning stopped, a checked fix, the safety warnings
        stopped = error.stopped_at
        return 422, {
            "error": str(error),
            "stopped_at": None
            if stopped is None
            else {"steps": stopped.steps, "doses": stopped.doses},
            "fix": error.fix,
            "warnings": [notice_to_dict(notice) for notice in error.warnings],
        }
    except RefusedError as error:
        return 422, {"error": str(error)}
    except TaperplanError as error:  # any other refusal, with its field and fix
        return 400, {"error": str(error)}
    except (KeyError, TypeError, ValueError) as error:  # the request itself is malformed
        return 400, {"error": f"bad request: {error!r}"}
    return 200, {
        "mme": mme_to_dict(regimen_mme(regimen)),
        "plan": plan_to_dict(plan),
        "warnings": [notice_to_dict(notice) for notice in plan.warnings],
    }


def summary(status: int, body: dict[str, Any]) -> str:
    """A few lines about a response."""
    if status == 200:
        plan = body["plan"]
        steps = plan["steps"]
        lines = [
            f"{status}: {body['mme']['total_mme_per_day']} MME/day now; pace "
            f"{plan['pace']['name']}; {len(steps)} steps from {steps[0]['start']} to the stop "
            f"on {steps[-1]['start']}",
            "  warnings: " + ", ".join(w["code"] for w in body["warnings"]),
            f"  {len(json.dumps(body))} characters of JSON",
        ]
        return "\n".join(lines)
    if "problems" in body:
        lines = [f"{status}: {len(body['problems'])} problems"]
        lines += [f"  {p['path']}: {p['message']} (fix: {p['fix']})" for p in body["problems"]]
        return "\n".join(lines)
    if "fix" in body:
        stopped = body["stopped_at"]
        lines = [f"{status}: no plan"]
        if stopped is not None:
            lines.append(f"  stopped after {stopped['steps']} steps, at {stopped['doses']}")
        lines.append(f"  fix: {body['fix']}")
        lines.append("  warnings: " + ", ".join(w["code"] for w in body["warnings"]))
        return "\n".join(lines)
    return f"{status}: {body['error']}"


def main() -> None:
    """Send four requests through the handler and print the responses."""
    good = {"regimen": REGIMEN, "start": "2027-01-04", "pace": "etg-long"}
    print("A regimen at the Australian pace for 3 months' use or more:")
    print(summary(*plan_request(good, TODAY)))

    print("\nThe same at the default pace for long-term use (CDC, 10% a month):")
    print(summary(*plan_request({"regimen": REGIMEN, "start": "2027-01-04"}, TODAY)))

    print("\nThe same without an immediate-release tablet or oral solution to take over:")
    refused = {"regimen": REGIMEN, "start": "2027-01-04", "substitute": False}
    print(summary(*plan_request(refused, TODAY)))

    bad = copy.deepcopy(REGIMEN)
    bad["medication"][0]["drug"] = "morfine"
    bad["medication"][1]["times"] = ["2pm"]
    bad["context"]["on_opioids_since"] = "2027-06-01"
    print("\nA form with three mistakes (all reported at once):")
    print(summary(*plan_request({"regimen": bad, "start": "2027-01-04"}, TODAY)))

    print("\nDecision support for clinicians; not medical advice. A prescriber reviews every plan.")


if __name__ == "__main__":
    main()
