"""The Items tab's pipeline-feature controls in a real browser: after a pipeline run a manager
picks a feature, sorts and bounds the item list by it (each tile showing its value, the URL
reproducing the filter), sees bad bounds refused clearly, and orders the annotators' queue by
it, which the next annotator's "Start labeling" then follows."""

import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from pipelines.models import ItemFeature
from tests.pipelines.factories import labelled_version, pipeline_job
from tests.projects.factories import user_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tasks_in_process")]

SHOTS = Path("/tmp/shots/featui")
BRIGHTNESS = "image_stats.brightness"


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _tile_ids(page: Page) -> list[int]:
    """The grid's item ids in order, read at once (the grid may be being replaced)."""
    return page.eval_on_selector_all(
        "[data-testid=item-tile]", "tiles => tiles.map((tile) => Number(tile.dataset.itemId))"
    )


def _until(page: Page, check, what: str) -> None:
    deadline = time.monotonic() + 20
    while not check():
        assert time.monotonic() < deadline, f"{what} never held: {_tile_ids(page)}"
        page.wait_for_timeout(50)


@pytest.fixture
def ran(project, manager, annotator, reviewer):
    project.overlap = 3  # each item was labelled once: the queue still hands them out
    project.save(update_fields=["overlap"])
    items, version = labelled_version(project, manager, annotator, reviewer, count=5)
    job = pipeline_job(version, manager)
    assert job.status == "succeeded", job.error
    return items


def _values(project) -> dict[int, float]:
    rows = ItemFeature.objects.filter(project=project, name=BRIGHTNESS)
    return dict(rows.values_list("item_id", "value"))


def test_a_manager_sorts_by_a_feature_and_orders_the_queue_by_it(
    page: Page, browser: Browser, live_server, login, project, ran, console_errors
):
    values = _values(project)
    assert len(values) == len(ran) and len(set(values.values())) > 1
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/projects/{project.pk}/#items")
    expect(page.get_by_test_id("item-tile")).to_have_count(len(ran))
    expect(page.get_by_test_id("feature-bar")).to_be_visible()
    expect(page.get_by_test_id("features-none")).to_be_hidden()
    expect(page.get_by_test_id("queue-order-current")).to_have_text("Queue: default order")

    # pick a feature: highest first, each tile with its value, the filter in the URL
    page.get_by_test_id("items-feature").select_option(BRIGHTNESS)
    descending = sorted(values, key=lambda i: (-values[i], i))
    _until(page, lambda: _tile_ids(page) == descending, "descending tiles")
    shown = page.eval_on_selector_all(
        "[data-testid=item-feature]", "badges => badges.map((badge) => badge.dataset.value)"
    )
    assert [float(value) for value in shown] == [values[i] for i in descending]
    assert f"feature={BRIGHTNESS}" in page.url and page.url.endswith("#items")

    # lowest first
    page.get_by_test_id("items-order").select_option("asc")
    ascending = sorted(values, key=lambda i: (values[i], i))
    _until(page, lambda: _tile_ids(page) == ascending, "ascending tiles")
    _shot(page, "items-by-feature")

    # a bound keeps only the items at or above it; the link reproduces the filter
    middle = sorted(values.values())[2]
    page.get_by_test_id("items-min").fill(str(middle))
    page.get_by_test_id("items-feature-apply").click()
    above = [i for i in ascending if values[i] >= middle]
    _until(page, lambda: _tile_ids(page) == above, "bounded tiles")
    link = page.url
    page.goto(f"{live_server.url}/")
    page.goto(link)
    _until(page, lambda: _tile_ids(page) == above, "tiles from the link")
    expect(page.get_by_test_id("items-feature")).to_have_value(BRIGHTNESS)
    expect(page.get_by_test_id("items-order")).to_have_value("asc")
    expect(page.get_by_test_id("items-min")).to_have_value(str(middle))

    # bad bounds are said clearly and beside the inputs, not sent
    page.get_by_test_id("items-min").fill("bright")
    page.get_by_test_id("items-feature-apply").click()
    expect(page.get_by_test_id("feature-error")).to_have_text("Min must be a number, not “bright”.")
    expect(page.get_by_test_id("items-min")).to_have_attribute("aria-invalid", "true")
    page.get_by_test_id("items-min").fill("5")
    page.get_by_test_id("items-max").fill("1")
    page.get_by_test_id("items-feature-apply").click()
    expect(page.get_by_test_id("feature-error")).to_have_text(
        "Min is above max: no item could match."
    )
    _shot(page, "bad-bounds")
    page.get_by_test_id("items-min").fill("")
    page.get_by_test_id("items-max").fill("")
    page.get_by_test_id("items-feature-apply").click()
    expect(page.get_by_test_id("feature-error")).to_be_hidden()
    _until(page, lambda: _tile_ids(page) == ascending, "unbounded tiles")

    # the queue follows: lowest brightness first, and the page says so
    page.get_by_test_id("queue-order-set").click()
    current = page.get_by_test_id("queue-order-current")
    expect(current).to_have_text(f"Queue: {BRIGHTNESS}, lowest first")
    expect(page.get_by_test_id("queue-order-set")).to_be_disabled()
    _shot(page, "queue-order-set")

    newcomer = user_create("nina_annotator")
    project.memberships.create(user=newcomer, role="annotator")
    names = {item.pk: item.name for item in ran}
    other = browser.new_context()
    try:
        labeler = other.new_page()
        login(labeler, "nina_annotator")
        labeler.goto(f"{live_server.url}/projects/{project.pk}/label/")
        expect(labeler.get_by_test_id("item-name")).to_have_text(names[ascending[0]])
        _shot(labeler, "annotator-next-item")
    finally:
        other.close()

    # the current order survives a reload; "Default order" restores it
    page.reload()
    expect(current).to_have_text(f"Queue: {BRIGHTNESS}, lowest first")
    page.get_by_test_id("queue-order-reset").click()
    expect(current).to_have_text("Queue: default order")
    expect(page.get_by_test_id("queue-order-reset")).to_be_disabled()
    assert console_errors == []


def test_without_a_pipeline_run_the_tab_says_how_to_get_features(
    page: Page, live_server, login, project, console_errors
):
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/projects/{project.pk}/#items")

    expect(page.get_by_test_id("features-none")).to_be_visible()
    expect(page.get_by_test_id("feature-bar")).to_be_hidden()
    expect(page.get_by_test_id("items-empty")).to_have_text("No items yet. Add images above.")
    _shot(page, "no-features")
    assert console_errors == []


def test_an_unknown_feature_in_a_link_is_named(
    page: Page, live_server, login, project, ran, console_errors
):
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/projects/{project.pk}/?feature=nope.nothing#items")

    expect(page.get_by_test_id("feature-error")).to_contain_text("No feature named “nope.nothing”")
    expect(page.get_by_test_id("item-tile")).to_have_count(len(ran))
    assert console_errors == []
