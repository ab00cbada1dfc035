"""The dashboard in real headless Chromium (Debian's chromium and chromedriver, through Selenium), served by
uvicorn on 127.0.0.1: pages render, filters work, links resolve, no console errors. Screenshots are saved in
build/screenshots/ to be looked at."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlparse

import httpx
import pytest
import uvicorn

from tests.serve.alerts import am_alert, instance_labels, payload
from tests.tiers import starting
from virt_doctor.catalog import load_catalog
from virt_doctor.serve.app import create_app
from virt_doctor.serve.service import Service
from virt_doctor.serve.view import ClusterView
from virt_doctor.store.database import open_engine

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(DRIVER).exists()),
                                reason="Debian's chromium and chromium-driver are not installed "
                                       "(scripts/setup.sh installs them)")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, example_view: ClusterView) -> Iterator[str]:
    """The service over the example dump, its own findings stored, and two notifications received."""
    service = Service(example_view, open_engine(str(tmp_path_factory.mktemp("db") / "incidents.db")), interval=0)
    service.evaluate_once()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(service, start_background=False), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url + "/healthz", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.05)
    assert example_view.current is not None
    f = next(f for f in example_view.current.report.findings if f.severity == "critical")
    httpx.post(url + "/api/v1/alertmanager", json=payload([am_alert(instance_labels(f), "crit-1"),
                                                           am_alert({"alertname": "KubePodCrashLooping",
                                                                     "severity": "warning"}, "other-1")]))
    yield url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as ChromeService

    starting("Chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=ChromeService(DRIVER), options=options)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def visit(driver, url: str, shot: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Open the page, save its screenshot, and return the console's errors."""
    driver.get(url)
    driver.save_screenshot(str(SHOTS / f"{shot}.png"))
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def links(driver, base: str) -> set[str]:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    hrefs = {a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "a[href]")}
    return {h for h in hrefs if h and urlparse(urljoin(base, h)).netloc == urlparse(base).netloc}


