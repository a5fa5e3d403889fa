import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_page_logs_in_and_out(page: Page, live_server, login, annotator, console_errors):
    login(page, "bob_annotator")
    expect(page.get_by_test_id("brand")).to_be_visible()
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-username")).to_be_visible()
    assert console_errors == []


def test_wrong_password_shows_an_error(page: Page, live_server, annotator):
    page.goto(f"{live_server.url}/login/")
    page.get_by_test_id("login-username").fill("bob_annotator")
    page.get_by_test_id("login-password").fill("not-the-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_be_visible()
