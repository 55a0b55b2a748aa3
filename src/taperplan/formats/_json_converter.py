"""The cattrs converter between plans and their JSON documents (``taperplan.plan/1``).

Leaves have their own hooks (:mod:`taperplan.formats._json_leaves`) and the
regimen is written in the regimen file's shape (:mod:`taperplan.formats._json_regimen`).
A class whose document is its fields in order (a notice, a caution, a
withdrawal window; an adjunct when read) goes through cattrs' generated
functions. Every other class of a plan has a shape, declared in
:mod:`taperplan.formats._json_shapes`, and one hook factory each way applies it:

* where the keys are the class's attributes and properties in another order,
  some renamed (a step, a pace, a unit), cattrs generates the functions
  (``make_dict_unstructure_fn_from_attrs`` and ``make_dict_structure_fn_from_attrs``
  with ``override(rename=...)``);
* where a key holds a part of a value (a quantity's amount and unit) or the plan
  checks keys against each other (a dose, a medication's doses, a substitute,
  the plan itself), the writer takes each key's value from its attribute and
  unstructures it with the converter's hook for its type, and the reader
  structures each key with the converter's hook, keeps every problem as
  cattrs' detailed validation does (a ``ClassValidationError`` whose exceptions
  carry an ``AttributeValidationNote`` naming the key), and then runs the
  checks across keys on whatever could be read. cattrs' generated function
  would stop before such checks when any key is wrong; this one reports every
  problem of a hand-edited plan at once.

:func:`taperplan.formats._json_problems.problems` turns the errors into the
problems of :class:`~taperplan.errors.InvalidPlanDataError`. This module imports
cattrs; :mod:`taperplan.formats.json` imports it on the first conversion only.
"""

from __future__ import annotations

import operator
import typing
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import attrs
import cattrs
from cattrs.errors import AttributeValidationNote, BaseValidationError, ClassValidationError
from cattrs.fns import identity
from cattrs.gen import (
    make_dict_structure_fn,
    make_dict_structure_fn_from_attrs,
    make_dict_unstructure_fn,
    make_dict_unstructure_fn_from_attrs,
    override,
)

from taperplan.clinical.adjuncts import adjunct_to_dict
from taperplan.errors import InvalidPlanDataError
from taperplan.formats._json_leaves import object_hook, register_leaves
from taperplan.formats._json_problems import FieldError, not_an_object, problems
from taperplan.formats._json_regimen import regimen_document, structure_regimen
from taperplan.formats._json_shapes import SHAPES, Shape
from taperplan.model.advice import Adjunct, Caution, WithdrawalWindow
from taperplan.model.plan import TaperPlan
from taperplan.model.regimen import Regimen
from taperplan.reference.notices import Notice

#: Classes whose document is their fields in order: cattrs' own generated functions.
_PLAIN = (Notice, Caution, Adjunct, WithdrawalWindow)


@cache
def converter() -> cattrs.Converter:
    """The cattrs converter between plans and their JSON documents.

    ``converter().unstructure(plan)`` is the plan's document with exact
    ``Decimal`` numbers; ``converter().structure(data, TaperPlan)`` rebuilds a
    plan, raising cattrs' validation errors with every problem.
    """
    conv = cattrs.Converter(detailed_validation=True, forbid_extra_keys=False)

    register_leaves(conv)

    # The regimen, in the regimen file's shape.
    conv.register_unstructure_hook(Regimen, regimen_document)
    conv.register_structure_hook(Regimen, structure_regimen)

    # The plan's objects. An adjunct is written as taperplan.adjunct_to_dict has it
    # (with its "avoid"); the other plain classes are their fields.
    for plain in _PLAIN:
        conv.register_unstructure_hook(plain, make_dict_unstructure_fn(plain, conv))
        conv.register_structure_hook(plain, object_hook(make_dict_structure_fn(plain, conv)))
    conv.register_unstructure_hook(Adjunct, adjunct_to_dict)
    conv.register_unstructure_hook_factory(_has_shape, lambda cl: _writer(conv, cl))
    conv.register_structure_hook_factory(_has_shape, lambda cl: _reader(conv, cl))
    return conv


def structure_plan(data: Mapping[str, Any], source: str) -> TaperPlan:
    """The plan of a document (:func:`taperplan.formats.json.plan_from_dict`).

    Raises:
        InvalidPlanDataError: every problem, by path, with its fix.
    """
    try:
        plan: TaperPlan = converter().structure(data, TaperPlan)
    except (BaseValidationError, FieldError) as error:
        raise InvalidPlanDataError(source, tuple(dict.fromkeys(problems(error)))) from None
    return plan