def test_overview_shows_every_firing_incident_with_its_cause(site: str, browser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    firing = httpx.get(site + "/api/v1/incidents", params={"state": "firing"}).json()
    assert visit(browser, site + "/", "overview") == []
    rows = browser.find_elements(By.CSS_SELECTOR, "#incidents tbody tr[data-alert]")
    assert len(rows) == len(firing) > 10
    assert [r.get_attribute("data-alert") for r in rows] == [i["alertname"] for i in firing]
    critical = sum(1 for i in firing if i["severity"] == "critical")
    assert browser.find_element(By.CSS_SELECTOR, "[data-count=severity-critical]").text == str(critical)
    causes = [r.find_elements(By.TAG_NAME, "td")[3].text for r in rows]
    assert causes == [f"{i['cause']['title']} ({i['cause']['confidence']})" if i["cause"]["title"] else
                      "no runbook" if not i["has_runbook"] else i["note"] for i in firing]
    assert "no runbook" in causes


def test_a_filter_narrows_the_list(site: str, browser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    visit(browser, site + "/", "before-filter")
    Select(browser.find_element(By.NAME, "severity")).select_by_value("critical")
    WebDriverWait(browser, 10).until(lambda d: "severity=critical" in d.current_url)
    browser.save_screenshot(str(SHOTS / "filtered-critical.png"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#incidents tbody tr[data-alert]")
    expected = httpx.get(site + "/api/v1/incidents", params={"state": "firing", "severity": "critical"}).json()
    assert len(rows) == len(expected) >= 1
    assert all(r.find_elements(By.TAG_NAME, "td")[1].text == "critical" for r in rows)


def test_an_incident_page_shows_cause_evidence_and_copyable_commands(site: str, browser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # the critical alert Alertmanager delivered joined virt-doctor's own incident for it (its fingerprint an alias)
    incident = next(i for i in httpx.get(site + "/api/v1/incidents").json() if i.get("alias") == "crit-1")
    detail = httpx.get(site + f"/api/v1/incidents/{incident['id']}").json()
    finding = detail["diagnoses"][-1]["finding"]
    assert visit(browser, site + f"/incidents/{incident['id']}", "incident") == []
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith(incident["alertname"])
    assert finding["cause"]["title"] in browser.find_element(By.CSS_SELECTOR, ".cause-title").text
    evidence = browser.find_elements(By.CSS_SELECTOR, "table.evidence tbody tr")
    assert len(evidence) == len(finding["evidence"])
    buttons = browser.find_elements(By.CSS_SELECTOR, "button.copy")
    commands = [s["command"] for s in finding["diagnosis"] + finding["remediation"] if s["command"]]
    assert [b.get_attribute("data-copy") for b in buttons] == commands
    buttons[0].click()
    WebDriverWait(browser, 5).until(lambda d: buttons[0].text == "Copied")


def test_every_page_and_link_resolves_without_console_errors(site: str, browser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    assert visit(browser, site + "/runbooks", "runbooks") == []
    rows = browser.find_elements(By.CSS_SELECTOR, "table.runbooks tbody tr")
    assert len(rows) == len(load_catalog())
    seen = links(browser, site)
    assert visit(browser, site + "/coverage", "coverage") == []
    coverage = browser.find_elements(By.CSS_SELECTOR, "table.coverage tbody tr")
    assert len(coverage) == len(httpx.get(site + "/api/v1/report").json()["coverage"])
    assert visit(browser, site + "/runbooks/VirtHandlerDown", "runbook") == []
    assert browser.find_element(By.TAG_NAME, "h1").text == "VirtHandlerDown"
    seen |= links(browser, site)
    visit(browser, site + "/", "overview-links")
    seen |= links(browser, site)
    broken = [u for u in sorted(seen) if httpx.get(u).status_code != 200]
    assert broken == [] and len(seen) > len(load_catalog())


def test_problems_come_first_and_open_to_their_alerts(site: str, browser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    problems = httpx.get(site + "/api/v1/problems").json()
    assert visit(browser, site + "/", "overview-problems") == []
    shown = browser.find_elements(By.CSS_SELECTOR, "#problems details[data-problem]")
    assert [d.get_attribute("data-problem") for d in shown] == [p["id"] for p in problems] and len(shown) >= 10
    assert len(problems[1]["findings"]) == 3  # the worst first, then the biggest
    crashing = next(d for d, p in zip(shown, problems, strict=True) if len(p["findings"]) == 3)
    items = crashing.find_elements(By.CSS_SELECTOR, "li")
    assert not any(i.is_displayed() for i in items)  # closed until opened
    crashing.find_element(By.TAG_NAME, "summary").click()
    assert len(items) == 3 and all(i.is_displayed() for i in items)
    browser.save_screenshot(str(SHOTS / "overview-problem-open.png"))
    # one incident per alert instance: the critical alert Alertmanager delivered is not listed twice
    alerts = [r.get_attribute("data-alert") for r in browser.find_elements(By.CSS_SELECTOR,
                                                                          "#incidents tbody tr[data-alert]")]
    assert len(alerts) == len(httpx.get(site + "/api/v1/incidents", params={"state": "firing"}).json())
    problem = next(p for p in problems if len(p["findings"]) == 3)
    assert visit(browser, site + f"/problems/{problem['id']}", "problem") == []
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith(problem["title"])
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.incidents tbody tr")) == 3
    browser.set_window_size(900, 1000)
    try:  # at 900 px wide nothing is cut off to the right: the page does not scroll sideways
        for page, shot in (("/", "overview-900"), (f"/problems/{problem['id']}", "problem-900")):
            assert visit(browser, site + page, shot) == []
            wide = browser.execute_script(
                "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > "
                "document.documentElement.clientWidth + 1).map(e => e.tagName + '.' + e.className + ' ' + "
                "Math.round(e.getBoundingClientRect().right) + ' ' + (e.textContent || '').slice(0, 60))")
            assert wide == [], (page, wide[:4])
        browser.get(site + "/")
        browser.execute_script("document.getElementById('incidents').scrollIntoView()")
        browser.save_screenshot(str(SHOTS / "incidents-900.png"))
    finally:
        browser.set_window_size(1400, 1000)
