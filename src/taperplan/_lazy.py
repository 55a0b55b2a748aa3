"""Names loaded on first use (PEP 562), for the package roots.

``taperplan`` lists where each public name lives; the module is imported
when the name is first read, and the value is then kept in the package's
namespace. Names that moved away (``moved``) still resolve, for one
release, with a :class:`DeprecationWarning` naming their new home; they
are never cached, so every old use is reported.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(
    package: str,
    namespace: dict[str, Any],
    where: Mapping[str, str],
    *,
    moved: Mapping[str, str] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose names in ``where``
    (name → module) load on first use, and whose names in ``moved`` are
    deprecated aliases of the same name in another module."""
    old = moved or {}

    def getattr_(name: str) -> Any:
        module = where.get(name)
        if module is not None:
            value = getattr(importlib.import_module(module), name)
            namespace[name] = value
            return value
        home = old.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        warnings.warn(
            f"{package}.{name} is deprecated and will be removed in the next release; "
            f"import it from {home}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(home), name)

    def dir_() -> list[str]:
        return sorted(set(namespace) | set(where))

    return getattr_, dir_
