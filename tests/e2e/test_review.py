"""Review in a real browser: a reviewer rejects with comments pinned to a shape and to a point;
the annotator's next queue item is that item, with the pins on the canvas and the comments in
the panel; they fix it and resubmit; the reviewer accepts. Managers open anyone's document."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from annotate.models import AnnotationDocument, ReviewComment
from annotate.services import item_assign_next
from projects.models import Project
from tests.annotate.factories import box, document_submitted
from tests.e2e.studio_helpers import drag, open_studio, studio_state, to_screen
from tests.e2e.test_studio import IMAGE_SIZE
from tests.projects.factories import items_add
from tests.quality.factories import gold_add

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots/review")


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_a_rejection_with_pinned_comments_reaches_the_annotator_and_comes_back(
    page: Page, browser: Browser, live_server, login, project: Project, annotator, reviewer
):
    # given bob submitted one box on the first item the queue gave him
    first, second = items_add(project, 2, size=IMAGE_SIZE)
    assert item_assign_next(user=annotator, project=project) == first
    car = box("car", [40, 40, 160, 120])
    document = document_submitted(first, annotator, [car])

    # when the reviewer opens the review queue, pins one comment to the box, one to a point
    login(page, "rita_reviewer")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.get_by_test_id("start-review").click()
    page.wait_for_function("() => window.loupe && window.loupe.state().phase === 'ready'")
    expect(page.get_by_test_id("review-owner")).to_contain_text("By bob_annotator")
    expect(page.get_by_test_id("submit-button")).to_be_hidden()
    page.get_by_test_id("shape-row").first.click()
    assert studio_state(page)["selectedId"] == car["id"]
    body = page.get_by_test_id("review-comment-body")
    body.fill("Too loose: the box should hug the car.")
    page.get_by_test_id("pin-shape").click()
    body.fill("A second car is missed here.")
    page.get_by_test_id("pin-point").click()
    page.mouse.click(*to_screen(page, 250, 190))
    body.fill("Sky: no cars up here.")
    page.get_by_test_id("pin-point").click()
    drag(page, (200, 10), (300, 40))  # a drag pins a box region
    expect(page.get_by_test_id("review-pin")).to_have_count(3)
    assert len(studio_state(page)["shapes"]) == 1  # nothing was drawn
    assert studio_state(page)["shapes"][0]["points"] == [40, 40, 160, 120]  # read-only
    shot(page, "1-reviewer-pins-before-reject")
    page.get_by_test_id("review-reject").click()

    # then the document is rejected with both comments, and the review queue is empty
    expect(page.get_by_test_id("queue-empty")).to_be_visible()
    document.refresh_from_db()
    assert document.status == "rejected"
    stored = list(ReviewComment.objects.order_by("id").values_list("body", "shape_id", "region"))
    assert stored[:2] == [
        ("Too loose: the box should hug the car.", car["id"], None),
        ("A second car is missed here.", None, {"x": 250.0, "y": 190.0}),
    ]
    body_text, shape_id, region = stored[2]
    assert (body_text, shape_id) == ("Sky: no cars up here.", None)
    wanted = {"x": 200, "y": 10, "w": 100, "h": 30}
    assert all(abs(region[key] - value) <= 1 for key, value in wanted.items()), region

    # when bob opens his queue, the rejected item comes first with the pins and comments
    bob = browser.new_page()
    login(bob, "bob_annotator")
    open_studio(bob, f"{live_server.url}/projects/{project.pk}/label/")
    expect(bob.get_by_test_id("item-name")).to_have_text(first.name)
    expect(bob.get_by_test_id("review-pin")).to_have_count(3)
    expect(bob.get_by_test_id("comment-body")).to_have_text(
        [
            "Too loose: the box should hug the car.",
            "A second car is missed here.",
            "Sky: no cars up here.",
        ]
    )
    pin = bob.get_by_test_id("review-pin").first.bounding_box()
    corner = to_screen(bob, 40, 40)
    assert pin is not None and abs(pin["x"] + 4 - corner[0]) < 3  # on the box's corner
    shot(bob, "2-annotator-sees-pins")
    # clicking a comment selects its shape
    bob.get_by_test_id("comment-row").first.click()
    assert studio_state(bob)["selectedId"] == car["id"]

    # when he adds the missed car and resubmits
    bob.keyboard.press("r")
    drag(bob, (200, 150), (300, 230))
    bob.keyboard.press("Control+Enter")
    expect(bob.get_by_test_id("item-name")).to_have_text(second.name)
    expect(bob.get_by_test_id("review-pin")).to_have_count(0)
    document.refresh_from_db()
    assert (document.status, len(document.shapes)) == ("submitted", 2)

    # then the reviewer gets it again and accepts it
    open_studio(page, f"{live_server.url}/projects/{project.pk}/review/")
    expect(page.get_by_test_id("review-owner")).to_contain_text("submitted")
    shot(page, "3-reviewer-second-round")
    page.get_by_test_id("review-accept").click()
    expect(page.get_by_test_id("queue-empty")).to_be_visible()
    document.refresh_from_db()
    assert document.status == "accepted"
    assert not ReviewComment.objects.filter(resolved_at__isnull=True).exists()


def test_a_manager_opens_an_annotators_document_from_the_annotations_table(
    page: Page, live_server, login, project: Project, annotator, manager, console_errors
):
    (item,) = items_add(project, 1, size=IMAGE_SIZE)
    document = document_submitted(item, annotator, [box("car", [40, 40, 160, 120])])

    login(page, "alice_manager")
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("project-progress")).to_contain_text("1 / 1 done")
    shot(page, "4-project-list-progress")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    expect(page.get_by_test_id("project-progress")).to_contain_text("1 / 1 done")
    link = page.get_by_test_id("document-link")
    expect(link).to_have_text(item.name)
    shot(page, "5-project-overview")
    link.click()
    page.wait_for_function("() => window.loupe && window.loupe.state().phase === 'ready'")
    assert page.url.endswith(f"/items/{item.pk}/label/?document={document.pk}")
    assert [shape["label"] for shape in studio_state(page)["shapes"]] == ["car"]
    expect(page.get_by_test_id("review-form")).to_be_visible()
    shot(page, "6-manager-opens-document")
    page.goto(f"{live_server.url}/projects/{project.pk}/#items")
    expect(page.get_by_test_id("item-status")).to_have_text("submitted")
    page.get_by_test_id("item-grid").screenshot(path=str(SHOTS / "7-item-tiles-status.png"))
    assert AnnotationDocument.objects.filter(annotator=manager).count() == 0
    assert console_errors == []


@pytest.mark.usefixtures("tasks_in_process")
def test_the_quality_tab_links_each_figure_to_the_scored_documents(
    page: Page, live_server, login, project: Project, annotator, manager, console_errors
):
    # given a hidden gold item with two cars, where bob called one of them a person
    (gold,) = items_add(project, 1, role="gold", size=IMAGE_SIZE)
    gold_add(gold, manager, [box("car", [20, 20, 100, 100]), box("car", [150, 40, 260, 140])])
    document = document_submitted(
        gold, annotator, [box("car", [20, 20, 100, 100]), box("person", [150, 40, 260, 140])]
    )

    # when the manager opens the Quality tab
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/projects/{project.pk}/#quality")
    row = page.locator('[data-testid=quality-annotator][data-username="bob_annotator"]')
    expect(row).to_contain_text("50.0%")
    expect(row.locator("td").last).to_have_text("—")  # seconds of work give no rate
    expect(row.get_by_test_id("quality-interval")).to_contain_text("95%")
    car = page.locator('[data-testid=quality-class][data-label="car"]')
    expect(car).to_contain_text("person ×1")
    shot(page, "8-quality-tab")

    # then the confusion opens the document behind it, which opens in the studio
    car.get_by_role("button", name="person ×1").click()
    link = page.get_by_test_id("quality-document-link")
    expect(link).to_have_text(gold.name)
    shot(page, "9-quality-documents")
    link.click()
    page.wait_for_function("() => window.loupe && window.loupe.state().phase === 'ready'")
    assert page.url.endswith(f"/items/{gold.pk}/label/?document={document.pk}")
    assert console_errors == []
