"""The preview in a real headless Chromium (Debian's chromium and chromium-driver, through Selenium).

Opens the index, moves through it with the keyboard, follows a link to a
monthly draft, checks its three SVG charts are drawn, then edits a template on
disk and waits for the open page to show the change without being reloaded by
the test.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_preview import MONTH_OVERRIDE, PreviewServer, make_project

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--window-size=1280,900")
WAIT = 60  # seconds before a page that never shows what is awaited fails the test


def chromium():
    """A Selenium driver for the system's Chromium (never a downloaded browser or driver)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        assert shutil.which(path), f"{path} is missing: install the chromium and chromium-driver packages (setup.sh)"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture
def browser() -> Iterator:
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture
def server(tmp_path: Path, sample_location: Path | str) -> Iterator[PreviewServer]:
    running = PreviewServer(make_project(tmp_path / "project", sample_location))
    yield running
    running.stop()


DRAWN_CHARTS = """
const frame = document.getElementById("draft");
const doc = frame && frame.contentDocument;
if (!doc || doc.readyState !== "complete") return null;
return Array.from(doc.querySelectorAll("figure.chart svg")).map(function (svg) {
  const box = svg.getBoundingClientRect();
  return {width: box.width, height: box.height, marks: svg.querySelectorAll("path, rect, line").length};
});
"""

KICKER = """
const frame = document.getElementById("draft");
const kicker = frame && frame.contentDocument && frame.contentDocument.querySelector(".kicker");
return kicker ? kicker.textContent : null;
"""


def test_index_link_charts_and_live_reload_in_chromium(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT)
    browser.get(server.url)
    assert "drafts" in browser.title
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".live").text == "Live")
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".badge-checking"))  # statuses filled in
    assert {b.text for b in browser.find_elements(By.CSS_SELECTOR, ".badge")} == {"Not built"}

    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("j")
    assert browser.switch_to.active_element.get_attribute("href").endswith("/2023/06/")
    browser.switch_to.active_element.send_keys("j")
    assert browser.switch_to.active_element.get_attribute("href").endswith("/2023/05/")
    browser.switch_to.active_element.send_keys("k")
    link = browser.switch_to.active_element
    assert link.get_attribute("href").endswith("/2023/06/")
    link.send_keys(Keys.ENTER)  # follow the link to June's draft
    wait.until(lambda d: d.current_url.endswith("/2023/06/"))

    charts = wait.until(lambda d: d.execute_script(DRAWN_CHARTS) or None)
    assert len(charts) == 3
    for chart in charts:
        assert chart["width"] > 100 and chart["height"] > 50
        assert chart["marks"] > 5
    assert browser.execute_script(
        "return document.getElementById('draft').contentDocument.querySelector('.draft-mark').textContent") == "DRAFT"
    assert browser.execute_script(KICKER).endswith("Monthly bulletin")

    browser.execute_script("window.stillTheSamePage = true;"
                           "document.getElementById('draft').contentWindow.scrollTo(0, 700);")
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".live").text == "Live")
    (server.folder / "my-templates" / "html" / "month.html.j2").write_text(
        MONTH_OVERRIDE.format(text="Monthly bulletin, edited live"), encoding="utf-8")
    wait.until(lambda d: (d.execute_script(KICKER) or "").endswith("Monthly bulletin, edited live"))
    assert browser.execute_script("return window.stillTheSamePage === true")  # the frame reloaded, not the page
    assert browser.execute_script("return document.getElementById('draft').contentWindow.scrollY") == 700
    assert len(browser.execute_script(DRAWN_CHARTS)) == 3
    assert "html/month.html.j2 changed" in browser.find_element(By.CSS_SELECTOR, ".live").text
