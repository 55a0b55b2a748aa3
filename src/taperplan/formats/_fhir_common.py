"""What the FHIR export's resources share: the code systems, name-based ids, exact
numbers and the generated narrative (see :mod:`taperplan.formats.fhir`)."""

from __future__ import annotations

import html
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from taperplan.errors import FHIRExportError
from taperplan.units import Unit

#: The namespace of every UUID this export makes (itself a name-based UUID).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/taperplan/taperplan#fhir")

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
#: The identifier system for identifiers that are themselves URIs (``urn:uuid:``).
URI_SYSTEM = "urn:ietf:rfc:3986"

#: UCUM codes (case-sensitive) for taperplan's units; "mcg" is "ug" in UCUM.
UCUM_CODES: Mapping[Unit, str] = {
    Unit.MG: "mg",
    Unit.MCG: "ug",
    Unit.ML: "mL",
    Unit.MG_PER_ML: "mg/mL",
    Unit.MCG_PER_H: "ug/h",
}

_XHTML = "http://www.w3.org/1999/xhtml"


def urn(name: str) -> tuple[str, str]:
    """The id and the ``urn:uuid:`` URL for ``name``."""
    value = str(uuid.uuid5(NAMESPACE, name))
    return value, f"urn:uuid:{value}"


def json_number(value: Decimal) -> int | float:
    """An exact amount as a JSON number: an int when whole, else a float.

    Raises:
        FHIRExportError: when no float reads back as the same decimal (more
            than 15 significant digits); no taperplan amount comes near that.
    """
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    if Decimal(repr(number)) != value:
        raise FHIRExportError(
            f"amount {value} cannot be written exactly as a JSON number; "
            "round it to at most 15 significant digits"
        )
    return number


def narrative(title: str, texts: list[str], notes: list[str]) -> dict[str, Any]:
    items = "".join(f"<li>{html.escape(text, quote=False)}</li>" for text in texts)
    listing = f"<ul>{items}</ul>" if items else ""
    paragraphs = "".join(f"<p>{html.escape(note, quote=False)}</p>" for note in notes)
    div = (
        f'<div xmlns="{_XHTML}"><p><b>{html.escape(title, quote=False)}</b></p>'
        f"{listing}{paragraphs}</div>"
    )
    return {"status": "generated", "div": div}
