"""Pre-annotations in a real browser: a model's predictions, imported through the imports API,
shown dashed with their scores; accepted by key (one or all above a threshold), corrected by
editing, rejected; only what was accepted is saved. A gold answer is never shown."""

import io
import json
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from projects.models import Item, Project
from tests.e2e.studio_helpers import (
    assert_points,
    drag,
    open_item,
    saved_after_reload,
    studio_state,
)
from tests.projects.factories import items_add, project_with_members
from tests.quality.factories import gold_add

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = "/tmp/shots/studio"
LABELS: list[dict[str, Any]] = [
    {"name": "car", "color": "#ff3030", "kind": "box"},
    {"name": "building", "color": "#30a0ff", "kind": "polygon"},
]
CAR_A = [30.0, 30.0, 110.0, 90.0]
CAR_B = [150.0, 40.0, 260.0, 120.0]
BUILDING_C = [40.0, 150.0, 120.0, 150.0, 80.0, 220.0]


@pytest.fixture
def predictions_project(manager, annotator) -> Project:
    return project_with_members(manager=manager, labels=LABELS, bob_annotator="annotator")


def predicted(label: str, kind: str, points: list[float], score: float) -> dict[str, Any]:
    shape_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{label}/{points}"))
    return {"id": shape_id, "label": label, "kind": kind, "points": points, "score": score}


