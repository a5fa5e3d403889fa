"""The training course in a real browser: guidelines, a training item and its feedback screen,
the qualification exam, then real work."""

import pytest
from playwright.sync_api import Page, expect

from projects.models import Project
from quality.scoring import score_item
from tests.annotate.factories import box
from tests.e2e.studio_helpers import document_of, drag, studio_state
from tests.projects.factories import items_add
from tests.quality.factories import gold_add

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = "/tmp/shots/training"
IMAGE_SIZE = (320, 240)


def wait_for_item(page: Page, name: str) -> None:
    expect(page.get_by_test_id("item-name")).to_have_text(name)
    page.wait_for_function("() => window.loupe.state().phase === 'ready'")


def draw_box(page: Page, points: tuple[float, float, float, float]) -> None:
    page.keyboard.press("r")
    drag(page, points[:2], points[2:])


def test_an_annotator_trains_sees_feedback_passes_the_exam_and_gets_real_work(
    page: Page, live_server, login, project: Project, manager, console_errors: list[str]
):
    # given a training item whose answer has three boxes, two hidden gold items for a two-item
    # exam, and one task item
    Project.objects.filter(pk=project.pk).update(
        guidelines="# Boxes\n\nDraw a **tight box** around every car and person.",
        exam_items=2,
        gold_rate=0.0,
    )
    (training,) = items_add(project, role="training", size=IMAGE_SIZE)
    gold_shapes = [
        box("car", (20, 30, 120, 110)),
        box("person", (180, 40, 290, 140)),
        box("car", (40, 150, 140, 230)),
    ]
    gold_add(training, manager, gold_shapes)
    golds = items_add(project, 2, role="gold", size=IMAGE_SIZE)
    for gold in golds:
        gold_add(gold, manager, [box("car", (20, 30, 120, 110))])
    (task,) = items_add(project, role="task", size=IMAGE_SIZE)

    # when the annotator opens the queue: the guidelines come first
    login(page, "bob_annotator")
    page.goto(f"{live_server.url}/projects/{project.pk}/label/")
    expect(page.get_by_test_id("course-title")).to_have_text("Training")
    expect(page.get_by_test_id("course-guidelines")).to_contain_text("tight box")
    page.screenshot(path=f"{SHOTS}/1-guidelines.png")
    page.get_by_test_id("start-training").click()

    # the training item, labelled with one right box, one of the wrong class and one extra
    wait_for_item(page, training.name)
    expect(page.get_by_test_id("item-position")).to_have_text("Training 1 of 1")
    expect(page.get_by_test_id("skip-button")).to_be_hidden()
    draw_box(page, (21, 31, 119, 111))
    draw_box(page, (181, 41, 289, 139))  # a car where the answer has a person
    draw_box(page, (200, 170, 300, 232))  # nothing there in the answer
    expect(page.get_by_test_id("save-status")).to_have_text("Saved")
    page.get_by_test_id("submit-button").click()

    # then the feedback screen: the answer dashed, each shape coloured by its outcome
    panel = page.get_by_test_id("feedback-panel")
    expect(panel).to_be_visible()
    # the editable shape list, emptied while the feedback layer draws, does not say "No shapes"
    expect(page.locator(".panel-shapes")).to_be_hidden()
    overlay = page.get_by_test_id("feedback-overlay")
    expect(overlay.locator("path.fb-gold")).to_have_count(3)
    expect(overlay.locator("path.fb-gold.fb-missed")).to_have_count(1)
    expect(overlay.locator("path.fb-mine.fb-correct")).to_have_count(1)
    expect(overlay.locator("path.fb-mine.fb-wrong-class")).to_have_count(1)
    expect(overlay.locator("path.fb-mine.fb-extra")).to_have_count(1)
    expected = score_item(
        gold_shapes, document_of(training).shapes, labels=Project.objects.get().labels
    )
    assert (expected.tp, expected.class_errors, expected.fp, expected.fn) == (1, 1, 1, 1)
    expect(page.get_by_test_id("feedback-accuracy")).to_have_text(
        f"{round(expected.accuracy * 100)}%"
    )
    expect(page.get_by_test_id("feedback-precision")).to_have_text(
        f"{round(expected.precision * 100)}%"
    )
    expect(page.get_by_test_id("feedback-recall")).to_have_text(f"{round(expected.recall * 100)}%")
    expect(page.get_by_test_id("feedback-count-wrong-class")).to_contain_text("1")
    # the key that jumps to the next error is on its button and in the ? help
    expect(page.get_by_test_id("feedback-next-error")).to_contain_text("N")
    page.keyboard.press("n")
    expect(page.get_by_test_id("feedback-error-text")).to_contain_text("1 of 3")
    expect(overlay.locator("path.is-current")).not_to_have_count(0)
    page.screenshot(path=f"{SHOTS}/2-feedback.png")
    page.keyboard.press("?")
    expect(page.get_by_test_id("help-overlay")).to_contain_text("bring the next error into view")
    page.keyboard.press("Escape")
    assert studio_state(page)["shapes"] == []  # nothing of the answer enters the document
    page.get_by_test_id("feedback-continue").click()

    # the exam: blind, two hidden gold items labelled right
    expect(page.get_by_test_id("course-title")).to_have_text("Qualification exam")
    page.screenshot(path=f"{SHOTS}/3-exam-intro.png")
    page.get_by_test_id("start-exam").click()
    for number in (1, 2):
        expect(page.get_by_test_id("item-position")).to_have_text(f"Exam {number} of 2")
        page.wait_for_function("() => window.loupe.state().phase === 'ready'")
        expect(page.locator(".panel-shapes")).to_be_visible()  # back once feedback is over
        draw_box(page, (21, 31, 119, 111))
        expect(page.get_by_test_id("save-status")).to_have_text("Saved")
        page.get_by_test_id("submit-button").click()
        expect(page.get_by_test_id("feedback-panel")).to_be_hidden()

    # then the verdict, and real work
    expect(page.get_by_test_id("course-title")).to_have_text("You passed the qualification exam")
    expect(page.get_by_test_id("exam-result")).to_contain_text("100%")
    page.screenshot(path=f"{SHOTS}/4-passed.png")
    page.get_by_test_id("course-continue").click()
    wait_for_item(page, task.name)
    expect(page.get_by_test_id("skip-button")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/5-real-work.png")
    assert console_errors == []
