"""The planner's date arguments (issue 12 item 5): a date given as text, a datetime or
nothing is an ``InvalidArgumentError`` (a ``TaperplanError``) naming the argument and the
fix, never an AttributeError or a TypeError from inside the planner."""

from __future__ import annotations

import datetime as dt
from importlib import resources

import pytest

from taperplan import (
    InvalidArgumentError,
    TaperplanError,
    load_regimen,
    pause,
    plan_taper,
    regimen_from_mapping,
    replan,
)

SAMPLE = str(resources.files("taperplan") / "data" / "sample-regimen.toml")
START = dt.date(2027, 1, 4)

BAD = [
    ("2027-01-04", "not text (for text, pass datetime.date.fromisoformat('2027-01-04'))"),
    (dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC), "not a datetime"),
    (None, "must be a datetime.date"),
    (20270104, "not a whole number"),
]


@pytest.mark.parametrize(("value", "words"), BAD)
def test_plan_taper_start(value: object, words: str) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        plan_taper(load_regimen(SAMPLE), start=value)  # type: ignore[arg-type]
    assert str(raised.value).startswith("start must be a datetime.date")
    assert words in str(raised.value)
    assert isinstance(raised.value, TaperplanError)
    assert isinstance(raised.value, TypeError)


@pytest.mark.parametrize(("value", "words"), BAD)
def test_pause_and_replan_on(value: object, words: str) -> None:
    plan = plan_taper(load_regimen(SAMPLE), start=START)
    for change in (lambda: pause(plan, on=value, days=7), lambda: replan(plan, on=value)):  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError) as raised:
            change()
        assert str(raised.value).startswith("on must be a datetime.date")
        assert words in str(raised.value)


def test_a_start_before_on_opioids_since_is_warned_about() -> None:
    """The dates disagree: the plan warns, and the default pace is the slower long-term one
    (never "on opioids -420 days")."""
    regimen = regimen_from_mapping(
        {
            "timezone": "America/New_York",
            "context": {"on_opioids_since": "2028-03-01"},
            "medication": [
                {
                    "drug": "oxycodone",
                    "form": "er_tablet",
                    "strength": "20 mg",
                    "dose": "20 mg",
                    "times": ["08:00", "20:00"],
                }
            ],
        }
    )
    plan = plan_taper(regimen, start=START)
    assert "start-before-opioids" in {w.code for w in plan.warnings}
    assert plan.pace.name == "cdc-long-term"
    assert "days" not in plan.pace_reason
    assert "is after the start 2027-01-04" in plan.pace_reason


def test_pages_check_their_date_too() -> None:
    """The handout and the summary take the printed date as a date, like the planner."""
    from taperplan.formats.handout import plan_to_handout  # noqa: PLC0415
    from taperplan.formats.summary import plan_to_summary  # noqa: PLC0415

    plan = plan_taper(load_regimen(SAMPLE), start=START)
    for page in (plan_to_handout, plan_to_summary):
        with pytest.raises(InvalidArgumentError, match=r"generated_on must be a datetime\.date"):
            page(plan, generated_on="2027-01-01")  # type: ignore[operator]


def test_combination_tablets_over_4_g_in_a_step_are_warned_about() -> None:
    """Percocet 30 mg four times a day is 3.9 g of acetaminophen; a cut that takes more
    lower-strength tablets goes above 4 g in a step: the plan warns, naming the step."""
    regimen = regimen_from_mapping(
        {
            "timezone": "America/New_York",
            "medication": [
                {"drug": "Percocet", "form": "ir_tablet", "strength": "10 mg", "dose": "30 mg",
                 "times": ["06:00", "12:00", "18:00", "23:00"]}
            ],
        }
    )  # fmt: skip
    plan = plan_taper(regimen, start=START)
    (warning,) = [w for w in plan.warnings if w.code == "acetaminophen-over-4g-in-steps"]
    assert "in step 1" in warning.message
    assert "acetaminophen-over-4g" not in {w.code for w in regimen.notices}
