"""The documentation builds without warnings, its examples run, and the tutorial works as written."""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import taperplan
import taperplan.export
from support import in_ci
from taperplan import parse_regimen
from taperplan._data import data_text
from taperplan.reference.paces import pace_from_mapping

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
#: Hand-written pages (not the generated fragments or the build output).
PAGES = [
    ROOT / "README.md",
    *sorted(
        page for page in DOCS.rglob("*.md") if not page.relative_to(DOCS).parts[0].startswith("_")
    ),
]
TUTORIAL = DOCS / "tutorial.md"

_HAS_SPHINX = all(importlib.util.find_spec(name) for name in ("sphinx", "myst_parser", "furo"))
_IN_CI = in_ci()


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


@pytest.mark.skipif(
    not _HAS_SPHINX and not _IN_CI, reason='needs the docs extra: pip install ".[docs]"'
)
def test_docs_build_without_warnings(tmp_path: Path) -> None:
    """Sphinx builds the HTML docs with warnings treated as errors (in CI it must be installed)."""
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
    for page in ("catalogue", "tutorial", "schema", "adjuncts", "invariants", "limitations"):
        assert (tmp_path / "html" / f"{page}.html").is_file(), page
    # The generated tables made it into the pages.
    adjuncts = (tmp_path / "html" / "adjuncts.html").read_text(encoding="utf-8")
    assert "loperamide" in adjuncts
    schema = (tmp_path / "html" / "schema.html").read_text(encoding="utf-8")
    assert "withdrawal_window" in schema
    # The API reference is rendered, not shown as reST text (autodoc writes reST, which
    # a MyST directive would print as it is).
    api = (tmp_path / "html" / "api.html").read_text(encoding="utf-8")
    assert ".. py:" not in api
    assert api.count('class="py function"') >= 40
    assert 'id="taperplan.plan_taper"' in api


def test_examples_are_found() -> None:
    """The README, the regimen-file page, the tutorial and the how-to guides contain Python
    examples to run."""
    names = {name for _, name in (param.values for param in EXAMPLES)}
    assert {"README.md", "docs/regimen-file.md", "docs/tutorial.md"} <= names
    assert sum(name.startswith("docs/howto-") for name in names) >= 6


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


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(text, id=f"{_name(page)}-{index}")
        for page in PAGES
        for index, text in enumerate(_blocks("toml", page))
        if "[pace]" in text and "[[medication]]" not in text
    ],
)
def test_toml_pace_example_is_valid(text: str) -> None:
    """A `[pace]` table shown on its own in the docs is a valid pace."""
    pace_from_mapping(tomllib.loads(text)["pace"])


def test_api_page_covers_the_public_names() -> None:
    """Every name in ``taperplan.__all__`` has an entry on the API page under ``taperplan``."""
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\.\. auto\w+:: taperplan\.(\w+)$", text, re.MULTILINE))
    missing = sorted(set(taperplan.__all__) - documented - {"__version__"})
    assert not missing, f"add these to docs/api.md: {', '.join(missing)}"


def test_api_page_documents_moved_names_at_their_new_home() -> None:
    """Every name that moved out of the root or ``taperplan.export`` has an entry on the
    API page under its new module, and none under its deprecated path."""
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    # autodoc entries are reST (an eval-rst block); a hand-written one is a MyST directive.
    entry = r"^(?:\.\. auto\w+:: |```\{py:\w+\} )"
    documented = set(re.findall(entry + r"(taperplan[\w.]*\.\w+)", text, re.MULTILINE))
    moved = {**taperplan._MOVED, **taperplan.export._MOVED}
    missing = sorted(
        f"{home}.{name}"
        for name, home in moved.items()
        if f"{home}.{name}" not in documented and f"taperplan.{name}" not in documented
    )
    assert not missing, f"add these to docs/api.md: {', '.join(missing)}"
    old = sorted(
        path
        for path in documented
        if path.startswith("taperplan.export.")
        or (path.count(".") == 1 and path.split(".")[1] in taperplan._MOVED)
    )
    assert not old, f"document these under their new home: {', '.join(old)}"


