"""The web page in a real headless Chromium (Debian's chromium + chromium-driver, selenium):
start a run from the form, watch its steps appear while it runs, rate it, find the rating in
the run store; a conversation in the chat view. Screenshots go to ``test-artifacts/web/``.

Every value reaches the page through ``textContent``: a run whose input is HTML shows the
markup as text and runs no script.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_testkit import Gate, Script, wait_for

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = Path(os.environ.get("AGENTCORE_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "web"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's chromium and chromium-driver (make setup installs them)",
)


@pytest.fixture
def browser() -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.add_argument("--window-size=1280,900")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def seen(driver, css: str, *, count: int = 1, text: str | None = None, timeout: float = 20):
    from selenium.webdriver.common.by import By

    def ready() -> bool:
        found = driver.find_elements(By.CSS_SELECTOR, css)
        if len(found) < count:
            return False
        return text is None or any(text in element.text for element in found)

    wait_for(ready, timeout)
    return driver.find_elements(By.CSS_SELECTOR, css)


def test_start_watch_and_rate_a_run_in_the_browser(serve, browser, tmp_path, monkeypatch):
    import duckdb
    from selenium.webdriver.common.by import By

    from agentcore.plugins import reset_plugin_manager

    store = tmp_path / "runs.duckdb"
    monkeypatch.setenv("AGENTCORE_STORE", str(store))
    reset_plugin_manager()
    gate = Gate()
    script = Script(gate=gate, plugins=frozenset({"scripted", "store"}))
    with serve(script) as served:
        browser.get(served.url + "/")
        browser.find_element(By.ID, "start-input").send_keys(
            "Which magazine was started first, Arthur's Magazine or First for Women?"
        )
        browser.find_element(By.ID, "start-button").click()
        wait_for(lambda: "/runs/" in browser.current_url)
        run_id = browser.current_url.rsplit("/", 1)[1]

        # step 1 is on the page while the model still writes step 2
        (step,) = seen(browser, "li.step")
        assert "search[Arthur's Magazine]" in step.text
        assert "Arthur's Magazine (1844-1846)" in step.text
        assert "evaluated" in step.text
        assert browser.find_element(By.ID, "run-status").text == "running"
        assert gate.reached.is_set()
        browser.save_screenshot(str(ARTIFACTS / "run-while-running.png"))
        gate.opened.set()

        seen(browser, "li.step", count=2)
        seen(browser, "#run-status", text="finished")
        assert browser.find_element(By.ID, "run-answer").text == "Arthur's Magazine"
        browser.find_element(By.ID, "feedback-note").send_keys("right, and quick")
        browser.find_element(By.ID, "feedback-good").click()
        seen(browser, "#feedback-state", text="recorded: good")
        browser.save_screenshot(str(ARTIFACTS / "run-finished-rated.png"))

        browser.get(served.url + "/")
        (row,) = seen(browser, f'tr[data-run-id="{run_id}"]')
        assert "finished" in row.text and "good" in row.text
        browser.save_screenshot(str(ARTIFACTS / "runs.png"))
        (feedback,) = served.registry.store.feedback([run_id])[run_id]
        assert (feedback.rating, feedback.note) == ("good", "right, and quick")
    reset_plugin_manager()
    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = con.execute("SELECT rating, note FROM feedback WHERE run_id = ?", [run_id])
        assert rows.fetchall() == [("good", "right, and quick")]
    finally:
        con.close()


def test_text_from_a_run_is_shown_never_executed(serve, browser):
    from selenium.webdriver.common.by import By

    with serve() as served:
        browser.get(served.url + "/")
        hostile = "<img src=x onerror=\"document.title='pwned'\">"
        browser.find_element(By.ID, "start-input").send_keys(hostile)
        browser.find_element(By.ID, "start-button").click()
        seen(browser, "#run-status", text="finished")
        assert browser.find_element(By.ID, "run-input").text == hostile
        assert browser.title != "pwned"
        assert not browser.find_elements(By.CSS_SELECTOR, "#run-input img")


def test_a_conversation_in_the_chat_view(serve, browser):
    from selenium.webdriver.common.by import By

    agents = {"helper": {"kind": "chat", "backend": "scripted"}}
    script = Script(
        completions=(
            " I look it up.\nAction: search[Arthur's Magazine]",
            " I tell them.\nAction: respond[It started in 1844.]",
        )
    )
    with serve(script, agents=agents) as served:
        browser.get(served.url + "/chat")
        browser.find_element(By.CSS_SELECTOR, "#chat-start-form button").click()
        wait_for(lambda: "/chat/" in browser.current_url)
        browser.find_element(By.ID, "message-input").send_keys("When did Arthur's start?")
        browser.find_element(By.ID, "message-button").click()
        seen(browser, ".message.agent", text="It started in 1844.")
        assert seen(browser, ".message.user")[0].text == "When did Arthur's start?"
        browser.save_screenshot(str(ARTIFACTS / "chat.png"))


def test_static_files_do_not_leave_their_folder(serve):
    with serve() as served, served.client() as client:
        assert client.get("/static/app.js").status_code == 200
        for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fkeys.py"):
            answer = client.get(path)
            assert answer.status_code == 404, path
            assert "def create_app" not in answer.text
