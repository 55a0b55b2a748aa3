"""The score and survivors of a mutmut run (benchmarks/mutation.sh).

Reads ``mutmut results --all true`` on stdin; prints the counts, the score and each
survivor (and mutant no test reaches) as ``file:line  old → new``.

Score = (killed + timeout) / (tested − equivalent), where tested = killed + survived +
timeout + no tests, and equivalent = the survivors named in the ``--equivalent`` file.
"""

from __future__ import annotations

import argparse
import ast
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

_LINE = re.compile(r"^\s*(\S+): (.+?)\s*$")
_HUNK = re.compile(r"^@@ -(\d+)")
TESTED = ("killed", "survived", "timeout", "no tests")


def _equivalent(path: Path) -> dict[str, str]:
    """Mutant name → why it is equivalent (``name  # reason`` a line)."""
    if not path.is_file():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, _, why = line.partition("#")
        if name.strip():
            found[name.strip()] = why.strip()
    return found


def _definitions(source: Path) -> dict[str, int]:
    """Function name as mutmut spells it (``x_name`` or ``xǁClassǁname``) → its line."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    lines = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines[f"x_{node.name}"] = node.lineno
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines[f"xǁ{node.name}ǁ{item.name}"] = item.lineno
    return lines


def _where(mutmut: str, name: str) -> str:
    """``file:line  old → new`` for mutant ``name``."""
    module, _, mangled = name.rpartition(".")
    function = mangled.rsplit("__mutmut_", 1)[0]
    source = Path("src", *module.split(".")).with_suffix(".py")
    shown = subprocess.run(  # noqa: S603 - our own mutmut
        [mutmut, "show", name], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    start = _definitions(source).get(function, 1) if source.is_file() else 1
    offset, old, new = 0, "", ""
    for line in shown:
        hunk = _HUNK.match(line)
        if hunk:
            offset = int(hunk.group(1)) - 1
            continue
        if line.startswith("-") and not line.startswith("---"):
            old = old or line[1:].strip()
            break
        if line.startswith(("+", " ")) and not line.startswith("+++"):
            offset += 1
    for line in shown:
        if line.startswith("+") and not line.startswith("+++"):
            new = line[1:].strip()
            break
    return f"{source}:{start + offset}  {old}  →  {new}"


def main() -> int:
    # Piped into head: stop quietly when the reader has had enough.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    parser = argparse.ArgumentParser()
    parser.add_argument("--equivalent", type=Path, required=True)
    parser.add_argument("--mutmut", default="mutmut")
    parser.add_argument("--only", type=Path, help="a file of mutant names: count only these")
    args = parser.parse_args()
    only = set(args.only.read_text().split()) if args.only else None
    status = {}
    for line in sys.stdin:
        match = _LINE.match(line)
        if match and (only is None or match.group(1) in only):
            status[match.group(1)] = match.group(2)
    equivalent = _equivalent(args.equivalent)
    counts = Counter(status.values())
    tested = sum(counts[s] for s in TESTED)
    listed = [n for n in equivalent if status.get(n) in {"survived", "no tests"}]
    detected = counts["killed"] + counts["timeout"]
    print(
        f"mutants {len(status)}: killed {counts['killed']}, survived {counts['survived']}, "
        f"timeout {counts['timeout']}, no tests {counts['no tests']}, "
        f"not checked {counts['not checked']}, equivalent (listed) {len(listed)}"
    )
    for other in sorted(set(counts) - {*TESTED, "not checked"}):
        print(f"  {other}: {counts[other]}")
    if tested - len(listed):
        score = detected / (tested - len(listed))
        print(
            f"score (killed + timeout) / (tested - equivalent) = {detected}/{tested - len(listed)} = {score:.1%}"
        )
    standing = sorted(
        (n for n, s in status.items() if s in {"survived", "no tests"} and n not in equivalent),
        key=lambda n: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", n)],
    )
    if standing:
        print(f"survivors ({len(standing)}):")
        for name in standing:
            print(f"  {name} [{status[name]}]  {_where(args.mutmut, name)}")
    if listed:
        print(f"equivalent ({len(listed)}):")
        for name in listed:
            print(f"  {name}  {_where(args.mutmut, name)}  # {equivalent[name]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
