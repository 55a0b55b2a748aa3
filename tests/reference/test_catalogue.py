"""Integrity tests for the packaged catalogue (taperplan.reference.products and data/*.toml)."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterator
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
from hypothesis import given

from strategies import products
from taperplan import (
    CatalogueError,
    TaperplanError,
    Unit,
    catalogue,
    plan_taper,
    preset,
    regimen_from_mapping,
)
from taperplan.reference.paces import presets
from taperplan.reference.products import Form, Product
from taperplan.units import mcg_per_h


def _data(name: str) -> dict[str, Any]:
    text = resources.files("taperplan").joinpath("data", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def _source_keys(value: object, where: str) -> Iterator[tuple[str, str]]:
    """Every (path, key) where a data file names a source (``source`` or ``*_source``)."""
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}"
            if (key == "source" or key.endswith("_source")) and isinstance(item, str):
                yield path, item
            else:
                yield from _source_keys(item, path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _source_keys(item, f"{where}[{index}]")


SOURCES = _data("sources.toml")
CITING_FILES = [
    "opioids.toml",
    "products.toml",
    "factors.toml",
    "paces.toml",
    "warnings.toml",
    "handout.toml",
    "zones.toml",
    "rotation.toml",
    "initiation.toml",
    "equianalgesic.toml",
]


class TestSources:
    """Every clinical entry cites a source that sources.toml defines."""

    @pytest.mark.parametrize("name", CITING_FILES)
    def test_every_source_key_exists(self, name: str) -> None:
        """Each ``source``/``*_source`` value in the data file is a key of sources.toml."""
        found = list(_source_keys(_data(name), name))
        assert found, f"{name} cites no sources at all"
        missing = [(path, key) for path, key in found if key not in SOURCES]
        assert missing == []

    @pytest.mark.parametrize(
        ("name", "table"),
        [
            ("opioids.toml", "opioid"),
            ("products.toml", "product"),
            ("paces.toml", "pace"),
            ("warnings.toml", "warning"),
        ],
    )
    def test_every_entry_has_a_source(self, name: str, table: str) -> None:
        """Every opioid, product, pace and warning entry carries a ``source``."""
        entries = _data(name)[table]
        assert entries
        assert [e for e in entries if "source" not in e] == []

    def test_every_factor_set_and_exclusion_has_a_source(self) -> None:
        """Each factor set, each exclusion and each alternative factor cites a source."""
        for name, entry in _data("factors.toml").items():
            assert entry["source"] in SOURCES, name
            for drug, spec in entry.get("excluded", {}).items():
                assert spec["source"] in SOURCES, (name, drug)
            for drug, spec in entry.get("factors", {}).items():
                for alternative in spec.get("alternatives", ()):
                    assert alternative["source"] in SOURCES, (name, drug)

    def test_loaded_objects_cite_known_sources(self) -> None:
        """The typed opioids, products, factor sets and paces resolve their sources."""
        cat = catalogue()
        keys = [o.source for o in cat.opioids]
        keys += [p.source for p in cat.products]
        keys += [f.source for f in cat.factor_sets]
        keys += [p.source for p in presets()]
        keys.append(cat.acetaminophen_source)
        for key in keys:
            assert cat.source(key).key == key

    def test_every_source_has_a_citation(self) -> None:
        """Every source in sources.toml has a non-empty citation."""
        assert len(SOURCES) >= 10
        assert [k for k, v in SOURCES.items() if not str(v.get("citation", "")).strip()] == []

    def test_unknown_source_key_raises(self) -> None:
        """Looking up a source key no data file defines is a CatalogueError."""
        with pytest.raises(CatalogueError, match="NOPE2099"):
            catalogue().source("NOPE2099")


class TestProducts:
    """Product families: strengths, units and the never-split rules."""

    @pytest.mark.parametrize("product", catalogue().products, ids=lambda p: p.name)
    def test_strengths_are_positive_sorted_and_in_the_form_unit(self, product: Product) -> None:
        """Strengths are non-empty, positive, strictly ascending and in the form's strength unit."""
        amounts = [s.amount for s in product.strengths]
        assert amounts
        assert all(a > 0 for a in amounts)
        assert amounts == sorted(set(amounts))
        expected_unit = {Form.ORAL_SOLUTION: Unit.MG_PER_ML, Form.PATCH: Unit.MCG_PER_H}.get(
            product.form, Unit.MG
        )
        assert {s.unit for s in product.strengths} == {expected_unit}

    @given(products())
    def test_never_split_forms_stay_unsplittable(self, product: Product) -> None:
        """Extended-release products, capsules, solutions and patches are never splittable, even when asked."""
        never = product.form.extended_release or product.form in {
            Form.PATCH,
            Form.ORAL_SOLUTION,
            Form.IR_CAPSULE,
            Form.ER_CAPSULE,
        }
        if never:
            assert product.splittable is False
            assert product.with_split(True).splittable is False
        else:
            assert product.with_split(True).splittable is True
        assert product.with_split(False).splittable is False

    def test_er_and_patch_products_exist(self) -> None:
        """The catalogue has extended-release tablets and patches to which the rule applies."""
        forms = {p.form for p in catalogue().products}
        assert {Form.ER_TABLET, Form.PATCH, Form.IR_TABLET, Form.ORAL_SOLUTION} <= forms

    @pytest.mark.parametrize(("drug", "days"), [("fentanyl", 3), ("buprenorphine", 7)])
    def test_patch_change_days(self, drug: str, days: int) -> None:
        """Fentanyl patches are changed every 3 days, buprenorphine patches every 7."""
        cat = catalogue()
        assert cat.product(cat.opioid(drug), Form.PATCH).change_days == days

    def test_non_patches_have_no_change_days(self) -> None:
        """Only patches have a change interval."""
        assert all(p.change_days is None for p in catalogue().products if p.form is not Form.PATCH)

    @pytest.mark.parametrize(
        ("drug", "form", "strengths"),
        [
            ("oxycodone", Form.ER_TABLET, ["10", "15", "20", "30", "40", "60", "80"]),
            ("morphine", Form.IR_TABLET, ["15", "30"]),
            ("fentanyl", Form.PATCH, ["12", "25", "37.5", "50", "62.5", "75", "87.5", "100"]),
            ("buprenorphine", Form.PATCH, ["5", "7.5", "10", "15", "20"]),
            ("hydromorphone", Form.ER_TABLET, ["8", "12", "16", "32"]),
        ],
    )
    def test_strengths_match_the_clinical_reference(
        self, drug: str, form: Form, strengths: list[str]
    ) -> None:
        """Selected product strengths, as labelled, are those of clinical reference section 8
        (which lists the fentanyl patch by its label, 12 mcg/h)."""
        cat = catalogue()
        product = cat.product(cat.opioid(drug), form)
        unit = "mcg/h" if form is Form.PATCH else "mg"
        assert [product.label(s) for s in product.strengths] == [f"{s} {unit}" for s in strengths]

    def test_the_12_mcg_patch_counts_as_what_it_delivers(self) -> None:
        """The fentanyl patch labelled 12 mcg/h is stored as the 12.5 mcg/h it delivers."""
        cat = catalogue()
        patch = cat.product(cat.opioid("fentanyl"), Form.PATCH)
        assert patch.strengths[0] == mcg_per_h(Decimal("12.5"))
        assert patch.label(mcg_per_h(Decimal("12.5"))) == "12 mcg/h"
        assert patch.from_label(mcg_per_h(12)) == mcg_per_h(Decimal("12.5"))
        assert patch.label(mcg_per_h(25)) == "25 mcg/h"

    def test_hydrocodone_tablets_carry_acetaminophen(self) -> None:
        """Hydrocodone IR tablets are the acetaminophen combination, 325 mg per tablet."""
        cat = catalogue()
        product = cat.product(cat.opioid("hydrocodone"), Form.IR_TABLET, "acetaminophen 325 mg")
        assert product.combination is not None
        assert product.combination.ingredient == "acetaminophen"
        assert product.combination.amount.amount == 325

    def test_unknown_form_for_a_drug_lists_known_forms(self) -> None:
        """Asking for a form the drug is not sold in names the forms the catalogue has."""
        cat = catalogue()
        with pytest.raises(CatalogueError) as info:
            cat.product(cat.opioid("codeine"), Form.PATCH)
        assert info.value.suggestions == ("ir_tablet",)

    def test_every_opioid_has_a_product(self) -> None:
        """No opioid is listed without at least one product family."""
        cat = catalogue()
        assert [o.name for o in cat.opioids if not cat.products_for(o)] == []

    def test_limits(self) -> None:
        """Solutions are measured to 0.5 mL; acetaminophen is capped at 4000 mg/day."""
        cat = catalogue()
        assert cat.solution_resolution.amount == Decimal("0.5")
        assert cat.solution_resolution.unit is Unit.ML
        assert cat.acetaminophen_max_daily.amount == 4000


