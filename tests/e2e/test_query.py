"""The query page of a version in a real browser: reached from the Versions tab, tables and
columns beside the editor, Ctrl+Enter runs, results as a table and an SVG chart, and each kind
of refusal spelled out (syntax, outside access, time limit, row limit)."""

import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pipelines import selectors
from tests.pipelines.factories import labelled_version, pipeline_job

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tasks_in_process")]

SHOTS = Path("/tmp/shots/pipes")


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"query-{name}.png"), full_page=True)


def _until(page: Page, expression: str) -> None:
    """Poll a page expression (wait_for_function would need eval, which the CSP forbids)."""
    deadline = time.monotonic() + 30
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"{expression} never held"
        page.wait_for_timeout(50)


def _ready(page: Page) -> None:
    _until(page, "Boolean(window.loupe && window.loupe.manage.ready)")


def _run(page: Page, sql: str) -> None:
    editor = page.get_by_test_id("query-sql")
    editor.fill(sql)
    runs = page.evaluate("window.loupe.manage.runs || 0")
    editor.press("Control+Enter")
    _until(page, f"(window.loupe.manage.runs || 0) > {runs}")


@pytest.fixture
def version(project, manager, annotator, reviewer):
    _, version = labelled_version(project, manager, annotator, reviewer, count=5)
    assert pipeline_job(version, manager).status == "succeeded"
    return version


def test_a_manager_queries_a_version_and_sees_a_table_and_a_chart(
    page: Page, live_server, login, project, version, console_errors
):
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/projects/{project.pk}/#versions")
    page.get_by_test_id("version-query").first.click()

    expect(page).to_have_url(f"{live_server.url}/versions/{version.pk}/query/")
    _ready(page)
    tables = page.get_by_test_id("query-table")
    names = [tables.nth(n).get_attribute("data-table") for n in range(tables.count())]
    assert {"items", "shapes", "image_stats", "label_stats"} <= set(names)
    expect(page.get_by_test_id("query-tables")).to_contain_text("brightness")

    # the example query (items per split) runs with Ctrl+Enter: a table and bars
    page.get_by_test_id("query-sql").press("Control+Enter")
    expect(page.get_by_test_id("query-count")).to_have_text("1 row")
    expect(page.get_by_test_id("query-table-out").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("query-chart-bar")).to_have_count(1)

    # a feature per item, drawn as a line
    _run(
        page,
        "SELECT i.item_id, s.brightness FROM items i JOIN image_stats s USING (item_id) "
        "ORDER BY i.item_id",
    )
    expect(page.get_by_test_id("query-count")).to_have_text("5 rows")
    expect(page.get_by_test_id("query-chart-bar")).to_have_count(5)
    page.get_by_test_id("query-chart-kind").select_option("line")
    expect(page.get_by_test_id("query-chart-line")).to_have_count(1)
    header = page.get_by_test_id("query-table-out").locator("thead th")
    expect(header).to_have_text(["item_id", "brightness"])
    _shot(page, "line")
    assert console_errors == []


@pytest.mark.parametrize(
    ("sql", "kind", "words"),
    [
        ("SELEC split FROM items", "Syntax error", "could not be parsed"),
        ("SELECT * FROM read_csv('/etc/passwd')", "Refused", "outside this version"),
        ("DELETE FROM items", "Refused", "Only read-only SELECT"),
        ("SELECT count(*) FROM range(1000000000000) a, range(1000) b", "Time limit", "stopped"),
    ],
)
def test_each_refusal_is_shown_clearly(
    page: Page, live_server, login, version, console_errors, monkeypatch, sql, kind, words
):
    monkeypatch.setattr(selectors, "SQL_TIMEOUT_S", 0.5)  # the live server shares this process
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/versions/{version.pk}/query/")
    _ready(page)

    _run(page, sql)

    expect(page.get_by_test_id("query-error-kind")).to_have_text(f"{kind}: ")
    expect(page.get_by_test_id("query-error")).to_contain_text(words)
    if kind == "Time limit":
        _shot(page, "time-limit")
    # the API's 400 logs one console error; nothing else may
    assert [e for e in console_errors if "400" not in e] == []


def test_a_result_past_the_row_limit_says_so(page: Page, live_server, login, version):
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/versions/{version.pk}/query/")
    _ready(page)

    _run(page, "SELECT range AS n, range * range AS square FROM range(5000)")

    rows = selectors.SQL_MAX_ROWS
    expect(page.get_by_test_id("query-count")).to_contain_text(f"{rows} rows (limit reached")
    expect(page.get_by_test_id("query-chart-note")).to_contain_text("first 60 of")
    _shot(page, "row-limit")


def test_an_annotator_cannot_open_the_query_page(page: Page, live_server, login, version):
    login(page, "bob_annotator")

    response = page.goto(f"{live_server.url}/versions/{version.pk}/query/")

    assert response is not None and response.status in (403, 404)
