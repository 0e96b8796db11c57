"""Screenshots of the web page for the docs, taken by Debian's headless Chromium on a running service.

    make serve   # in another terminal (or any running service with a champion)
    .venv/bin/python scripts/page_screenshots.py --url http://127.0.0.1:3000 --key local-development-key \\
        --out docs/images data/samples/librivox_0870.wav data/samples/talking_head.mp4

It signs in, uploads each file, waits for its result and saves the page (desktop and phone width).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def browser(width: int, height: int) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
        "--mute-audio",
        "--hide-scrollbars",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def full_page(driver: webdriver.Chrome, path: Path) -> None:
    """The whole page, not only the window (Chrome's DevTools capture beyond the viewport)."""
    import base64

    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "format": "png"})
    path.write_bytes(base64.b64decode(shot["data"]))
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:3000")
    parser.add_argument("--key", required=True, help="an API key of the service")
    parser.add_argument("--reviewer", default="Ana Reviewer")
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("media", type=Path, nargs="+")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    driver = browser(1280, 900)
    wait = WebDriverWait(driver, 300, poll_frequency=0.5)
    try:
        driver.get(f"{args.url}/ui/")
        driver.find_element("id", "reviewer").send_keys(args.reviewer)
        driver.find_element("id", "api-key").send_keys(args.key)
        driver.find_element(By.CSS_SELECTOR, "#sign-in button").click()
        wait.until(lambda d: d.find_element("id", "upload-section").is_displayed())
        for media in args.media:
            driver.find_element("id", "file").send_keys(str(media.resolve()))
            wait.until(lambda d, name=media.name: d.find_element("id", "result-title").text == name)
            full_page(driver, args.out / f"page-{media.stem}.png")
        driver.set_window_size(500, 900)  # a headless window is never narrower: the phone is emulated
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
        )
        driver.refresh()
        wait.until(lambda d: d.find_element("id", "result-title").text == args.media[-1].name)
        full_page(driver, args.out / "page-phone.png")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
