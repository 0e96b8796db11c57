"""The web page in a real headless Chromium (Debian's chromium + chromedriver, driven by selenium),
against a real ``bentoml serve`` with a small real champion: sign in, upload a LibriVox clip and the
talking-head video, follow the jobs, play from a timeline band, refuse a non-media file, reload,
correct a segment, delete an analysis. Screenshots go to the test's folder (and to
``$EMOTION_PLATFORM_SCREENSHOTS`` when set, as for docs/images).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

from emotion_platform.serving.local_server import local_server
from emotion_platform_tests.serving.conftest import API_KEY

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("chromedriver") is None or shutil.which("chromium") is None,
        reason="Debian's chromium and chromium-driver are not installed (scripts/setup.sh installs them)",
    ),
]
WAIT_S = 180


@pytest.fixture(scope="module")
def page_server(serving_env, tmp_path_factory):
    folder = tmp_path_factory.mktemp("page-server")
    env = serving_env | {"EMOTION_PLATFORM_DATA_DIR": str(folder / "data"), "EMOTION_PLATFORM_SERVING_WORKERS": "2"}
    with local_server(env=env, log=folder / "bentoml.log") as url:
        yield url, folder


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--autoplay-policy=no-user-gesture-required",
        "--mute-audio",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def shot(driver, tmp_path: Path, name: str) -> None:
    driver.save_screenshot(str(tmp_path / f"{name}.png"))
    target = os.environ.get("EMOTION_PLATFORM_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp_path / f"{name}.png", Path(target) / f"{name}.png")


def wait_for(driver, condition, timeout: float = WAIT_S):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.25).until(condition)


def visible(element_id: str):
    def check(driver):
        element = driver.find_element("id", element_id)
        return element if element.is_displayed() else False

    return check


def history_names(driver) -> list[str]:
    """The file names in the history list, read in one go (the list is redrawn as jobs progress)."""
    return driver.execute_script("return [...document.querySelectorAll('#history li .name')].map(e => e.textContent)")


def upload_and_wait(driver, path: Path) -> None:
    """Choose a file, then wait for its result (the title names it and the timeline is drawn)."""
    driver.find_element("id", "file").send_keys(str(path))
    wait_for(
        driver,
        lambda d: (
            d.find_element("id", "result-title").text == path.name
            and d.find_element("id", "result-section").is_displayed()
        ),
    )


def test_a_person_uploads_reads_corrects_and_deletes(page_server, browser, librivox, samples, tmp_path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    url, _ = page_server
    browser.get(f"{url}/ui/")
    wait_for(browser, visible("sign-in"))

    browser.find_element("id", "reviewer").send_keys("Ana Reviewer")
    browser.find_element("id", "api-key").send_keys("not-the-key")
    browser.find_element(By.CSS_SELECTOR, "#sign-in button").click()
    assert "not one this service accepts" in wait_for(browser, visible("alert")).text
    browser.find_element("id", "api-key").clear()
    browser.find_element("id", "api-key").send_keys(API_KEY)
    browser.find_element(By.CSS_SELECTOR, "#sign-in button").click()
    wait_for(browser, visible("upload-section"))
    assert browser.find_element("id", "who-name").text == "Signed in as Ana Reviewer"
    shot(browser, tmp_path, "page-upload")

    clip = librivox[0].path
    upload_and_wait(browser, clip)
    analysis_id = browser.execute_script("return new URLSearchParams(location.hash.slice(1)).get('analysis')")
    detail = browser.execute_script(f"return fetch('api/analyses/{analysis_id}').then(r => r.json())")
    segments = detail["result"]["segments"]
    bands = browser.find_elements(By.CSS_SELECTOR, "#timeline .band")
    assert len(segments) >= 2 and len(bands) == len(segments)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#segments tbody tr")) == len(segments)
    # Selecting a band seeks the player to that segment's start.
    wait_for(browser, lambda d: d.execute_script("return document.getElementById('player').readyState >= 1"))
    bands[-1].click()
    wait_for(
        browser,
        lambda d: (
            abs(d.execute_script("return document.getElementById('player').currentTime") - segments[-1]["start"]) < 0.5
        ),
    )
    assert "Mostly" in browser.find_element("id", "result-meta").text
    shot(browser, tmp_path, "page-result-audio")

    video = samples["talking_head.mp4"]
    upload_and_wait(browser, video)
    assert browser.find_elements(By.CSS_SELECTOR, "#player-box video")
    # The faces the face branch read, cut from the video's frames, each labelled with its time and emotion.
    wait_for(
        browser,
        lambda d: d.execute_script(
            "return [...document.querySelectorAll('#faces img')].some(i => i.complete && i.naturalWidth > 0)"
        ),
        30,
    )
    faces = browser.find_elements(By.CSS_SELECTOR, "#faces button")
    assert faces and all("read as" in face.get_attribute("aria-label") for face in faces)
    shot(browser, tmp_path, "page-result-video")

    notes = tmp_path / "meeting notes.wav"
    notes.write_text("These are notes, not audio.\n" * 40)
    browser.find_element("id", "file").send_keys(str(notes))
    message = wait_for(browser, visible("alert")).text
    assert "meeting notes.wav was not accepted" in message and "not" in message.lower()

    browser.get(f"{url}/ui/#analysis={analysis_id}")
    browser.refresh()  # a reload: the session and the open analysis survive
    wait_for(browser, lambda d: d.find_element("id", "result-title").text == clip.name)
    wait_for(browser, lambda d: history_names(d) == [video.name, clip.name])  # newest first

    first = Select(browser.find_element("id", "correction-0"))
    wanted = next(e for e in ("surprise", "anger") if e != segments[0]["top"])
    first.select_by_value(wanted)
    wait_for(browser, lambda d: d.find_element("id", "correction-0").get_attribute("data-saved") == wanted)
    saved = browser.execute_script(f"return fetch('api/analyses/{analysis_id}').then(r => r.json())")
    assert saved["corrections"]["0"] == {"emotion": wanted, "reviewer": "Ana Reviewer"}
    shot(browser, tmp_path, "page-history-correction")

    video_row = browser.find_element(By.CSS_SELECTOR, "#history li:first-child")
    video_row.find_element(By.CSS_SELECTOR, "button.delete").click()
    browser.switch_to.alert.accept()
    wait_for(browser, lambda d: history_names(d) == [clip.name])

    # Phone width (emulated: a headless window is never narrower than 500 px): the page itself does not
    # scroll sideways; the segment table scrolls inside its own box.
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
    )
    browser.refresh()
    wait_for(browser, lambda d: d.find_element("id", "result-title").text == clip.name)
    assert browser.execute_script("return window.innerWidth") == 390
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    shot(browser, tmp_path, "page-phone")


def test_the_page_api_needs_a_session_or_a_key(page_server) -> None:
    url, _ = page_server
    with httpx.Client(base_url=url, timeout=60) as client:
        assert client.get("/ui/").status_code == 200  # the page itself is public
        assert client.get("/ui/static/page.js").status_code == 200
        assert client.get("/ui/api/analyses").status_code == 401
        assert client.get("/ui/api/analyses", headers={"X-API-Key": API_KEY}).status_code == 200
        assert client.post("/ui/api/session", json={"key": "wrong", "reviewer": "x"}).status_code == 401
        signed = client.post("/ui/api/session", json={"key": API_KEY, "reviewer": "Bo"})
        assert signed.status_code == 200 and "httponly" in signed.headers["set-cookie"].lower()
        assert client.get("/ui/api/me").json() == {"reviewer": "Bo"}
        forged = httpx.Client(base_url=url, cookies={"emotion_session": "eyJrIjoiYSJ9.forged"})
        assert forged.get("/ui/api/analyses").status_code == 401