# -- the shapes ----------------------------------------------------------------------


def _has_shape(kind: Any) -> bool:
    return kind in SHAPES


def _writer(conv: cattrs.Converter, cl: type) -> Callable[[Any], dict[str, Any]]:
    """The function that writes an instance of ``cl`` as its shape says: cattrs'
    generated function where each key is an attribute or a property of ``cl``
    (in the shape's order, renamed by cattrs' overrides), else :func:`_shape_writer`."""
    shape = SHAPES[cl]
    if shape.complete is not None or any(
        callable(key.write) or "." in key.name or "." in (key.write or key.attr)
        for key in shape.keys
    ):
        return _shape_writer(conv, cl, shape)
    attrs.resolve_types(cl)
    fields = attrs.fields_dict(cl)
    written = []
    renames: dict[str, Any] = {}  # cattrs' overrides, by attribute
    for key in shape.keys:
        name = typing.cast("str", key.write or key.attr)
        written.append(fields[name] if name in fields else _property_field(cl, name))
        if key.name != name:
            renames[name] = override(rename=key.name)
    return make_dict_unstructure_fn_from_attrs(written, cl, conv, **renames)


def _property_field(cl: type, name: str) -> attrs.Attribute[Any]:
    """An attribute standing for the property ``name`` of ``cl``, for cattrs to write."""
    made = attrs.make_class(f"{cl.__name__}Property", {name: attrs.field(type=_type_at(cl, name))})
    field: attrs.Attribute[Any] = attrs.fields_dict(made)[name]
    return field


def _shape_writer(
    conv: cattrs.Converter, cl: type, shape: Shape
) -> Callable[[Any], dict[str, Any]]:
    """The function that writes an instance of ``cl`` as its shape says, with the
    converter's hook for each key's type."""
    names = [key.name for key in shape.keys]
    paths: list[str] = []  # the attributes written, in the keys' order
    made: list[tuple[int, Callable[[Any], Any]]] = []  # (position, function of the instance)
    hooks: list[tuple[int, Callable[[Any], Any]]] = []  # (position, unstructure hook)
    for position, key in enumerate(shape.keys):
        if callable(key.write):
            made.append((position, key.write))
            continue
        path = key.write or key.attr
        paths.append(path)
        hook = conv.get_unstructure_hook(_type_at(cl, path))
        if hook is not identity:
            hooks.append((position, hook))
    get_all = operator.attrgetter(*paths)
    # Keys of objects inside this one ("pace.reason"): (outer, inner); else (key, "").
    nested = None
    if any("." in name for name in names):
        nested = [(outer, inner) for outer, _, inner in (name.partition(".") for name in names)]
    complete = shape.complete

    def write(instance: Any) -> dict[str, Any]:
        values = list(get_all(instance))
        for position, make in made:
            values.insert(position, make(instance))
        for position, hook in hooks:
            values[position] = hook(values[position])
        if nested is None:
            document = dict(zip(names, values, strict=True))
        else:
            document = {}
            for (outer, inner), value in zip(nested, values, strict=True):
                if inner:
                    document.setdefault(outer, {})[inner] = value
                else:
                    document[outer] = value
        if complete is not None:
            complete(instance, document)
        return document

    return write


#: A key that is not there (None is a value).
_MISSING = object()

_Row = tuple[
    str, str, str, Any, Callable[[Any, Any], Any] | None, Callable[[Any], None] | None, bool
]


def _reader(conv: cattrs.Converter, cl: type) -> Callable[[object, Any], Any]:
    """The function that reads an instance of ``cl`` as its shape says: cattrs'
    generated function (with detailed validation) where every key read is the
    attribute of its name, else :func:`_shape_reader`."""
    shape = SHAPES[cl]
    if (
        shape.checks
        or shape.finish is not None
        or any(
            key.check is not None
            or (key.read and (key.name != key.attr or "." in key.name or key.required is not None))
            for key in shape.keys
        )
    ):
        return _shape_reader(conv, cl, shape)
    attrs.resolve_types(cl)
    fields = attrs.fields_dict(cl)
    read = [fields[key.attr] for key in shape.keys if key.read]
    return object_hook(make_dict_structure_fn_from_attrs(read, cl, conv))


