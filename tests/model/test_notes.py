"""A step's notes: each starts with its kind (NoteKind), or has none."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from strategies import PlanningCase, plan_or_none, planning_cases
from taperplan.model.plan import NoteKind, note_kind


@given(planning_cases())
def test_every_note_of_a_plan_has_a_kind_or_is_the_window_warning(case: PlanningCase) -> None:
    plan = plan_or_none(case)
    if plan is None:
        return
    for step in plan.steps:
        for note in step.notes:
            assert note_kind(note) is not None or note.startswith("this step ("), note
        assert sum(len(step.notes_of(kind)) for kind in NoteKind) + sum(
            1 for n in step.notes if note_kind(n) is None
        ) == len(step.notes)


@given(st.sampled_from(list(NoteKind)), st.text())
def test_a_note_reads_back_as_its_kind(kind: NoteKind, text: str) -> None:
    assert note_kind(kind.note(text)) is kind


def test_words_that_are_no_kind() -> None:
    assert note_kind("this step (12 days) is shorter than the window") is None
    assert note_kind("later: something") is None