class TestOpioidLookup:
    """Finding opioids by name or alias."""

    @pytest.mark.parametrize(
        ("alias", "name"),
        [
            ("OxyContin", "oxycodone"),
            ("  percocet ", "oxycodone"),
            ("Norco", "hydrocodone"),
            ("MS  Contin", "morphine"),
            ("Duragesic", "fentanyl"),
            ("Butrans", "buprenorphine"),
            ("dilaudid", "hydromorphone"),
            ("Ultram", "tramadol"),
            ("METHADONE", "methadone"),
        ],
    )
    def test_aliases_resolve(self, alias: str, name: str) -> None:
        """Brand names and aliases resolve case- and space-insensitively to the generic opioid."""
        assert catalogue().opioid(alias).name == name

    def test_every_listed_alias_resolves_to_its_opioid(self) -> None:
        """Every alias in opioids.toml finds the opioid that lists it."""
        cat = catalogue()
        for opioid in cat.opioids:
            for alias in opioid.aliases:
                assert cat.opioid(alias) == opioid

    def test_aliases_are_unambiguous(self) -> None:
        """No alias or name belongs to two opioids."""
        names = [n for o in catalogue().opioids for n in (o.name, *o.aliases)]
        assert len(names) == len(set(names))

    def test_unknown_drug_suggests_nearest_names(self) -> None:
        """A misspelt drug raises CatalogueError (a LookupError) with close names as suggestions."""
        with pytest.raises(LookupError) as info:
            catalogue().opioid("oxycodon")
        error = info.value
        assert isinstance(error, CatalogueError)
        assert isinstance(error, TaperplanError)
        assert error.kind == "drug"
        assert error.name == "oxycodon"
        assert "oxycodone" in error.suggestions
        assert "oxycodone" in str(error)

    def test_unknown_drug_without_close_names(self) -> None:
        """A name like nothing in the catalogue still raises, with no suggestions."""
        with pytest.raises(CatalogueError) as info:
            catalogue().opioid("aspirin")
        assert info.value.suggestions == ()


