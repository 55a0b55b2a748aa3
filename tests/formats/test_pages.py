"""The patient handout as a patient reads it, the clinician summary, and both as PDF
(issue 12 item 4).

- The handout's prose (its paragraphs and list items) reads at a US grade level of 8
  or less (Flesch-Kincaid, textstat) for the sample and a spread of the clinic panel;
  the figure for each is printed (``pytest -s``) for the closing note.
- The clinician summary holds what the handout leaves out: every step with its notes,
  every warning in full with its code, every suggestion, the prescriptions.
- A PDF is printed by Chromium on A4 or US Letter; without Chromium a clear error.
- Screenshots of the handout, its PDF pages and the summary, and the 80-column table,
  are written to ``build/test-artifacts`` for people to look at.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
import textstat
from test_handout import PRINTED, chromium, run_chromium, sample_plan

from clinic_panel import panel
from support import ARTIFACTS
from taperplan import TaperplanError, plan_taper, prescriptions
from taperplan.cli.main import main
from taperplan.cli.render import render_plan
from taperplan.errors import MissingProgramError
from taperplan.formats import pdf
from taperplan.formats.handout import plan_to_handout
from taperplan.formats.pdf import html_to_pdf
from taperplan.formats.summary import plan_to_summary

__all__ = ["chromium"]  # the fixture, used by name below

START = dt.date(2027, 1, 4)
SAMPLE = str(resources.files("taperplan") / "data" / "sample-regimen.toml")
#: The highest Flesch-Kincaid grade the handout's prose may have (issue 12 item 4).
GRADE = 8


class _Prose(HTMLParser):
    """The page's paragraphs and list items, each as a sentence (tables, the chart, the
    styles and the footer's sources left out)."""

    SKIP = frozenset({"table", "svg", "footer", "style", "caption"})

    def __init__(self) -> None:
        super().__init__()
        self.items: list[str] = []
        self._buffer: list[str] | None = None
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skipping += tag in self.SKIP
        if tag in {"p", "li"} and not self._skipping:
            self._buffer = []

    def handle_endtag(self, tag: str) -> None:
        self._skipping -= tag in self.SKIP
        if tag in {"p", "li"} and self._buffer is not None:
            text = " ".join("".join(self._buffer).split())
            if text:
                self.items.append(text if text[-1] in ".!?:" else f"{text}.")
            self._buffer = None

    def handle_data(self, data: str) -> None:
        if self._buffer is not None and not self._skipping:
            self._buffer.append(data)


def prose(page: str) -> str:
    parser = _Prose()
    parser.feed(page)
    return " ".join(parser.items)


def readability_cases() -> list[tuple[str, object]]:
    regimens = dict(panel())
    chosen = [
        name for name in sorted(regimens) if name[:2] in {"02", "12", "23", "36", "52", "62", "70"}
    ]
    return [(name, regimens[name]) for name in chosen]


@pytest.mark.parametrize(
    ("name", "regimen"), readability_cases(), ids=[n for n, _ in readability_cases()]
)
def test_the_handout_reads_at_grade_8_or_less(name: str, regimen: object) -> None:
    plan = plan_taper(regimen, start=START)  # type: ignore[arg-type]
    text = prose(plan_to_handout(plan, generated_on=PRINTED, chart=False))
    grade = textstat.flesch_kincaid_grade(text)
    ease = textstat.flesch_reading_ease(text)
    print(f"{name}: Flesch-Kincaid grade {grade}, reading ease {ease}, {len(text.split())} words")
    assert len(text.split()) > 500
    assert grade <= GRADE


def test_the_measure_can_fail() -> None:
    """The same measure puts clinician prose above grade 8: the reasons given for the
    non-opioid suggestions, which the clinician summary shows and the handout does not."""
    plan = sample_plan()
    text = " ".join(a.reason for a in plan.adjuncts)
    assert textstat.flesch_kincaid_grade(text) > GRADE


