"""Helpers shared by the tests: whether this is CI, golden files, the planner's memory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: The tests folder, its data and golden files, and the repository.
TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
GOLDEN = TESTS / "golden"
ROOT = TESTS.parent
#: Where tests keep what people look at (screenshots of the handout and its PDF, the
#: table as printed): ``build/test-artifacts`` unless ``TAPERPLAN_ARTIFACTS`` says.
ARTIFACTS = Path(os.environ.get("TAPERPLAN_ARTIFACTS") or ROOT / "build" / "test-artifacts")


def in_ci() -> bool:
    """Whether ``CI`` is set (then Hypothesis runs its ``ci`` profile, missing
    real clients fail instead of skipping, and golden files are never rewritten)."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def golden_bytes(path: Path, produced: bytes) -> bytes:
    """The reviewed bytes of the golden file ``path``, for comparing with ``produced``.

    With ``TAPERPLAN_UPDATE_GOLDEN=1`` (never in CI) the file is first rewritten
    with ``produced``; review the diff before committing it.
    """
    if os.environ.get("TAPERPLAN_UPDATE_GOLDEN", "") not in {"", "0"}:
        if in_ci():
            pytest.fail("TAPERPLAN_UPDATE_GOLDEN is set in CI: golden files are never rewritten")
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(produced)
    assert path.exists(), f"{path} is missing: run with TAPERPLAN_UPDATE_GOLDEN=1 to write it"
    return path.read_bytes()


def forget_shared_memory() -> None:
    """Empty everything the planner shares between plans (families, doses, moves,
    layouts, units made): the private knob the cold benchmark uses."""
    from taperplan.planning import _doses, _families  # noqa: PLC0415 - private knobs, only here

    _families.forget_all()
    _doses.forget_all()


#: Tapentadol IR three times a day, whose later steps take doses on alternate days
#: (tests/data/tapentadol-tid.toml; several export tests plan it).
TAPENTADOL_TID = (DATA / "tapentadol-tid.toml").read_text(encoding="utf-8")
