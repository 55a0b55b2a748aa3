"""The drug families shared by every plan: a bounded, process-wide memory.

A :class:`~._family.DrugFamily` depends only on its :class:`~._family.FamilyKey`,
so plans of regimens with the same products share one and find its moves
already worked out. The memory is bounded twice: in families kept (the least
recently used goes) and in states they remember in all (the least recently
used half forget theirs), so a long-running process keeps a steady memory.
"""

from __future__ import annotations

import threading

from taperplan.planning._family import DrugFamily, FamilyKey

_FAMILIES: dict[FamilyKey, DrugFamily] = {}
_LOCK = threading.RLock()
_CALLS = [0]
#: Families kept, and entries remembered in all (states, links, exceptions and
#: nearest moves); past these, the least recently used half forget theirs, so a
#: long-running process keeps a steady memory. 400,000 entries: the benchmark's peak
#: resident memory stays about 205 MB after 3,000 random plans and the clinic panel.
MAX_FAMILIES = 512
MAX_STATES = 400_000


def family(key: FamilyKey, top: int) -> DrugFamily:
    """The shared family of ``key``, its menus covering ``top`` atoms."""
    with _LOCK:
        known = _FAMILIES.pop(key, None)
        if known is None:
            known = DrugFamily(key)
            if len(_FAMILIES) >= MAX_FAMILIES:
                # The least recently used family goes, with what it remembers.
                _FAMILIES.pop(next(iter(_FAMILIES))).forget()
        _FAMILIES[key] = known
        _keep_bounded()
        known.cover(top)
    return known


def current(fam: DrugFamily) -> bool:
    """Whether ``fam`` is still the shared family of its key (then it counts as just
    used); a layout kept from before must not use a family that was let go, whose
    states would then be remembered outside the bound."""
    with _LOCK:
        if _FAMILIES.get(fam.key) is not fam:
            return False
        _FAMILIES[fam.key] = _FAMILIES.pop(fam.key)
        _keep_bounded()
    return True


def _keep_bounded() -> None:
    """Every 64 uses, the least recently used half of the families forget their states
    if all of them remember more than :data:`MAX_STATES` (call with the lock held)."""
    _CALLS[0] += 1
    if _CALLS[0] % 64 == 0 and sum(f.size() for f in _FAMILIES.values()) > MAX_STATES:
        families = list(_FAMILIES.values())
        for old in families[: len(families) // 2]:
            old.forget()


def forget_all() -> None:
    """Empty the shared memory (for benchmarks of plans with nothing shared)."""
    with _LOCK:
        _FAMILIES.clear()
