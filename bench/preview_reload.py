"""Preview reload latency: from saving a template to the reloaded draft being complete in Chromium.

    python bench/preview_reload.py                      # the bundled 2023 sample, June's draft
    python bench/preview_reload.py --db my.db --page 2021/03 --profile my-profile.toml
    python bench/preview_reload.py --screenshots /tmp/shots   # also PNGs of the index and the draft

Starts ``reportgen preview`` on a free port in a temporary project folder (a copy
of the database and an empty user template folder), opens the monthly draft in
headless Chromium (Debian's chromium and chromium-driver through Selenium), then
``--runs`` times: writes a user override of ``html/month.html.j2`` with a new
word and waits until the page has swapped in the reloaded draft showing it. The
time is taken from the wall clock just before the write to the page's own
``Date.now()`` when the new frame has loaded (the same clock, one machine).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = '{{% extends "default:html/month.html.j2" %}}\n{{% block kicker %}}Monthly bulletin {word}{{% endblock %}}\n'
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--window-size=1280,900", "--hide-scrollbars")
RELOADS = """
window.reloads = [];
document.addEventListener("draft-reloaded", function () { window.reloads.push(Date.now()); });
"""
KICKER = """
const f = document.getElementById("draft");
const k = f && f.contentDocument && f.contentDocument.querySelector(".kicker");
return k ? k.textContent : "";
"""


def sample_db(folder: Path) -> Path:
    from reportgen.demo import load_sample
    from reportgen.profile import load_profile
    from reportgen.store import open_store

    path = folder / "sample.db"
    store = open_store(path)
    load_sample(store, load_profile("syrian-desert"))
    store.close()
    return path


def start_server(project: Path, profile: str) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "reportgen.cli", "--db", "reportgen.db", "--profile", profile, "preview", "--port", "0"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "REPORTGEN_TEMPLATES": str(project / "my-templates")}
    proc = subprocess.Popen(cmd, cwd=project, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    assert proc.stderr is not None
    for line in proc.stderr:
        found = re.search(r"http://127\.0\.0\.1:[0-9]+/", line)
        if found:
            return proc, found.group(0)
    raise SystemExit(f"the preview did not start (exit {proc.wait()})")


def chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in FLAGS:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def measure(driver, override: Path, runs: int) -> list[float]:
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 60, poll_frequency=0.02)
    times = []
    for n in range(runs + 1):  # the first run warms up (imports, first chart render) and is left out
        word = f"edit{n}"
        seen = driver.execute_script("return window.reloads.length")
        started = time.time() * 1000
        override.write_text(TEMPLATE.format(word=word), encoding="utf-8")
        wait.until(lambda d, seen=seen, word=word: d.execute_script("return window.reloads.length") > seen
                   and d.execute_script(KICKER).endswith(word))
        done = driver.execute_script("return window.reloads[window.reloads.length - 1]")
        if n:
            times.append((done - started) / 1000)
        time.sleep(0.3)  # let the watcher settle before the next save
    return times


def screenshots(driver, url: str, page: str, folder: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    folder.mkdir(parents=True, exist_ok=True)
    driver.get(url)
    WebDriverWait(driver, 60).until(lambda d: not d.execute_script("return document.querySelector('.badge-checking')"))
    driver.save_screenshot(str(folder / "preview-index.png"))
    driver.get(url + page + "/")
    WebDriverWait(driver, 60).until(lambda d: d.execute_script(KICKER))
    driver.save_screenshot(str(folder / "preview-draft.png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="database to preview (default: the bundled 2023 sample)")
    parser.add_argument("--profile", default="syrian-desert")
    parser.add_argument("--page", default="2023/06", help="the monthly draft to open, YYYY/MM")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--screenshots", type=Path, help="save PNGs of the index and the draft here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="reportgen-bench-") as tmp:
        project = Path(tmp)
        shutil.copyfile(args.db or sample_db(project), project / "reportgen.db")
        (project / "my-templates" / "html").mkdir(parents=True)
        proc, url = start_server(project, args.profile)
        driver = chromium()
        try:
            if args.screenshots:
                screenshots(driver, url, args.page, args.screenshots)
            driver.get(url + args.page + "/")
            driver.execute_script(RELOADS)
            times = measure(driver, project / "my-templates" / "html" / "month.html.j2", args.runs)
        finally:
            driver.quit()
            proc.terminate()
            proc.wait()
    print(f"template save -> reloaded {args.page} draft complete in Chromium, {len(times)} runs:")
    print(f"  median {statistics.median(times):.3f} s   min {min(times):.3f} s   max {max(times):.3f} s")


if __name__ == "__main__":
    main()