class TestSummary:
    def test_holds_what_the_handout_leaves_out(self) -> None:
        plan = sample_plan()
        page = plan_to_summary(plan, generated_on=PRINTED)
        flat = " ".join(page.split())
        assert page.startswith("<!DOCTYPE html>")
        assert re.findall(r'<tr data-step="([^"]+)"', page) == [s.id for s in plan.steps]
        for warning in plan.warnings:
            assert f'data-code="{warning.code}"' in page
        assert "Risk at 50 to &lt;100 MME/day" in flat
        for adjunct in plan.adjuncts:
            assert f'data-adjunct="{adjunct.key}"' in page
        fills = prescriptions(plan)
        rows = re.findall(r'<tr data-fill="(\d+)">', page)
        assert len(rows) == sum(len(f.items) for f in fills)
        for step in plan.steps:
            for note in step.notes:
                assert f"Step {step.number}: " in page
                assert " ".join(note.replace("'", "&#x27;").split()) in flat
        assert "taperplan is decision support for clinicians" in page
        assert plan_to_summary(plan, generated_on=PRINTED) == page

    def test_the_handout_keeps_none_of_it(self) -> None:
        page = plan_to_handout(sample_plan(), generated_on=PRINTED, chart=False)
        assert "data-code=" not in page
        assert "data-adjunct=" not in page
        assert "Risk at 50" not in page


class TestPdf:
    def test_a4_and_letter(self, chromium: str) -> None:
        from pypdf import PdfReader  # noqa: PLC0415 - a test dependency

        page = plan_to_handout(sample_plan(), generated_on=PRINTED, chart=False)
        sizes = {}
        for paper in ("a4", "letter"):
            data = html_to_pdf(page, paper=paper)
            assert data.startswith(b"%PDF-")
            reader = PdfReader(_bytes_file(data))
            box = reader.pages[0].mediabox
            sizes[paper] = (round(float(box.width)), round(float(box.height)))
            text = " ".join(p.extract_text() for p in reader.pages)
            assert "Your calendar: tick each dose" in text
        assert sizes == {"a4": (595, 842), "letter": (612, 792)}

    def test_without_chromium_a_clear_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(pdf, "find_chromium", lambda: None)
        with pytest.raises(MissingProgramError) as raised:
            html_to_pdf("<html><head></head><body></body></html>")
        assert "needs Chromium" in str(raised.value)
        assert isinstance(raised.value, TaperplanError)

    def test_unknown_paper(self) -> None:
        with pytest.raises(TaperplanError, match="'a4' or 'letter'"):
            html_to_pdf("<html></html>", paper="a5")

    def test_the_cli_writes_pdfs(
        self, chromium: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        argv = ["plan", SAMPLE, "--start", "2027-01-04", "--handout", str(tmp_path / "h.pdf"),
                "--summary", str(tmp_path / "s.pdf"), "--paper", "a4", "--format", "json"]  # fmt: skip
        assert main(argv) == 0, capsys.readouterr().err
        for name in ("h.pdf", "s.pdf"):
            assert (tmp_path / name).read_bytes().startswith(b"%PDF-")


def _bytes_file(data: bytes) -> object:
    import io  # noqa: PLC0415

    return io.BytesIO(data)


def test_screenshots_for_people_to_look_at(chromium: str, tmp_path: Path) -> None:
    """The handout (its first screen and its calendar), its first PDF pages, the summary
    and the 80-column table, kept under build/test-artifacts."""
    import pypdfium2  # noqa: PLC0415 - a test dependency

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    plan = plan_taper(
        dict(panel())["62-fentanyl-25-plus-oxycodone-ir-5-tid-benzo.toml"], start=START
    )
    handout = plan_to_handout(plan, generated_on=PRINTED)
    pages = {
        "handout": handout,
        "summary": plan_to_summary(plan, generated_on=PRINTED),
        "calendar": handout.replace(
            "</head>", "<style>header, main > :not(#calendar) { display: none }</style></head>", 1
        ),
    }
    for name, page in pages.items():
        source = tmp_path / f"{name}.html"
        source.write_text(page, encoding="utf-8")
        target = ARTIFACTS / f"{name}.png"
        run_chromium(
            chromium, tmp_path, f"--screenshot={target}", "--window-size=1000,1400", source.as_uri()
        )
        assert target.read_bytes().startswith(b"\x89PNG")
    document = pypdfium2.PdfDocument(html_to_pdf(handout, paper="letter"))
    for index in range(min(3, len(document))):
        image = document[index].render(scale=1.5).to_pil()
        image.save(ARTIFACTS / f"handout-pdf-page-{index + 1}.png")
        assert image.size[0] > 800
    table = render_plan(plan, width=80)
    (ARTIFACTS / "table-80-columns.txt").write_text(table, encoding="utf-8")
    assert max(len(line) for line in table.splitlines()) <= 80
