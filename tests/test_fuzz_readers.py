"""Fuzz tests of every reader of outside input (issue 15): regimen files, symptom logs,
batch CSVs and plan JSON.

Each reader gets raw bytes, a valid file damaged byte by byte, and structured garbage
(TOML-shaped and JSON-shaped trees of known and random keys with hostile values, CSV rows
of hostile cells). Whatever it is given, a reader returns a value or raises a
``TaperplanError`` with a message; any other exception is a bug. The strategies are in
tests/strategies.py (section 9).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from strategies import (
    LOG_KEYS,
    batch_csv_texts,
    file_bytes,
    garbage_trees,
    hostile_texts,
    json_values,
    log_csv_texts,
    log_toml_trees,
    mutated_bytes,
    mutated_trees,
    toml_text,
)
from support import DATA
from taperplan import TaperplanError, load_log, load_regimen, parse_regimen
from taperplan.batch.inputs import load_batch, parse_batch_csv
from taperplan.formats.json import plan_from_dict, plan_from_json
from taperplan.formats.logs import parse_log_csv, parse_log_toml

TODAY = dt.date(2027, 1, 1)
HOSTILE = DATA / "hostile"
SAMPLE_REGIMEN = (DATA.parent.parent / "src/taperplan/data/sample-regimen.toml").read_bytes()
TWO_OPIOIDS = sorted((DATA / "clinic").glob("*.toml"))[-1].read_bytes()
PLAN_TEXT = (HOSTILE / "plan.json").read_bytes()
PLAN = json.loads(PLAN_TEXT)
LOG_CSV = (
    b"date,scale,total,pain,pain_site,notes\n"
    b"2027-01-03,cows,2,3,knee,before\n"
    b"2027-01-08,cows,14,7,knee,after the cut\n"
)
LOG_TOML = (
    b'[[entry]]\ndate = 2027-01-03\nscale = "cows"\ntotal = 2\npain = 3\n'
    b'[[entry]]\ndate = 2027-01-08\nscale = "sows"\nitems = { anxious = 2 }\n'
)
BATCH_CSV = b"id,regimen,start,pace\np1,a.toml,2027-01-04,va-slower\np2,b.toml,,\n"
REGIMEN_KEYS = ("medication", "pace", "context", "timezone", "drug", "form", "strength", "dose")

#: Hypothesis runs these with a temporary folder of its own per example.
FUZZ = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def only_clean_errors(read: Callable[[], object]) -> None:
    """``read()`` returns, or raises a TaperplanError with a message; nothing else."""
    message = "(returned)"
    try:
        read()
    except TaperplanError as error:
        message = str(error)
    assert message.strip()


@contextmanager
def a_file(name: str, data: bytes) -> Iterator[Path]:
    """``data`` in a file called ``name``, in a folder of its own."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        yield path


# -- regimen files -----------------------------------------------------------------------------


class TestRegimen:
    @FUZZ
    @given(file_bytes())
    @example(b"[[medication]]\n" * 3000)
    @example(b"a = " + b"[" * 5000 + b"]" * 5000)
    def test_raw_bytes(self, data: bytes) -> None:
        with a_file("regimen.toml", data) as path:
            only_clean_errors(lambda: load_regimen(path, today=TODAY))

    @FUZZ
    @given(st.one_of(mutated_bytes(SAMPLE_REGIMEN), mutated_bytes(TWO_OPIOIDS)))
    def test_a_damaged_file(self, data: bytes) -> None:
        only_clean_errors(lambda: parse_regimen(data, today=TODAY))

    @FUZZ
    @given(st.dictionaries(st.sampled_from(REGIMEN_KEYS), garbage_trees(REGIMEN_KEYS), max_size=5))
    def test_toml_shaped_garbage(self, tree: dict[str, Any]) -> None:
        only_clean_errors(lambda: parse_regimen(toml_text(tree), today=TODAY))


# -- symptom logs ------------------------------------------------------------------------------