class TestFactorSets:
    """The MME factor sets."""

    def test_names_and_default(self) -> None:
        """cdc2022 and cdc2016 are shipped, and cdc2022 is the one default."""
        cat = catalogue()
        assert {f.name for f in cat.factor_sets} == {"cdc2022", "cdc2016"}
        assert [f.name for f in cat.factor_sets if f.default] == ["cdc2022"]
        assert cat.default_factor_set.name == "cdc2022"

    def test_factors_name_known_opioids(self) -> None:
        """Every factor and exclusion names an opioid of the catalogue."""
        known = {o.name for o in catalogue().opioids}
        for factor_set in catalogue().factor_sets:
            assert {f.drug for f in factor_set.factors} <= known
            assert {drug for drug, _ in factor_set.excluded} <= known

    def test_every_opioid_has_a_factor_or_an_exclusion(self) -> None:
        """In each set an opioid is either converted or excluded with a reason."""
        for factor_set in catalogue().factor_sets:
            covered = {f.drug for f in factor_set.factors} | {d for d, _ in factor_set.excluded}
            if factor_set.methadone_bands:
                covered.add("methadone")
            assert covered == {o.name for o in catalogue().opioids}, factor_set.name

    def test_unknown_factor_set(self) -> None:
        """An unknown set name is a CatalogueError listing the known sets."""
        with pytest.raises(CatalogueError) as info:
            catalogue().factor_set("cdc2099")
        assert set(info.value.suggestions) == {"cdc2022", "cdc2016"}


class TestPaces:
    """Pace presets from data/paces.toml."""

    def test_preset_names(self) -> None:
        """The CDC long- and short-term presets and the VA presets are shipped."""
        names = {p.name for p in presets()}
        assert {"cdc-long-term", "cdc-short-term", "va-slower"} <= names

    def test_preset_names_ignore_case(self) -> None:
        """Pace names are case-insensitive, like drug names: on the command line, in a
        regimen's [pace] table and in the API; the plan records the preset's own name."""
        assert preset("VA-Slower") == preset("va-slower")
        assert preset(" CDC-LONG-TERM ") == preset("cdc-long-term")
        regimen = regimen_from_mapping(
            {
                "timezone": "UTC",
                "medication": [
                    {
                        "drug": "oxycodone",
                        "form": "er_tablet",
                        "strength": "20 mg",
                        "dose": "20 mg",
                        "times": ["08:00", "20:00"],
                    }
                ],
                "pace": {"preset": "VA-SLOWER"},
            }
        )
        assert regimen.pace is not None
        assert regimen.pace.name == "va-slower"
        plan = plan_taper(regimen, start=dt.date(2027, 1, 4), pace="Va-Slowest")
        assert (plan.pace.name, plan.pace_reason) == (
            "va-slowest",
            "pace va-slowest given by the caller",
        )
        with pytest.raises(CatalogueError, match="va-slower"):
            preset("va-slowr")

    def test_caps_are_fractions(self) -> None:
        """Every preset's cap on a cut lies in (0, 1] and its step length is positive."""
        for pace in presets():
            assert Decimal(0) < pace.max_step_fraction <= Decimal(1), pace.name
            assert pace.every_days >= 1, pace.name
