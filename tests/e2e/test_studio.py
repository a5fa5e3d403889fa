"""The labeling studio in a real browser: drawing, editing, autosave, conflicts, offline, queue."""

import pytest
from playwright.sync_api import Page, expect

from annotate.models import AnnotationDocument, Assignment, Revision
from projects.models import Project
from tests.annotate.factories import box
from tests.e2e.studio_helpers import (
    assert_points,
    click_image,
    document_of,
    drag,
    open_studio,
    reload,
    studio_state,
    wait_saved,
)
from tests.projects.factories import items_add

pytestmark = pytest.mark.django_db(transaction=True)

IMAGE_SIZE = (320, 240)
OFFLINE = "Offline — changes kept locally"


# --- helpers ---------------------------------------------------------------------------------


def assert_page_matches_document(page: Page, document: AnnotationDocument) -> None:
    """What the page shows is exactly what the server stored, at the same version."""
    state = studio_state(page)
    assert state["shapes"] == document.shapes
    assert state["version"] == document.version
    expect(page.get_by_test_id("doc-version")).to_have_text(str(document.version))
    revisions = Revision.objects.filter(document=document).order_by("version")
    assert list(revisions.values_list("version", flat=True)) == list(range(1, document.version + 1))


def row_labels(page: Page) -> list[str | None]:
    rows = page.get_by_test_id("shape-row")
    return [row.get_attribute("data-label") for row in rows.all()]


# --- tests -----------------------------------------------------------------------------------


def test_annotator_draws_two_boxes_reclasses_one_and_finds_both_after_reload(
    page: Page, live_server, login, project: Project, console_errors: list[str]
):
    (item,) = items_add(project, 1, size=IMAGE_SIZE)
    login(page, "bob_annotator")
    open_studio(page, f"{live_server.url}/projects/{project.pk}/label/")
    expect(page.get_by_test_id("item-name")).to_have_text(item.name)

    page.keyboard.press("r")
    drag(page, (20, 30), (120, 110))
    drag(page, (150, 60), (300, 200))
    expect(page.get_by_test_id("shape-row")).to_have_count(2)
    assert row_labels(page) == ["car", "car"]

    page.get_by_test_id("tool-select").click()
    click_image(page, 70, 70)
    first = studio_state(page)["shapes"][0]
    assert studio_state(page)["selectedId"] == first["id"]
    page.keyboard.press("2")
    expect(page.get_by_test_id("shape-row").first).to_have_attribute("data-label", "person")
    wait_saved(page)

    document = document_of(item)
    assert [shape["label"] for shape in document.shapes] == ["person", "car"]
    assert [shape["kind"] for shape in document.shapes] == ["box", "box"]
    assert_points(document.shapes[0]["points"], [20, 30, 120, 110], tolerance=2.0)
    assert_points(document.shapes[1]["points"], [150, 60, 300, 200], tolerance=2.0)
    assert document.shapes[0]["id"] == first["id"]
    assert document.status == "draft"
    assert_page_matches_document(page, document)

    reload(page)
    expect(page.get_by_test_id("shape-row")).to_have_count(2)
    assert row_labels(page) == ["person", "car"]
    wait_saved(page)
    document.refresh_from_db()
    assert len(document.shapes) == 2
    assert_page_matches_document(page, document)
    assert console_errors == []


