"""The batch workers' pickler: the same objects back from any ``pickle.loads``, faster."""

from __future__ import annotations

import copyreg
import datetime as dt
import pickle
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings

from strategies import PlanningCase, plan_or_none, planning_cases, regimens
from taperplan import Regimen, StepKind
from taperplan.batch import _pickling
from taperplan.batch._pickling import _dumps, _Probe, _Table, _tuples_accepted, dumps
from taperplan.batch.items import BatchResult

STANDARD = pickle.HIGHEST_PROTOCOL


def _same_back(value: object) -> object:
    copy = pickle.loads(dumps(value))  # noqa: S301 - made just above
    assert copy == value
    return copy


@settings(max_examples=min(settings.default.max_examples, 60))
@given(planning_cases())
def test_a_plan_comes_back_equal_and_smaller(case: PlanningCase) -> None:
    """Any plan (and its regimen) comes back equal, hashes alike, and takes fewer bytes
    than with the standard pickler: the fast reducers are in use."""
    plan = plan_or_none(case)
    if plan is None:
        return
    copy = _same_back(plan)
    assert hash(copy.regimen.medications[0].product) == hash(plan.regimen.medications[0].product)
    assert len(dumps(plan)) < len(pickle.dumps(plan, protocol=STANDARD))


@given(regimens())
def test_a_regimen_comes_back_equal(regimen: Regimen) -> None:
    _same_back(regimen)


def test_types_it_does_not_speed_up_pickle_as_the_standard_pickler_does_them() -> None:
    """Decimals, dates, enum members and classes, a result that packs its own plan, and
    a type registered with ``copyreg`` after first use: the standard pickler's bytes."""
    register_later = _Later(3)
    dumps(register_later)  # met before ``_Later`` is registered with copyreg
    copyreg.pickle(_Later, _reduce_later)
    try:
        values: list[Any] = [
            Decimal("2.5"),
            dt.date(2027, 1, 4),
            StepKind.CUT,
            StepKind,
            BatchResult(key="p1", start=dt.date(2027, 1, 4), error="no", error_type="X"),
            register_later,
        ]
        for value in values:
            assert dumps(value) == pickle.dumps(value, protocol=STANDARD)
        assert pickle.loads(dumps(register_later)).value == 4  # noqa: S301 - its reducer adds one
    finally:
        del copyreg.dispatch_table[_Later]


def test_a_type_own_reducer_is_called_directly_unless_an_instance_can_have_its_own() -> None:
    """Decimals and dates are reduced by their own ``__reduce__`` without the detour
    through ``object.__reduce_ex__`` (the same bytes, as above); an object with a
    ``__dict__`` may carry a ``__reduce__`` of its own, which the standard way finds."""
    table = _Table(copyreg.dispatch_table, fast=True)
    assert table[Decimal] is Decimal.__reduce__
    assert table[dt.date] is dt.date.__reduce__
    odd = _WithDict(1)
    odd.__reduce__ = lambda: (int, (7,))  # type: ignore[method-assign]
    assert _dumps(odd, table) == pickle.dumps(odd, protocol=STANDARD)
    assert pickle.loads(_dumps(odd, table)) == 7  # noqa: S301 - made just above


class _WithDict:
    def __init__(self, value: int) -> None:
        self.value = value

    def __reduce__(self) -> tuple[type[_WithDict], tuple[int]]:
        return (_WithDict, (self.value,))


def test_attrs_classes_that_only_the_standard_way_rebuilds_pickle_that_way() -> None:
    """An attrs class with a built-in base (a dict keeps its items outside attrs' state)
    or its own ``__new__`` pickles as the standard pickler does it, and comes back whole."""
    tagged = _Tagged("x")
    tagged["k"] = 1
    interned = _Interned("a")
    for value in (tagged, interned):
        assert dumps(value) == pickle.dumps(value, protocol=STANDARD)
    assert dict(pickle.loads(dumps(tagged))) == {"k": 1}  # noqa: S301 - made just above
    assert pickle.loads(dumps(interned)) == interned  # noqa: S301 - made just above


def test_without_tuples_every_class_pickles_the_standard_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An attrs that no longer rebuilds an object from a tuple of its fields is found on
    first use, and then attrs classes pickle as they do without the table."""
    assert _tuples_accepted()

    def dict_only(self: _Probe, state: object) -> None:
        assert isinstance(state, dict)
        for name, value in state.items():
            object.__setattr__(self, name, value)

    monkeypatch.setattr(_Probe, "__setstate__", dict_only)
    assert not _tuples_accepted()
    monkeypatch.setattr(_pickling, "_table", None)
    pair = _Pair(1, "two")
    assert dumps(pair) == pickle.dumps(pair, protocol=STANDARD)
    # The fast way, for comparison: a tuple of the fields, not a dictionary.
    assert _dumps(pair, _Table(copyreg.dispatch_table, fast=True)) != dumps(pair)


@attrs.define(eq=False)
class _Tagged(dict[str, int]):
    tag: str


@attrs.frozen
class _Interned:
    name: str

    def __new__(cls, name: str | None = None) -> _Interned:
        if name is None:
            raise TypeError("an _Interned needs its name")
        return super().__new__(cls)

    def __getnewargs__(self) -> tuple[str]:
        return (self.name,)


@attrs.frozen
class _Pair:
    first: int
    second: str


@attrs.define
class _Later:
    value: int


def _reduce_later(later: _Later) -> tuple[type[_Later], tuple[int]]:
    return _Later, (later.value + 1,)
