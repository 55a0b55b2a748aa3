"""The page in a real browser: Debian's Chromium driven by Selenium and chromedriver
against ``taperplan serve``. Fill the form for two regimens, see the plans, pause one,
download its calendar and read it with ical.js; an error shows next to its field.
Screenshots are kept in build/test-artifacts/web/."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import calendar_clients as cc
from support import ARTIFACTS, in_ci
from web.conftest import missing

SHOTS = ARTIFACTS / "web"
#: How long a page may take to come back after a form is sent (a plan is made on a
#: busy test machine).
PAGE_SECONDS = 30


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium through chromedriver, downloading into a temporary folder."""
    try:
        from selenium import webdriver  # noqa: PLC0415
        from selenium.webdriver.chrome.options import Options  # noqa: PLC0415
        from selenium.webdriver.chrome.service import Service  # noqa: PLC0415
    except ImportError:
        missing('selenium is not installed: pip install ".[test]"')
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        missing("Chromium or chromedriver is not installed: run .ci/install-clients")
    downloads = tmp_path_factory.mktemp("downloads")
    options = Options()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,2000"):
        options.add_argument(argument)
    options.binary_location = chromium
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    session = webdriver.Chrome(options=options, service=Service(driver))
    session.downloads = downloads
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield session
    session.quit()


def _fill_row(
    browser: Any, row: int, *, drug: str, form: str, strength: str, dose: str, times: str
) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415
    from selenium.webdriver.support.ui import Select  # noqa: PLC0415

    Select(browser.find_element(By.ID, f"drug{row}")).select_by_value(drug)
    Select(browser.find_element(By.ID, f"form{row}")).select_by_value(form)
    for name, text in ((f"strength{row}", strength), (f"dose{row}", dose), (f"times{row}", times)):
        field = browser.find_element(By.ID, name)
        field.clear()
        field.send_keys(text)


def _start_form(browser: Any, server: str) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    browser.get(server)
    browser.find_element(By.CSS_SELECTOR, "input[name=mode][value=rows]").click()
    zone = browser.find_element(By.ID, "timezone")
    zone.clear()
    zone.send_keys("America/New_York")
    browser.find_element(By.ID, "start").send_keys("01042027")


def _submit(browser: Any) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    _click_to_load(
        browser, browser.find_element(By.CSS_SELECTOR, "form.regimen button[type=submit]")
    )


def _click_to_load(browser: Any, button: Any) -> None:
    """Click a button that sends its form, and wait until the answer's page has replaced
    this one (a click returns as soon as the form is sent, not when the page is there)."""
    from selenium.webdriver.support import expected_conditions  # noqa: PLC0415
    from selenium.webdriver.support.ui import WebDriverWait  # noqa: PLC0415

    button.click()
    wait = WebDriverWait(browser, PAGE_SECONDS)
    wait.until(expected_conditions.staleness_of(button))
    wait.until(lambda driver: driver.execute_script("return document.readyState") == "complete")


