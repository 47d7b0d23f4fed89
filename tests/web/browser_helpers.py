"""Chromium for the console's tests: Debian's browser driven by Playwright, never a downloaded one.

CI sets ``CARENFORCE_REQUIRE_BROWSER=1`` (and ``.ci/run`` installs ``chromium`` when it is missing), so there
a missing browser fails the run instead of skipping the tests.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from api.demo import seed as demo

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("CARENFORCE_REQUIRE_BROWSER") == "1"
# Where every page's screenshot goes, at each width (the README names this folder).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = {"office": (1366, 768), "phone": (390, 844)}

# Elements whose content is wider than their box, outside the containers meant to scroll sideways.
OVERFLOW_JS = """
() => {
  const found = [];
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    found.push('the page is wider than the window: ' + document.documentElement.scrollWidth + 'px');
  }
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.scroll') || el.closest('svg') || el.clientWidth === 0) continue;
    const style = getComputedStyle(el);
    if (style.overflowX !== 'visible' && style.overflowX !== 'clip') continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      found.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ': '
                 + el.textContent.trim().slice(0, 40));
    }
  }
  return found;
}
"""


def chromium_or_skip() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if REQUIRE_BROWSER:
        pytest.fail(f"CARENFORCE_REQUIRE_BROWSER=1 but {CHROMIUM} is missing (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} is not installed")


def look(page: Page, name: str) -> dict[str, list[Any]]:
    """Photograph the page at each width; what overflows its box at each."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[Any]] = {}
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width_name}.png"), full_page=True)
        found[width_name] = page.evaluate(OVERFLOW_JS)
    return {k: v for k, v in found.items() if v}


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
