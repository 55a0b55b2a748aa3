"""Warning codes are typed: every code a notice may carry is a WarningCode."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import Any

import pytest

from support import ROOT
from taperplan.reference.notices import Notice, WarningCode, warning_codes

DATA = ROOT / "src" / "taperplan" / "data"


def _codes(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("code"), str):
            yield value["code"]
        for item in value.values():
            yield from _codes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _codes(item)


def test_every_code_in_the_data_is_a_member() -> None:
    found = set(warning_codes())
    found |= set(_codes(tomllib.loads((DATA / "safety.toml").read_text(encoding="utf-8"))))
    adjuncts = tomllib.loads((DATA / "adjuncts.toml").read_text(encoding="utf-8"))
    found |= {e["key"] for e in adjuncts["adjunct"] if e["category"] == "rule"}
    assert found <= {code.value for code in WarningCode}


def test_every_member_is_emitted_somewhere() -> None:
    """No member without a source: its code stands in a data file or in code other than
    the enumeration itself."""
    enumeration = ROOT / "src" / "taperplan" / "reference" / "notices.py"
    texts = [
        p.read_text(encoding="utf-8")
        for p in [*(ROOT / "src" / "taperplan").rglob("*.py"), *DATA.glob("*.toml")]
        if p != enumeration
    ]
    unused = [code.value for code in WarningCode if not any(f'"{code.value}"' in t for t in texts)]
    assert unused == []


def test_a_notice_takes_a_code_by_name_and_refuses_an_unknown_one() -> None:
    notice = Notice("mme-over-90", "…")
    assert notice.code is WarningCode.MME_OVER_90
    assert notice.code == "mme-over-90"
    assert f"[{notice.code}]" == "[mme-over-90]"
    with pytest.raises(ValueError, match="not-a-code"):
        Notice("not-a-code", "…")