def test_move_resize_delete_and_undo_reach_the_server(
    page: Page, live_server, login, project: Project, api, annotator
):
    (item,) = items_add(project, 1, size=IMAGE_SIZE)
    car, person = box("car", (20, 20, 100, 80)), box("person", (150, 100, 250, 200))
    saved = api(annotator).put(
        f"/api/v1/items/{item.pk}/annotation/",
        {"shapes": [car, person]},
        format="json",
        HTTP_IF_MATCH='"0"',
    )
    assert saved.status_code == 201
    login(page, "bob_annotator")
    open_studio(page, f"{live_server.url}/items/{item.pk}/label/")
    expect(page.get_by_test_id("shape-row")).to_have_count(2)

    page.keyboard.press("v")
    drag(page, (60, 50), (80, 70))  # move the car box by (+20, +20)
    assert studio_state(page)["selectedId"] == car["id"]
    drag(page, (120, 100), (140, 130))  # its bottom-right handle
    car_points = studio_state(page)["shapes"][0]["points"]
    assert_points(car_points, [40, 40, 140, 130], tolerance=1)

    page.locator(f'[data-testid="shape-row"][data-shape-id="{person["id"]}"]').click()
    page.keyboard.press("Delete")
    expect(page.get_by_test_id("shape-row")).to_have_count(1)
    page.keyboard.press("Control+z")
    expect(page.get_by_test_id("shape-row")).to_have_count(2)
    page.keyboard.press("Control+Shift+z")
    expect(page.get_by_test_id("shape-row")).to_have_count(1)
    page.keyboard.press("Control+z")
    expect(page.get_by_test_id("shape-row")).to_have_count(2)
    wait_saved(page)

    document = document_of(item)
    assert [shape["id"] for shape in document.shapes] == [car["id"], person["id"]]
    assert document.shapes[0]["points"] == car_points
    assert_points(document.shapes[0]["points"], [40, 40, 140, 130], tolerance=2.0)
    assert document.shapes[1]["points"] == [150, 100, 250, 200]
    assert document.shapes[1]["label"] == "person"
    assert document.version >= 2
    assert_page_matches_document(page, document)


def test_a_stale_tab_merges_its_new_shape_with_the_saved_ones_and_reload_stays_available(
    page: Page, live_server, login, project: Project
):
    """A stale tab's edit to other shapes is merged by shape (tests/e2e/test_studio_saving.py
    covers the shapes changed on both sides); nothing is dropped and no choice is asked."""
    (item,) = items_add(project, 1, size=IMAGE_SIZE)
    login(page, "bob_annotator")
    url = f"{live_server.url}/items/{item.pk}/label/"
    open_studio(page, url)
    tab_b = page.context.new_page()
    open_studio(tab_b, url)

    page.bring_to_front()  # a background tab's timers are throttled to once a second
    page.keyboard.press("r")
    drag(page, (10, 10), (60, 60))
    wait_saved(page)
    saved_by_a = document_of(item)
    assert saved_by_a.version == 1

    tab_b.bring_to_front()
    tab_b.keyboard.press("r")
    drag(tab_b, (100, 100), (200, 180))
    wait_saved(tab_b)
    expect(tab_b.get_by_test_id("conflict-banner")).to_be_hidden()
    expect(tab_b.get_by_test_id("shape-row")).to_have_count(2)
    document = document_of(item)
    assert document.version == 2
    assert document.shapes[0] == saved_by_a.shapes[0]
    assert_points(document.shapes[1]["points"], [100, 100, 200, 180], tolerance=2.0)
    assert_page_matches_document(tab_b, document)


def test_unsent_changes_survive_a_dropped_connection(
    page: Page, live_server, login, project: Project
):
    (item,) = items_add(project, 1, size=IMAGE_SIZE)
    login(page, "bob_annotator")
    url = f"{live_server.url}/projects/{project.pk}/label/"
    open_studio(page, url)
    context = page.context

    context.set_offline(True)
    page.keyboard.press("r")
    drag(page, (30, 30), (90, 90))
    expect(page.get_by_test_id("save-status")).to_have_text(OFFLINE)
    assert not AnnotationDocument.objects.filter(item=item).exists()
    kept = page.evaluate("() => Object.keys(localStorage)")
    assert kept == [f"loupe:unsaved:bob_annotator:{item.pk}"]

    # Back online, the retry sends what was kept.
    context.set_offline(False)
    wait_saved(page)
    document = document_of(item)
    assert len(document.shapes) == 1
    assert_points(document.shapes[0]["points"], [30, 30, 90, 90], tolerance=2.0)
    assert page.evaluate("() => Object.keys(localStorage)") == []

    # Offline again, and the tab goes away before the connection comes back.
    context.set_offline(True)
    drag(page, (150, 120), (250, 200))
    expect(page.get_by_test_id("save-status")).to_have_text(OFFLINE)
    drawn_offline = studio_state(page)["shapes"]
    page.close()
    assert len(document_of(item).shapes) == 1

    context.set_offline(False)
    reopened = context.new_page()
    open_studio(reopened, url)
    expect(reopened.get_by_test_id("shape-row")).to_have_count(2)
    wait_saved(reopened)
    document = document_of(item)
    assert document.shapes == drawn_offline
    assert_points(document.shapes[1]["points"], [150, 120, 250, 200], tolerance=2.0)
    assert_page_matches_document(reopened, document)
    assert reopened.evaluate("() => Object.keys(localStorage)") == []


