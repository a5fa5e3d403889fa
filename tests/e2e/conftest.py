"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server."""

import os
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.projects.factories import PASSWORD

CHROMIUM = os.environ.get("LOUPE_CHROMIUM", "/usr/bin/chromium")

# The machine is shared (2 cores, CI beside other work): an upload through S3 can take longer
# than Playwright's 5 s default before its result shows. Waits still end as soon as it does.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        # This machine has no network but loopback; these keep Chromium from reaching out.
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def login(live_server):
    """login(page, username) logs in through the real login page and lands on the home page."""

    def _login(page: Page, username: str, password: str = PASSWORD) -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_test_id("login-username").fill(username)
        page.get_by_test_id("login-password").fill(password)
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("whoami")).to_have_text(username)

    return _login


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Collects page errors and CSP violations; tests assert it stays empty."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    return errors