def test_two_regimens_plan_in_the_browser(browser: Any, server: str) -> None:
    """Oxycodone ER 20 mg twice a day; then morphine ER with oxycodone IR and a
    benzodiazepine, compared at two paces."""
    from selenium.webdriver.common.by import By  # noqa: PLC0415
    from selenium.webdriver.support.ui import Select  # noqa: PLC0415

    _start_form(browser, server)
    _fill_row(
        browser,
        0,
        drug="oxycodone",
        form="er_tablet",
        strength="20 mg",
        dose="20 mg",
        times="08:00, 20:00",
    )
    _submit(browser)
    browser.save_screenshot(str(SHOTS / "plan-oxycodone.png"))
    captions = browser.find_elements(By.CSS_SELECTOR, "table.steps caption")
    assert len(captions) == 1
    assert "2027-01-04" in browser.find_element(By.CSS_SELECTOR, ".result h2").text

    _start_form(browser, server)
    _fill_row(
        browser,
        0,
        drug="morphine",
        form="er_tablet",
        strength="30 mg",
        dose="30 mg",
        times="08:00, 20:00",
    )
    _fill_row(
        browser,
        1,
        drug="oxycodone",
        form="ir_tablet",
        strength="5 mg",
        dose="5 mg",
        times="08:00, 14:00, 20:00",
    )
    browser.find_element(By.CSS_SELECTOR, "input[name=benzodiazepines]").click()
    Select(browser.find_element(By.ID, "pace2")).select_by_value("va-slowest")
    _submit(browser)
    browser.save_screenshot(str(SHOTS / "plan-two-paces.png"))
    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".result h2")]
    assert len(headings) == 2
    compared = browser.find_element(By.CSS_SELECTOR, "table.compare").text
    assert "va-slowest" in compared
    assert "Weeks to the stop" in compared
    assert any("va-slowest" in h for h in headings)
    warnings = browser.find_element(By.CSS_SELECTOR, "ul.warnings").text.lower()
    assert "benzodiazepine" in warnings


def test_pause_and_download_the_calendar(browser: Any, server: str) -> None:
    """Pause the plan at a visit, download its calendar, and read it with ical.js."""
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    _start_form(browser, server)
    _fill_row(
        browser,
        0,
        drug="oxycodone",
        form="er_tablet",
        strength="20 mg",
        dose="20 mg",
        times="08:00, 20:00",
    )
    _submit(browser)
    visit = browser.find_element(By.CSS_SELECTOR, "form.visit")
    visit.find_element(By.NAME, "on").send_keys("02012027")
    _click_to_load(browser, visit.find_element(By.CSS_SELECTOR, "button[value=pause]"))
    browser.save_screenshot(str(SHOTS / "plan-paused.png"))
    assert "pause" in browser.find_element(By.CSS_SELECTOR, "table.steps").text
    browser.find_element(By.CSS_SELECTOR, "form[action='/download/ics'] button").click()
    calendar = _downloaded(browser.downloads, ".ics")
    try:
        run = cc.icaljs_occurrences(
            calendar, dt.datetime(2027, 1, 1, tzinfo=dt.UTC), dt.datetime(2029, 1, 1, tzinfo=dt.UTC)
        )
    except cc.ClientMissing as client:
        if in_ci():
            pytest.fail(f"calendar client missing under CI: {client}")
        pytest.skip(f"calendar client missing: {client}")
    assert any("Oxycodone ER" in o.summary for o in run.occurrences)


def test_an_error_shows_next_to_its_field(browser: Any, server: str) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    _start_form(browser, server)
    _fill_row(
        browser,
        0,
        drug="oxycodone",
        form="er_tablet",
        strength="twenty",
        dose="20 mg",
        times="08:00",
    )
    _submit(browser)
    browser.save_screenshot(str(SHOTS / "error-next-to-field.png"))
    message = browser.find_element(By.ID, "error-medication-0-strength")
    assert message.is_displayed()
    label_then_error = browser.find_element(By.ID, "strength0").find_element(
        By.XPATH, "following-sibling::p[1]"
    )
    assert label_then_error.get_attribute("id") == "error-medication-0-strength"


def _downloaded(folder: Path, suffix: str) -> Path:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = [p for p in folder.iterdir() if p.suffix == suffix]
        if found:
            return found[0]
        time.sleep(0.2)
    pytest.fail(f"no {suffix} file was downloaded")


def test_the_page_fits_a_phone(browser: Any, server: str) -> None:
    """At a phone's width neither the form nor the plan scrolls sideways (wide tables
    scroll inside themselves)."""

    browser.set_window_size(500, 900)
    try:
        browser.get(server)
        fits = "return document.documentElement.scrollWidth <= window.innerWidth"
        assert browser.execute_script(fits)
        _submit(browser)
        browser.save_screenshot(str(SHOTS / "phone-plan.png"))
        assert browser.execute_script(fits)
    finally:
        browser.set_window_size(1200, 2000)
