"""The public root: every name loads, lazily, and type checkers see the same names."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import taperplan

INIT = Path(taperplan.__file__)


def _type_checking_imports() -> dict[str, set[str]]:
    """``{module: names}`` imported under ``if TYPE_CHECKING:`` in ``__init__.py``."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for item in node.body:
                assert isinstance(item, ast.ImportFrom)
                assert item.module is not None
                found.setdefault(item.module, set()).update(a.name for a in item.names)
    return found


def test_lazy_table_matches_what_type_checkers_see() -> None:
    lazy = {module: set(names) for module, names in taperplan._MODULES.items()}
    assert lazy == _type_checking_imports()


def test_every_public_name_resolves_to_its_module() -> None:
    for name in taperplan.__all__:
        value = getattr(taperplan, name)
        module = taperplan._LAZY.get(name)
        if module is not None:
            assert value is getattr(importlib.import_module(module), name), name
    assert set(taperplan._LAZY) <= set(taperplan.__all__)
    assert sorted(dir(taperplan)) == sorted(set(dir(taperplan)))


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = taperplan.no_such_name  # type: ignore[attr-defined]


def test_import_loads_no_planner_code() -> None:
    """``import taperplan`` stays cheap: the planner and its data load on first use."""
    code = (
        "import sys, taperplan; print(sorted(m for m in sys.modules if m.startswith('taperplan')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(ast.literal_eval(out))
    assert loaded == {"taperplan", "taperplan.errors", "taperplan._lazy", "taperplan._version"}


def test_the_cli_loads_only_what_a_command_needs(tmp_path: Path) -> None:
    """``taperplan plan --format csv`` loads no exporter it does not use, no other
    command's module, and no optional library (start-up time)."""
    regimen = Path(taperplan.__file__).parent / "data" / "sample-regimen.toml"
    code = (
        "import sys\n"
        "from taperplan.cli.main import main\n"
        f"main(['plan', {str(regimen)!r}, '--start', '2027-01-04', '--format', 'csv'])\n"
        "print(sorted(sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    loaded = set(ast.literal_eval(result.stderr.strip().splitlines()[-1]))
    for heavy in (
        "cattrs",
        "icalendar",
        "jinja2",
        "matplotlib",
        "rich",
        "taperplan.cli.batch",
        "taperplan.cli.clinical",
        "taperplan.formats.files",
        "taperplan.formats.ics",
        "taperplan.formats.fhir",
        "taperplan.formats.handout",
    ):
        assert heavy not in loaded, heavy
    assert "taperplan.formats.csv" in loaded


def test_the_root_is_small() -> None:
    """About 40 names: the pipeline's verbs, the values a caller holds, the errors."""
    assert len(taperplan.__all__) <= 50


@pytest.mark.parametrize("package", ["taperplan", "taperplan.export"])
def test_moved_names_still_work_for_one_release_with_a_warning(package: str) -> None:
    module = importlib.import_module(package)
    for name, home in module._MOVED.items():
        with pytest.warns(DeprecationWarning, match=rf"{package}\.{name} .* import it from {home}"):
            value = getattr(module, name)
        assert value is getattr(importlib.import_module(home), name), name


#: Libraries that only some commands need; none loads to list the commands.
HEAVY = ("cattrs", "dateutil", "icalendar", "matplotlib", "rich", "tomllib")


@pytest.mark.parametrize(
    ("argv", "environment"),
    [
        (["--help"], {}),
        # Completing a command name lists every command with its summary.
        (
            [],
            {"_TAPERPLAN_COMPLETE": "bash_complete", "COMP_WORDS": "taperplan ", "COMP_CWORD": "1"},
        ),
    ],
    ids=["help", "completion"],
)
def test_listing_the_commands_imports_none_of_them(
    argv: list[str], environment: dict[str, str], tmp_path: Path
) -> None:
    """``taperplan --help`` and the completion of a command name import no command's
    module and none of their dependencies, only the root group (start-up time)."""
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print(sorted(sys.modules), file=sys.stderr))\n"
        "from taperplan.cli import main\n"
        f"sys.exit(main({argv!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={**os.environ, **environment},
    )
    assert "plan" in result.stdout
    loaded = set(ast.literal_eval(result.stderr.strip().splitlines()[-1]))
    assert {name for name in loaded if name.startswith("taperplan")} == {
        "taperplan",
        "taperplan._lazy",
        "taperplan._statement",
        "taperplan._version",
        "taperplan.cli",
        "taperplan.cli.main",
        "taperplan.cli.terminal",
        "taperplan.errors",
    }
    for heavy in HEAVY:
        assert not {name for name in loaded if name.split(".")[0] == heavy}, heavy


def test_score_loads_none_of_review(tmp_path: Path) -> None:
    """``taperplan score`` and ``taperplan review`` share a module; what only review
    needs (the log readers, the review rules) does not load for a score."""
    code = (
        "import sys\n"
        "from taperplan.cli import main\n"
        "main(['score', 'cows', '--help'])\n"
        "print(sorted(sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert "--pulse" in result.stdout
    loaded = set(ast.literal_eval(result.stderr.strip().splitlines()[-1]))
    assert "taperplan.cli.clinical" in loaded
    for heavy in ("taperplan.formats.logs", "taperplan.reviewing.review", "taperplan.planning"):
        assert heavy not in loaded, heavy
