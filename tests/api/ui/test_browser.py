"""The dashboard and the API docs in a real browser, while a local fleet runs jobs.

One fleet and one browser session for the module, to keep it to a few seconds. Set
SPOTQ_SCREENSHOT_DIR to keep the screenshots (docs/dashboard.png is made that way).
"""

from __future__ import annotations

import os
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from spotq.api.client import JobsClient
from spotq.fleet.embedded import StackOptions
from spotq.fleet.local import FleetOptions, LocalFleet

T = TypeVar("T")
WAIT_S = 90.0  # generous: workers start python and import spotq on a shared 2-core machine
# Markup-like error text: the page must show it as text, not interpret it.
BAD_ERROR = "bad input <b>bold</b> [red]tag[/red]"

APP_SOURCE = textwrap.dedent(f"""
    import time
    import spotq

    app = spotq.App("dash-demo", batch_size=2, max_receives=1, retry_backoff_s=0)

    @app.handler
    def handle(model, jobs):
        time.sleep(0.05)
        out = []
        for job in jobs:
            if job.input.get("fail"):
                out.append(spotq.JobFailed({BAD_ERROR!r}, retry=False))
            elif job.input.get("raise"):
                raise RuntimeError("poison")
            else:
                out.append({{"echo": job.input["n"]}})
        return out
""")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalFleet]:
    tmp = tmp_path_factory.mktemp("dash")
    app_file = tmp / "dash_demo.py"
    app_file.write_text(APP_SOURCE)
    running = LocalFleet(
        str(app_file),
        StackOptions(data_dir=tmp / "stack"),
        FleetOptions(min_workers=0, max_workers=2, idle_s=60.0, grace_s=5.0),
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


def wait_for(driver: webdriver.Chrome, what: Callable[[], T | None], message: str) -> T:
    def probe(_: Any) -> T | None:
        return what()

    wait = WebDriverWait(
        driver, WAIT_S, poll_frequency=0.2, ignored_exceptions=[StaleElementReferenceException]
    )
    result: T = wait.until(probe, message)
    return result


def text_of(driver: webdriver.Chrome, css: str) -> str:
    """The element's rendered text, read in one script call: the page redraws its tables every
    poll, so an element found first and read later may be gone by then."""
    text = driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", css
    )
    return str(text)


def click(driver: webdriver.Chrome, css: str) -> None:
    """Click in one script call, for the same reason."""
    assert driver.execute_script(
        "const e = document.querySelector(arguments[0]); if (e) e.click(); return !!e", css
    ), css


def present(driver: webdriver.Chrome, css: str) -> Callable[[], list[Any]]:
    return lambda: list(driver.find_elements(By.CSS_SELECTOR, css))


def screenshot(driver: webdriver.Chrome, name: str) -> None:
    out = os.environ.get("SPOTQ_SCREENSHOT_DIR")
    if out:
        driver.save_screenshot(str(Path(out) / name))


