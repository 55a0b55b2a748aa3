"""The documentation builds without warnings, and its examples run."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import taperplan
from taperplan import parse_regimen
from taperplan._data import data_text

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]

_HAS_SPHINX = all(importlib.util.find_spec(name) for name in ("sphinx", "myst_parser", "furo"))


def _blocks(language: str, page: Path) -> list[str]:
    """The bodies of the ```language fenced blocks of a Markdown page."""
    fence = re.compile(rf"^```{language}[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
    return fence.findall(page.read_text(encoding="utf-8"))


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


EXAMPLES = [
    pytest.param(code, _name(page), id=f"{_name(page)}-{index}")
    for page in PAGES
    for index, code in enumerate(_blocks("python", page))
]


def _sample_regimen() -> str:
    """The packaged sample regimen (interfaces.md §1) without its heading comment."""
    lines = data_text("sample-regimen.toml").splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "".join(lines)


@pytest.mark.skipif(not _HAS_SPHINX, reason='needs the docs extra: pip install ".[docs]"')
def test_docs_build_without_warnings(tmp_path: Path) -> None:
    """Sphinx builds the HTML docs with warnings treated as errors."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "html" / "catalogue.html").is_file()


def test_examples_are_found() -> None:
    """The README and the regimen-file page each contain Python examples to run."""
    names = {name for _, name in (param.values for param in EXAMPLES)}
    assert {"README.md", "docs/regimen-file.md"} <= names


@pytest.mark.parametrize(("code", "name"), EXAMPLES)
def test_example_runs(
    code: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Python example from the README or the docs runs, next to the sample regimen.toml."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "regimen.toml").write_text(_sample_regimen(), encoding="utf-8")
    # The examples are the project's own documentation, not untrusted input.
    exec(compile(code, name, "exec"), {"__name__": "__example__"})  # noqa: S102


def test_regimen_file_page_shows_the_packaged_sample() -> None:
    """The sample on the regimen-file page is the one `taperplan demo` uses."""
    assert _blocks("toml", DOCS / "regimen-file.md")[0] == _sample_regimen()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(text, id=f"{_name(page)}-{index}")
        for page in PAGES
        for index, text in enumerate(_blocks("toml", page))
        if "[[medication]]" in text
    ],
)
def test_toml_regimen_example_loads(text: str) -> None:
    """A complete TOML regimen shown in the README or the docs loads without problems."""
    regimen = parse_regimen(text)
    assert regimen.medications


def test_api_page_covers_the_public_names() -> None:
    """Every name in ``taperplan.__all__`` has an entry on the API page."""
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^```\{auto\w+\} taperplan\.(\w+)", text, re.MULTILINE))
    missing = sorted(set(taperplan.__all__) - documented - {"__version__"})
    assert not missing, f"add these to docs/api.md: {', '.join(missing)}"