def import_predictions(api, manager, project: Project, item: Item) -> list[dict[str, Any]]:
    """Imports a model's output for the item through the imports API, as a manager would."""
    shapes = [
        predicted("car", "box", CAR_A, 0.9),
        predicted("car", "box", CAR_B, 0.6),
        predicted("building", "polygon", BUILDING_C, 0.3),
    ]
    header = {"format": "loupe-jsonl", "version": 1, "labels": project.labels}
    line = {"file_name": item.name, "sha256": item.asset.sha256, "width": 320, "height": 240}
    data = b"".join(
        json.dumps(row).encode() + b"\n" for row in [header, {**line, "shapes": shapes}]
    )
    upload = io.BytesIO(data)
    upload.name = "model.jsonl"
    response = api(manager).post(
        f"/api/v1/projects/{project.pk}/imports/",
        {"file": upload, "format": "jsonl", "target": "predictions"},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    job = api(manager).get(f"/api/v1/jobs/{response.json()['id']}/").json()
    assert job["status"] == "succeeded", job
    return shapes


def focus_canvas(page: Page) -> None:
    page.get_by_test_id("studio-canvas").focus()


def test_predictions_are_accepted_corrected_and_rejected_by_key_and_only_those_saved(
    page: Page,
    live_server,
    login,
    predictions_project,
    api,
    manager,
    annotator,
    tasks_in_process,
    console_errors,
):
    # given a model's three predictions imported for an item
    (item,) = items_add(predictions_project, 1, size=(320, 240))
    car_a, car_b, building_c = import_predictions(api, manager, predictions_project, item)

    # when the annotator opens it, they are offered as predictions, not as the document
    open_item(page, live_server, login, item)
    expect(page.get_by_test_id("prediction-count")).to_have_text("3")
    expect(page.locator(".shape-row.is-prediction")).to_have_count(3)
    expect(page.get_by_test_id("shape-count")).to_have_text("0")
    offered = studio_state(page)["predictions"]
    assert [(s["id"], s["prediction"]["score"]) for s in offered] == [
        (car_a["id"], 0.9),
        (car_b["id"], 0.6),
        (building_c["id"], 0.3),
    ]
    assert studio_state(page)["shapes"] == []
    assert page.evaluate("() => window.loupe.pendingChanges()") == {
        "add": [],
        "update": [],
        "delete": [],
    }
    page.screenshot(path=f"{SHOTS}/predictions-offered.png")

    # Shift+P hides them all, and shows them again
    focus_canvas(page)
    page.keyboard.press("Shift+P")
    assert set(studio_state(page)["hidden"]) == {car_a["id"], car_b["id"], building_c["id"]}
    expect(page.get_by_test_id("prediction-toggle")).to_contain_text("Show")
    page.keyboard.press("Shift+P")
    assert studio_state(page)["hidden"] == []

    # Tab reaches the first; A accepts it (undoably) and moves on to the next
    page.keyboard.press("Tab")
    assert studio_state(page)["selectedId"] == car_a["id"]
    page.keyboard.press("a")
    (accepted,) = studio_state(page)["shapes"]
    assert (accepted["id"], accepted["points"], "prediction" in accepted) == (
        car_a["id"],
        CAR_A,
        False,
    )
    assert studio_state(page)["selectedId"] == car_b["id"]
    page.keyboard.press("Control+z")
    assert studio_state(page)["shapes"] == []
    page.keyboard.press("Control+Shift+z")
    assert [s["id"] for s in studio_state(page)["shapes"]] == [car_a["id"]]

    # dragging a corner of the second corrects it, which accepts it with the edit
    page.keyboard.press("v")
    page.locator(f'[data-testid="shape-row"][data-shape-id="{car_b["id"]}"]').click()
    focus_canvas(page)
    drag(page, (260, 120), (280, 140))
    corrected = studio_state(page)["shapes"][1]
    assert corrected["id"] == car_b["id"] and "prediction" not in corrected
    assert_points(corrected["points"], [150, 40, 280, 140])
    page.screenshot(path=f"{SHOTS}/predictions-corrected.png")

    # and X rejects the third
    page.keyboard.press("Tab")
    assert studio_state(page)["selectedId"] == building_c["id"]
    page.keyboard.press("x")
    assert studio_state(page)["predictions"] == []
    expect(page.get_by_test_id("shape-count")).to_have_text("2")

    # then the saved document holds exactly those two, and nothing is offered again
    saved = saved_after_reload(page, api, annotator, item)
    assert [s["id"] for s in saved] == [car_a["id"], car_b["id"]]
    assert saved[0]["points"] == CAR_A
    assert_points(saved[1]["points"], [150, 40, 280, 140])
    assert studio_state(page)["predictions"] == []
    assert console_errors == []


def test_shift_a_accepts_every_prediction_scored_at_or_above_the_threshold(
    page: Page, live_server, login, predictions_project, api, manager, annotator, tasks_in_process
):
    (item,) = items_add(predictions_project, 1, size=(320, 240))
    car_a, car_b, building_c = import_predictions(api, manager, predictions_project, item)
    open_item(page, live_server, login, item)
    expect(page.get_by_test_id("prediction-count")).to_have_text("3")

    page.get_by_test_id("prediction-threshold").fill("0.5")
    focus_canvas(page)
    page.keyboard.press("Shift+A")

    assert [s["id"] for s in studio_state(page)["shapes"]] == [car_a["id"], car_b["id"]]
    assert [s["id"] for s in studio_state(page)["predictions"]] == [building_c["id"]]
    expect(page.get_by_test_id("studio-message")).to_contain_text("2 predictions")
    saved = saved_after_reload(page, api, annotator, item)
    assert [(s["id"], s["points"]) for s in saved] == [(car_a["id"], CAR_A), (car_b["id"], CAR_B)]
    # the one left under the threshold is still offered after the reload
    assert [s["id"] for s in studio_state(page)["predictions"]] == [building_c["id"]]


def test_a_gold_item_offers_its_models_predictions_never_its_gold_answer(
    page: Page, live_server, login, predictions_project, api, manager, tasks_in_process
):
    # given a gold item with a gold answer and a model's predictions
    (item,) = items_add(predictions_project, 1, size=(320, 240), role="gold")
    answer = predicted("car", "box", [5.0, 5.0, 60.0, 60.0], 1.0)
    del answer["score"]
    gold_add(item, manager, [answer])
    imported = import_predictions(api, manager, predictions_project, item)

    # when the annotator opens it
    open_item(page, live_server, login, item)
    expect(page.get_by_test_id("prediction-count")).to_have_text("3")

    # then only the model's shapes are offered, and the document is empty
    assert [s["id"] for s in studio_state(page)["predictions"]] == [s["id"] for s in imported]
    assert answer["id"] not in page.content()
    assert studio_state(page)["shapes"] == []