def test_dashboard_shows_jobs_failures_workers_and_redrives(
    browser: webdriver.Chrome, fleet: LocalFleet
) -> None:
    url = fleet.stack.api_url
    client = JobsClient(url)
    items = [{"input": {"n": i}} for i in range(16)]
    items += [{"input": {"fail": True}}, {"input": {"raise": True}}]
    ids = [item["job"]["id"] for item in client.submit_batch(items)]
    browser.get(url + "/ui")
    assert "spotq" in browser.title
    wait_for(browser, lambda: text_of(browser, "#app-name") == "dash-demo", "app name")
    wait_for(browser, lambda: text_of(browser, "dd.v-succeeded") == "16", "16 succeeded")
    wait_for(browser, lambda: text_of(browser, "dd.v-failed") == "1", "1 failed")
    wait_for(browser, lambda: text_of(browser, "dd.v-dead") == "1", "1 dead")
    failures = wait_for(browser, lambda: text_of(browser, "#failures tbody") or None, "failures")
    assert BAD_ERROR in failures and "poison" in failures
    assert browser.find_elements(By.CSS_SELECTOR, "#failures b") == []  # text, not markup
    # Workers were started and the charts have lines for them and for the policy's decisions.
    assert browser.find_elements(By.CSS_SELECTOR, "#workers tbody tr")
    # Each worker's own metrics (busy share, memory) and the mean time per phase of a job.
    wait_for(browser, lambda: "MiB" in text_of(browser, "#workers tbody"), "worker memory")
    wait_for(browser, lambda: " s" in text_of(browser, "#phases dd"), "time per job")
    assert "workers" in text_of(browser, "#worker-logs")
    wait_for(browser, present(browser, "#chart-workers [data-series=desired]"), "desired")
    wait_for(browser, present(browser, "#chart-throughput polyline"), "throughput line")
    screenshot(browser, "dashboard.png")
    # Per-job detail, and its result.
    wait_for(browser, present(browser, f"#job-list tr[data-job='{ids[0]}'] a"), "job row")
    click(browser, f"#job-list tr[data-job='{ids[0]}'] a")
    wait_for(browser, lambda: text_of(browser, "#detail-id") == ids[0], "job detail")
    assert "succeeded" in text_of(browser, "#detail")
    click(browser, "#detail-result")
    wait_for(browser, lambda: '"echo": 0' in text_of(browser, "#detail-result-json"), "result")
    # The dead job's message reaches the DLQ; the button moves it back and requeues the job.
    wait_for(browser, lambda: text_of(browser, "#dlq-depth") == "1", "DLQ depth 1")
    enabled = "return !document.getElementById('redrive').disabled"
    wait_for(browser, lambda: browser.execute_script(enabled), "redrive enabled")

    def redriven() -> bool:
        # The fleet's DLQ reconciler peeks the DLQ too, holding its messages for a few seconds;
        # a redrive in that window finds none ("moved 0 jobs"), so press again, as a user would.
        browser.execute_script("document.getElementById('redrive-result').textContent = ''")
        click(browser, "#redrive")
        wait_for(browser, lambda: text_of(browser, "#redrive-result") or None, "redrive reply")
        return "moved 1 jobs" in text_of(browser, "#redrive-result")

    wait_for(browser, lambda: redriven() or time.sleep(1.0), "redrive moves the dead job")
    assert client.job(ids[-1])["state"] in ("queued", "running", "dead")
    # Requeued with its runs reset; a worker runs it again (on a busy machine that can take a
    # worker's start-up, so wait as a user would).
    wait_for(browser, lambda: client.job(ids[-1])["attempts"] >= 1, "the requeued job runs again")


def test_docs_render_offline(browser: webdriver.Chrome, fleet: LocalFleet) -> None:
    url = fleet.stack.api_url
    browser.get(url + "/docs")
    title = wait_for(browser, present(browser, ".swagger-ui .info .title"), "Swagger UI title")
    assert "spotq job API" in title[0].text
    ops = wait_for(browser, present(browser, ".opblock-summary-path"), "operations")
    assert "/v1/jobs" in {op.text.replace("\u200b", "") for op in ops}
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded and all(name.startswith(url) for name in loaded), loaded
    screenshot(browser, "docs.png")


def test_metrics_has_each_workers_own_numbers(fleet: LocalFleet) -> None:
    client = JobsClient(fleet.stack.api_url)
    job = client.submit({"n": 99})["id"]
    deadline = time.monotonic() + WAIT_S
    while client.job(job)["state"] != "succeeded" and time.monotonic() < deadline:
        time.sleep(0.2)
    text = ""
    while time.monotonic() < deadline:  # the worker writes its file at most once a second
        text = client.request("GET", "/metrics").body.decode()
        if 'spotq_worker_jobs_total{outcome="succeeded"' in text:
            break
        time.sleep(0.3)
    assert 'spotq_worker_jobs_total{outcome="succeeded"' in text
    for name in ("queue_wait", "fetch", "handle", "store"):
        assert f'spotq_worker_job_phase_seconds_count{{phase="{name}"' in text
    assert "spotq_worker_busy_ratio{" in text and "spotq_worker_rss_bytes{" in text