def _shape_reader(conv: cattrs.Converter, cl: type, shape: Shape) -> Callable[[object, Any], Any]:
    """The function that reads an instance of ``cl`` as its shape says, keeping
    every problem as cattrs' detailed validation does, and checking across keys
    whatever could be read."""
    fields = attrs.fields_dict(cl)
    # Per key: its name, the object it is in ("" for this one), its key there, its
    # type and hook (None: only checked as given), its check, and whether it must be there.
    rows: list[_Row] = []
    wholes: list[tuple[str, str]] = []  # (key, attribute)
    parts_of: dict[str, list[tuple[str, str]]] = {}  # attribute: [(key, part of it)]
    for key in shape.keys:
        outer, _, inner = key.name.rpartition(".")
        head, _, part = key.attr.partition(".")
        if not key.read:
            if key.check is not None:  # checked as given, missing or not
                rows.append((key.name, outer, inner, None, None, key.check, True))
            continue
        kind = _type_at(cl, key.attr)
        required = key.required
        if required is None:
            required = part != "" or fields[head].default is attrs.NOTHING
        hook = conv.get_structure_hook(kind)
        rows.append((key.name, outer, inner, kind, hook, key.check, required))
        if part:
            parts_of.setdefault(head, []).append((key.name, part))
        else:
            wholes.append((key.name, head))
    parts = [(head, _type_at(cl, head), members) for head, members in parts_of.items()]
    # Where every key read is its attribute's name, the values read are the attributes.
    renamed = bool(parts) or any(key != head for key, head in wholes)
    read_keys = {row[0] for row in rows}
    name = cl.__name__

    def read(data: object, _: Any) -> Any:
        if not isinstance(data, Mapping):
            raise not_an_object(data)
        values: dict[str, Any] = {}
        errors: list[Exception] = []
        objects: dict[str, Mapping[str, Any] | None] = {}
        for key, outer, inner, kind, hook, check, required in rows:
            where: Mapping[str, Any] | None = data
            if outer:  # a key of an object inside this one
                if outer not in objects:
                    # Not said again where that object was read itself, and was wrong.
                    said = outer in read_keys and outer not in values
                    objects[outer] = _object_at(data, outer, errors, name, said=said)
                where = objects[outer]
            if where is None:
                continue
            given = where.get(inner, _MISSING)
            try:
                if hook is None:  # a key only checked, as given
                    if check is not None:
                        check(None if given is _MISSING else given)
                    continue
                if given is _MISSING:
                    if required:
                        raise KeyError(inner)  # noqa: TRY301 - kept with the others below
                    continue
                value = hook(given, kind)
                if check is not None:
                    check(value)
            except Exception as error:  # every problem is kept, with its key (KeyError: missing)
                errors.append(_noted(error, key, kind, name))
                continue
            values[key] = value
        for across in shape.checks:
            for problem in across(values, data):
                found = FieldError(problem.message, problem.fix)
                errors.append(_noted(found, problem.path, None, name))
        if errors:
            raise ClassValidationError(f"While structuring {name}", errors, cl)
        attributes = values
        if renamed:
            attributes = {head: values[key] for key, head in wholes if key in values}
        for head, made_of, members in parts:
            held = {part: values[key] for key, part in members}
            if head not in attributes:  # a value in parts: the amount and unit of a quantity
                attributes[head] = made_of(**held)
            elif any(getattr(attributes[head], part) != v for part, v in held.items()):
                attributes[head] = attrs.evolve(attributes[head], **held)
        if shape.finish is not None:
            shape.finish(attributes)
        try:
            return cl(**attributes)
        except Exception as error:  # the class's own validators (an empty id)
            raise ClassValidationError(f"While structuring {name}", [error], cl) from None

    return read


def _object_at(
    data: Mapping[str, Any], key: str, errors: list[Exception], name: str, *, said: bool
) -> Mapping[str, Any] | None:
    """The object at ``key`` that holds other keys, or None after a problem
    (added to ``errors`` unless it was ``said`` already)."""
    value = data.get(key)
    if isinstance(value, Mapping):
        return value
    if not said:
        problem = KeyError(key) if key not in data else not_an_object(value)
        errors.append(_noted(problem, key, None, name))
    return None


def _noted(error: Exception, path: str, kind: Any, name: str) -> Exception:
    error.add_note(
        AttributeValidationNote(f"Structuring class {name} @ attribute {path}", path, kind)
    )
    return error


@cache
def _hints(cl: type) -> dict[str, Any]:
    return typing.get_type_hints(cl)


def _type_at(cl: type, path: str) -> Any:
    """The type of attribute (or property) ``path`` (``a.b.c``) of ``cl``."""
    kind: Any = cl
    for name in path.split("."):
        hints = _hints(kind)
        # An attribute, or else a property (its getter's return type).
        kind = hints[name] if name in hints else _hints(getattr(kind, name).fget)["return"]
    return kind
