"""The unit of batch work: one regimen in (:class:`BatchItem`), one plan or error out
(:class:`BatchResult`), by the pure function :func:`plan_one`."""

from __future__ import annotations

import datetime as dt
import os
import pickle
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from taperplan._reading import ReadRefused, read_limited
from taperplan.batch._pickling import dumps
from taperplan.errors import TaperplanError
from taperplan.formats.regimen import (
    MAX_FILE_BYTES,
    load_regimen,
    parse_regimen,
    regimen_from_mapping,
)
from taperplan.model.plan import TaperPlan
from taperplan.model.regimen import Regimen
from taperplan.planning import plan_taper

if TYPE_CHECKING:
    from taperplan.reference.paces import Pace

#: What one batch entry may hold: a regimen, a mapping shaped like the regimen
#: file (interfaces.md §1), or the path of a regimen TOML file.
RegimenSource: TypeAlias = "Regimen | Mapping[str, Any] | str | os.PathLike[str]"


def _source_converter(value: object) -> object:
    # Paths pickle, but a plain string is the same on every platform and in a
    # Dask or Spark task; keep mappings and regimens as they are.
    return os.fspath(value) if isinstance(value, os.PathLike) else value


@attrs.frozen
class BatchItem:
    """One entry of a batch: a name, a regimen, and optional overrides.

    Args:
        key: the name of the entry in results and file names (a patient id,
            a file's stem).
        source: a :class:`~taperplan.Regimen`, a mapping shaped like the
            regimen file, or the path of a regimen TOML file (read by the
            worker that plans it).
        start: the day of the first cut for this entry; None: the batch's.
        pace: a pace preset name for this entry; None: the batch's pace, else
            the regimen's ``[pace]``, else the default for its context.
        content: the bytes of the regimen file at ``source``, read ahead
            (:func:`with_content`), so the worker that plans the entry needs
            no access to the file (a cluster); messages still name the path.
    """

    key: str = attrs.field(validator=attrs.validators.instance_of(str))
    source: RegimenSource = attrs.field(converter=_source_converter)
    start: dt.date | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(dt.date))
    )
    pace: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(str))
    )
    content: bytes | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.instance_of(bytes)),
        repr=False,
    )


def with_content(item: BatchItem) -> BatchItem:
    """``item`` with its regimen file's bytes read in, when its source is a path.

    A file that cannot be read is left to the worker, whose error names it
    exactly as planning from the path would.
    """
    if not isinstance(item.source, str) or item.content is not None:
        return item
    try:
        content = read_limited(Path(item.source), MAX_FILE_BYTES)
    except (ReadRefused, OSError, ValueError):
        return item
    return attrs.evolve(item, content=content)


class _Packed:
    """Plans pickled together in a worker (the plans of a chunk share their catalogue
    entries and doses, which are then stored once), unpickled together on the first
    read of any of them.

    ``outgoing`` marks the pack a worker has just made to send its chunk's results
    together: only such a pack is pickled again as a whole. A result received in a pack
    and pickled on its own takes only its own plan along.
    """

    __slots__ = ("data", "outgoing", "plans")

    def __init__(self, data: bytes, plans: list[TaperPlan] | None = None) -> None:
        self.data: bytes | None = data
        self.plans = plans
        self.outgoing = plans is not None

    def load(self) -> list[TaperPlan]:
        """The plans, unpickled on the first call. Safe in several threads: the plans
        are set before the bytes are let go, so a reader that finds no bytes finds the
        plans (at worst two threads unpickle the same bytes, and one's plans are kept)."""
        plans = self.plans
        if plans is None:
            data = self.data
            if data is None:
                plans = self.plans
            else:
                plans = pickle.loads(data)  # noqa: S301 - pickled by BatchResult itself
                self.plans = plans
                self.data = None
        assert plans is not None  # noqa: S101 - set before the bytes are let go
        return plans

    def __reduce__(self) -> tuple[type[_Packed], tuple[bytes]]:
        data = self.data
        return (_Packed, (data if data is not None else dumps(self.load()),))


class _Slot:
    """Where a result's plan is in a :class:`_Packed`."""

    __slots__ = ("index", "packed")

    def __init__(self, packed: _Packed, index: int) -> None:
        self.packed = packed
        self.index = index

    def __reduce__(self) -> tuple[type[_Slot], tuple[_Packed, int]]:
        return (_Slot, (self.packed, self.index))