class TestLog:
    @FUZZ
    @given(file_bytes(), st.sampled_from(["log.csv", "log.toml"]))
    def test_raw_bytes(self, data: bytes, name: str) -> None:
        with a_file(name, data) as path:
            only_clean_errors(lambda: load_log(path))

    @FUZZ
    @given(st.one_of(mutated_bytes(LOG_CSV).map(lambda d: ("log.csv", d)),
                     mutated_bytes(LOG_TOML).map(lambda d: ("log.toml", d))))  # fmt: skip
    def test_a_damaged_file(self, named: tuple[str, bytes]) -> None:
        with a_file(*named) as path:
            only_clean_errors(lambda: load_log(path))

    @FUZZ
    @given(log_csv_texts())
    def test_csv_of_hostile_cells(self, text: str) -> None:
        only_clean_errors(lambda: parse_log_csv(text))

    @FUZZ
    @given(log_toml_trees())
    def test_toml_shaped_garbage(self, tree: dict[str, Any]) -> None:
        only_clean_errors(lambda: parse_log_toml(toml_text(tree)))


# -- batch lists -------------------------------------------------------------------------------


class TestBatch:
    @FUZZ
    @given(file_bytes())
    def test_raw_bytes(self, data: bytes) -> None:
        with a_file("batch.csv", data) as path:
            only_clean_errors(lambda: load_batch(path))

    @FUZZ
    @given(mutated_bytes(BATCH_CSV))
    def test_a_damaged_file(self, data: bytes) -> None:
        with a_file("batch.csv", data) as path:
            only_clean_errors(lambda: load_batch(path))

    @FUZZ
    @given(batch_csv_texts())
    def test_csv_of_hostile_cells(self, text: str) -> None:
        only_clean_errors(lambda: parse_batch_csv(text, base=os.devnull))


# -- plan JSON ---------------------------------------------------------------------------------


class TestPlan:
    @FUZZ
    @given(file_bytes())
    @example(b"[" * 100_000 + b"]" * 100_000)
    @example(b'{"schema": "taperplan.plan/1", "revision": 1e400}')
    @example(b"1" * 5000)
    def test_raw_bytes(self, data: bytes) -> None:
        only_clean_errors(lambda: plan_from_json(data))

    @FUZZ
    @given(mutated_bytes(PLAN_TEXT))
    def test_a_damaged_file(self, data: bytes) -> None:
        only_clean_errors(lambda: plan_from_json(data))

    @FUZZ
    @given(mutated_trees(PLAN, st.one_of(json_values(), hostile_texts())))
    def test_json_shaped_garbage(self, tree: dict[str, Any]) -> None:
        """A valid plan with values replaced by any JSON (NaN and infinities included),
        as text."""
        only_clean_errors(lambda: plan_from_json(json.dumps(tree)))

    @FUZZ
    @given(mutated_trees(PLAN))
    def test_garbage_in_a_mapping(self, tree: dict[str, Any]) -> None:
        """The same through ``plan_from_dict``, where values need not be JSON's (dates,
        times, huge integers)."""
        only_clean_errors(lambda: plan_from_dict(tree))


@pytest.mark.parametrize("key", LOG_KEYS)
def test_a_log_key_alone_is_read_or_refused(key: str) -> None:
    """Each known key of a log, with a hostile value, in both formats (a quick sweep that
    does not depend on what Hypothesis draws)."""
    for value in ("\x1b]0;x\x07", "1e400", "\u00b2", ""):
        toml = toml_text({"entry": [{key: value}]})
        only_clean_errors(lambda toml=toml: parse_log_toml(toml))
        text = f"date,{key}\n2027-01-10,{value}\n"
        only_clean_errors(lambda text=text: parse_log_csv(text))


class TestFound:
    """What the fuzz tests found, each kept as a test of its own."""

    @pytest.mark.parametrize("text", ["\r\x00", "date\rscale\r", 'date,notes\n2027-01-10,"a\rb"\n'])
    def test_a_carriage_return_in_a_csv_log(self, text: str) -> None:
        """A bare carriage return made the csv module raise ``_csv.Error`` ("new-line
        character seen in unquoted field"): exit 1, an internal error."""
        only_clean_errors(lambda: parse_log_csv(text))