def test_queue_submit_skip_and_tags_until_all_done(
    page: Page, live_server, login, project: Project, annotator
):
    first, second, third = items_add(project, 3, size=IMAGE_SIZE)
    login(page, "bob_annotator")
    open_studio(page, f"{live_server.url}/projects/{project.pk}/label/")
    name = page.get_by_test_id("item-name")
    expect(name).to_have_text(first.name)

    night = page.locator('[data-testid="tag-toggle"][data-label="night"]')
    night.check()
    wait_saved(page)
    tagged = document_of(first)
    assert len(tagged.shapes) == 1
    tag = tagged.shapes[0]
    assert tag == {
        "id": tag["id"],
        "label": "night",
        "kind": "tag",
        "points": [],
        "attributes": {},
        "occluded": False,
        "label_id": project.label("night")["id"],
    }
    expect(page.locator('[data-testid="shape-row"][data-label="night"]')).to_have_count(1)
    page.get_by_test_id("submit-button").click()
    expect(name).to_have_text(second.name)
    expect(night).not_to_be_checked()
    submitted = document_of(first)
    assert submitted.status == "submitted"
    assert submitted.shapes == [tag]

    page.keyboard.press("s")
    expect(name).to_have_text(third.name)
    assert Assignment.objects.get(item=second, user=annotator).state == "skipped"
    assert not AnnotationDocument.objects.filter(item=second).exists()

    page.keyboard.press("r")
    drag(page, (40, 40), (160, 120))
    page.keyboard.press("Control+Enter")
    expect(page.get_by_test_id("queue-empty")).to_be_visible()
    expect(page.get_by_test_id("queue-empty")).to_contain_text("All done")
    last = document_of(third)
    assert last.status == "submitted"
    assert [shape["label"] for shape in last.shapes] == ["car"]
    assert_points(last.shapes[0]["points"], [40, 40, 160, 120], tolerance=2.0)
    states = dict(Assignment.objects.filter(user=annotator).values_list("item_id", "state"))
    assert states == {first.pk: "done", second.pk: "skipped", third.pk: "done"}


def test_studio_runs_under_the_strict_csp_without_console_errors(
    page: Page, live_server, login, project: Project, console_errors: list[str]
):
    Project.objects.filter(pk=project.pk).update(
        guidelines="# Boxes\nDraw **tight** boxes.\n\n- one\n- two <script>alert(1)</script>"
    )
    items_add(project, 1, size=IMAGE_SIZE)
    login(page, "bob_annotator")
    open_studio(page, f"{live_server.url}/projects/{project.pk}/label/")

    page.get_by_test_id("guidelines").locator("summary").click()
    body = page.get_by_test_id("guidelines-body")
    expect(body.locator("strong")).to_have_text("tight")
    expect(body.locator("li")).to_have_count(2)
    assert body.locator("script").count() == 0
    expect(body.locator("li").nth(1)).to_have_text("two <script>alert(1)</script>")

    page.keyboard.press("?")
    expect(page.get_by_test_id("help-overlay")).to_be_visible()
    expect(page.get_by_test_id("help-overlay")).to_contain_text("Box tool")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("help-overlay")).to_be_hidden()
    expect(page.get_by_test_id("tool-box")).to_have_attribute("title", "Box (R)")

    page.keyboard.press("r")
    drag(page, (50, 50), (150, 150))
    page.mouse.wheel(0, -240)
    page.keyboard.press("f")
    wait_saved(page)
    assert console_errors == []