@attrs.frozen
class BatchResult:
    """The outcome of planning one batch entry: a plan, or why there is none.

    Exactly one of ``plan`` and ``error`` is set. ``error_type`` is the
    exception's class name (``PlanningError``, ``InvalidRegimenError``, ...);
    ``internal`` is true when it is not a :class:`~taperplan.TaperplanError`,
    that is a bug in taperplan to report.

    A result sent from a worker process carries its plan pickled, and unpacks
    it on the first read of :attr:`plan`: the process that gathers a batch
    does not spend its time rebuilding plans nobody reads yet.
    """

    key: str
    start: dt.date
    plan: TaperPlan | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(TaperPlan))
    )
    error: str | None = None
    error_type: str | None = None
    internal: bool = False

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if name == "plan" and type(value) is _Slot:
            value = value.packed.load()[value.index]
            object.__setattr__(self, "plan", value)
        return value

    @staticmethod
    def pack_together(results: list[BatchResult]) -> None:
        """Pack the plans of ``results`` (the results of a worker's chunk) to be pickled as
        one: shared objects are stored once, which takes a sixth less time and about a
        third fewer bytes than packing each plan alone."""
        planned = [r for r in results if type(object.__getattribute__(r, "plan")) is TaperPlan]
        if not planned:
            return
        plans = [object.__getattribute__(r, "plan") for r in planned]
        packed = _Packed(dumps(plans), plans)
        for index, result in enumerate(planned):
            object.__setattr__(result, "plan", _Slot(packed, index))

    @property
    def ok(self) -> bool:
        """Whether the entry was planned."""
        return object.__getattribute__(self, "plan") is not None

    def __getstate__(self) -> dict[str, object]:
        state = {
            field.name: object.__getattribute__(self, field.name)
            for field in attrs.fields(type(self))
        }
        plan = state["plan"]
        if type(plan) is _Slot and not plan.packed.outgoing:
            # A result received in a pack: its own plan alone, not the whole chunk's.
            plan = plan.packed.load()[plan.index]
        if isinstance(plan, TaperPlan):
            plan = _Slot(_Packed(dumps([plan])), 0)
        state["plan"] = plan
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)


def batch_items(regimens: Iterable[BatchItem | RegimenSource]) -> list[BatchItem]:
    """The batch entries for ``regimens``, naming the ones that have no name.

    A :class:`BatchItem` is kept as it is; a path is named by its file stem
    (``clinic/p001.toml`` → ``p001``); a regimen or a mapping by its position
    in the input (``"0"``, ``"1"``, ...).
    """
    items: list[BatchItem] = []
    for index, entry in enumerate(regimens):
        if isinstance(entry, BatchItem):
            items.append(entry)
        elif isinstance(entry, str | os.PathLike):
            items.append(BatchItem(Path(entry).stem, entry))
        else:
            items.append(BatchItem(str(index), entry))
    return items


def _regimen_of(item: BatchItem, today: dt.date | None) -> Regimen:

    source = item.source
    if isinstance(source, Regimen):
        return source
    if isinstance(source, Mapping):
        return regimen_from_mapping(source, today=today, source=item.key)
    if item.content is not None:
        return parse_regimen(item.content, today=today, source=str(Path(source)))
    return load_regimen(source, today=today)


def plan_one(
    item: BatchItem | RegimenSource,
    *,
    start: dt.date,
    pace: Pace | str | None = None,
    today: dt.date | None = None,
) -> BatchResult:
    """Plan one batch entry; never raise for a bad regimen.

    Pure and top-level, so it maps over a process pool or a Dask or Spark
    cluster: the same input always gives the same result.

    Args:
        item: a :class:`BatchItem`, or a regimen source (named as in
            :func:`batch_items`; a regimen or mapping is named ``"0"``).
        start: the day of the first cut, unless the item gives its own.
        pace: a :class:`~taperplan.Pace` or preset name, unless the item
            gives its own; None: the regimen's ``[pace]`` or the default.
        today: the current date, to refuse an ``on_opioids_since`` in the
            future when the regimen is read from a file or a mapping.

    Returns:
        A :class:`BatchResult` with the plan, or with the error's message and
        class name.
    """

    if not isinstance(item, BatchItem):
        item = batch_items([item])[0]
    day = item.start or start
    try:
        regimen = _regimen_of(item, today)
        plan = plan_taper(regimen, start=day, pace=item.pace or pace)
    except TaperplanError as error:
        return BatchResult(item.key, day, error=str(error), error_type=type(error).__name__)
    # One bug must not stop the batch: it is recorded, marked internal, and reported.
    except Exception as error:
        return BatchResult(
            item.key, day, error=str(error), error_type=type(error).__name__, internal=True
        )
    return BatchResult(item.key, day, plan=plan)