def test_example_scripts_named_in_the_docs_exist() -> None:
    """Every ``examples/*.py`` a page names is in the repository."""
    named = {
        match
        for page in PAGES
        for match in re.findall(r"examples/(\w+\.py)", page.read_text(encoding="utf-8"))
    }
    assert named, "the docs name no example scripts"
    missing = sorted(name for name in named if not (ROOT / "examples" / name).is_file())
    assert not missing, f"named in the docs but missing from examples/: {missing}"


# -- the tutorial, run as a reader would ------------------------------------------------------


def _commands(page: Path) -> list[str]:
    """The ``taperplan ...`` command lines of a page's ```sh blocks, in order (a line ending in
    a backslash continues on the next)."""
    return [
        line
        for block in _blocks("sh", page)
        for line in block.replace("\\\n", " ").splitlines()
        if line.startswith("taperplan ")
    ]


def _shown_output(page: Path) -> list[str]:
    """The lines of a page's ```text blocks (the output it shows), without elisions."""
    return [
        line.strip()
        for block in _blocks("text", page)
        for line in block.splitlines()
        if line.strip() and not line.strip().startswith(("...", "…"))
    ]


def _run_command(command: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """Run a ``taperplan ...`` line of the docs in ``folder``, as a reader types it."""
    cli = f"{shlex.quote(sys.executable)} -m taperplan.cli.main"
    return subprocess.run(  # noqa: S602 - the docs' own commands, as a reader types them
        cli + command.removeprefix("taperplan"),
        shell=True,
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_tutorial_commands_run_and_print_what_it_shows(tmp_path: Path) -> None:
    """Every command of the tutorial runs, in order, on the tutorial's own regimen file: each exits
    0, the files it names are written, and every output line the tutorial shows is printed."""
    (regimen,) = [text for text in _blocks("toml", TUTORIAL) if "[[medication]]" in text]
    (tmp_path / "regimen.toml").write_text(regimen, encoding="utf-8")
    commands = _commands(TUTORIAL)
    assert len(commands) >= 4
    printed: set[str] = set()
    for command in commands:
        result = _run_command(command, tmp_path)
        assert result.returncode == 0, f"{command}\n{result.stderr}"
        printed |= {line.strip() for line in (result.stdout + result.stderr).splitlines()}
    for name in ("plan.ics", "plan.html", "plan.json", "plan.fhir.json"):
        assert (tmp_path / name).stat().st_size > 0, name
    shown = _shown_output(TUTORIAL)
    assert len(shown) >= 10
    missing = [line for line in shown if line not in printed]
    assert not missing, f"the tutorial shows lines the commands do not print: {missing}"


@pytest.mark.parametrize("page", ["howto-pause-and-replan.md", "howto-prescriptions.md"])
def test_howto_commands_run(page: str, tmp_path: Path) -> None:
    """Every ``taperplan`` command of a how-to guide runs, in order, next to the sample
    regimen.toml and the plan.json the guide starts from, and exits 0."""
    (tmp_path / "regimen.toml").write_text(_sample_regimen(), encoding="utf-8")
    commands = _commands(DOCS / page)
    assert len(commands) >= 2
    for command in commands:
        result = _run_command(command, tmp_path)
        assert result.returncode == 0, f"{command}\n{result.stderr}"


def test_the_methadone_chart_draws_every_table(tmp_path: Path) -> None:
    """docs/figures/methadone_tables.py draws one line per methadone table, and the
    chart the docs show has the same lines."""
    from taperplan.reference.rotation import table_names  # noqa: PLC0415

    out = tmp_path / "chart.svg"
    subprocess.run(
        [sys.executable, str(DOCS / "figures" / "methadone_tables.py"), str(out)], check=True
    )
    shown = (DOCS / "_static" / "methadone-tables.svg").read_text(encoding="utf-8")
    for name in table_names("methadone"):
        assert f'id="table-{name}"' in out.read_text(encoding="utf-8")
        assert f'id="table-{name}"' in shown
