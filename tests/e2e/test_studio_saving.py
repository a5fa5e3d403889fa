"""The studio's saves: change sets (PATCH) whose size is the edit's, merges by shape after a
conflict, tag groups with keys, and class ids that survive a rename."""

import io
import json
import uuid
from typing import Any

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import Page, Request, expect

from projects.models import Project
from tests.e2e.studio_helpers import (
    document_of,
    open_studio,
    put_shapes,
    select_shape,
    studio_state,
    wait_saved,
)
from tests.projects.factories import items_add, project_with_members

pytestmark = pytest.mark.django_db(transaction=True)

IMAGE_SIZE = (320, 240)


# --- helpers ---------------------------------------------------------------------------------


def boxes(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": str(uuid.UUID(int=n + 1, version=4)),
            "label": "car",
            "kind": "box",
            "points": [
                float(n % 30 * 10),
                float(n // 30 * 10),
                n % 30 * 10 + 8.0,
                n // 30 * 10 + 8.0,
            ],
        }
        for n in range(count)
    ]


def studio_with_boxes(
    page: Page, live_server, login, project: Project, api, annotator, count: int
) -> tuple[Any, list[dict[str, Any]]]:
    """An item holding `count` saved boxes, open in the annotator's studio."""
    (item,) = items_add(project, 1, size=IMAGE_SIZE)
    shapes = boxes(count)
    put_shapes(api, annotator, item, shapes)
    login(page, "bob_annotator")
    open_studio(page, f"{live_server.url}/items/{item.pk}/label/")
    return item, shapes


def record_saves(page: Page) -> list[dict[str, Any]]:
    """Every document write the page sends: method, body bytes and parsed body."""
    sent: list[dict[str, Any]] = []

    def on_request(request: Request) -> None:
        if request.url.endswith("/annotation/") and request.method in ("PUT", "PATCH"):
            body = request.post_data or ""
            sent.append(
                {"method": request.method, "bytes": len(body.encode()), "body": json.loads(body)}
            )

    page.on("request", on_request)
    return sent


# --- tests -----------------------------------------------------------------------------------


def test_a_one_shape_edit_of_a_500_shape_document_patches_that_shape_only(
    page: Page, live_server, login, project: Project, api, annotator, console_errors
):
    item, shapes = studio_with_boxes(page, live_server, login, project, api, annotator, 500)
    sent = record_saves(page)

    target = shapes[123]
    select_shape(page, target["id"])
    page.keyboard.press("ArrowDown")
    wait_saved(page)

    assert [request["method"] for request in sent] == ["PATCH"]
    body = sent[0]["body"]
    assert body["add"] == [] and body["delete"] == []
    assert [shape["id"] for shape in body["update"]] == [target["id"]]
    assert body["update"][0]["points"] == [
        target["points"][0],
        target["points"][1] + 1,
        target["points"][2],
        target["points"][3] + 1,
    ]
    assert sent[0]["bytes"] < 2048
    document = document_of(item)
    assert document.version == 2
    assert studio_state(page)["shapes"] == document.shapes
    assert studio_state(page)["version"] == 2
    expect(page.get_by_test_id("doc-version")).to_have_text("2")
    assert console_errors == []


def test_the_list_of_500_shapes_holds_the_rows_in_view_and_follows_the_selection(
    page: Page, live_server, login, project: Project, api, annotator, console_errors
):
    item, shapes = studio_with_boxes(page, live_server, login, project, api, annotator, 500)
    rows = page.get_by_test_id("shape-row")
    shape_list = page.get_by_test_id("shape-list")

    def row(shape: dict[str, Any]):
        return page.locator(f'[data-testid="shape-row"][data-shape-id="{shape["id"]}"]')

    expect(page.get_by_test_id("shape-count")).to_have_text("500")
    expect(row(shapes[0]).locator(".row-detail")).to_have_attribute("data-n", "1")
    assert 10 <= rows.count() <= 120  # a window, not 500 rows

    # Scrolled to the end, the last rows are there, numbered by their position.
    shape_list.evaluate("(list) => { list.scrollTop = list.scrollHeight; }")
    expect(row(shapes[-1])).to_be_in_viewport()
    expect(row(shapes[-1]).locator(".row-detail")).to_have_attribute("data-n", "500")
    expect(row(shapes[0])).to_have_count(0)
    assert rows.count() <= 120

    # A shape picked on the canvas brings its row into view, selected.
    target, after = shapes[250], shapes[251]
    page.keyboard.press("v")
    centre = page.evaluate(
        "([x, y]) => window.loupe.imageToScreen(x, y)",
        [
            (target["points"][0] + target["points"][2]) / 2,
            (target["points"][1] + target["points"][3]) / 2,
        ],
    )
    page.mouse.click(centre["x"], centre["y"])
    expect(row(target)).to_be_in_viewport()
    expect(row(target)).to_have_attribute("aria-selected", "true")
    expect(row(after).locator(".row-detail")).to_have_attribute("data-n", "252")

    # Deleting it from its row renumbers the rows after it and saves.
    row(target).locator(".row-delete").click()
    expect(page.get_by_test_id("shape-count")).to_have_text("499")
    expect(row(after).locator(".row-detail")).to_have_attribute("data-n", "251")
    wait_saved(page)
    assert [shape["id"] for shape in document_of(item).shapes] == [
        shape["id"] for shape in shapes if shape is not target
    ]
    assert console_errors == []


def test_the_local_copy_of_an_edit_holds_the_edit_not_the_document(
    page: Page, live_server, login, project: Project, api, annotator
):
    item, shapes = studio_with_boxes(page, live_server, login, project, api, annotator, 500)
    target = shapes[10]
    page.context.set_offline(True)
    select_shape(page, target["id"])
    page.keyboard.press("ArrowDown")
    expect(page.get_by_test_id("save-status")).to_have_text("Offline — changes kept locally")

    text = page.evaluate(
        "(key) => localStorage.getItem(key)", f"loupe:unsaved:bob_annotator:{item.pk}"
    )
    copy = json.loads(text)
    assert [(change["id"], change["index"]) for change in copy["changes"]] == [(target["id"], 10)]
    assert copy["changes"][0]["after"]["points"][1] == target["points"][1] + 1
    assert "shapes" not in copy and len(text) < 2048  # the edit, not 500 shapes

    page.context.set_offline(False)
    wait_saved(page)
    assert document_of(item).shapes[10]["points"][1] == target["points"][1] + 1
    assert page.evaluate("() => Object.keys(localStorage)") == []


def test_a_local_copy_left_by_the_earlier_studio_with_the_whole_document_is_restored(
    page: Page, live_server, login, project: Project, api, annotator
):
    (item,) = items_add(project, 1, size=IMAGE_SIZE)
    one, two, three = boxes(3)
    put_shapes(api, annotator, item, [one, two])
    login(page, "bob_annotator")
    # The format written before local copies held the edits only: the document and the edits.
    saved = document_of(item).shapes
    added = {**three, "label_id": saved[0]["label_id"], "attributes": {}, "occluded": False}
    copy = {
        "baseVersion": 1,
        "shapes": [saved[0], added, saved[1]],
        "changes": [{"id": three["id"], "before": None, "after": added}],
        "savedAt": 0,
        "tab": "an-older-tab",
    }
    page.evaluate(
        "([key, value]) => localStorage.setItem(key, value)",
        [f"loupe:unsaved:bob_annotator:{item.pk}", json.dumps(copy)],
    )

    open_studio(page, f"{live_server.url}/items/{item.pk}/label/")
    wait_saved(page)

    document = document_of(item)
    assert [shape["id"] for shape in document.shapes] == [one["id"], three["id"], two["id"]]
    assert studio_state(page)["shapes"] == document.shapes
    assert page.evaluate("() => Object.keys(localStorage)") == []


def test_undoing_a_delete_saves_the_shape_back_in_its_place(
    page: Page, live_server, login, project: Project, api, annotator
):
    item, shapes = studio_with_boxes(page, live_server, login, project, api, annotator, 3)
    sent = record_saves(page)
    select_shape(page, shapes[1]["id"])
    page.keyboard.press("Delete")
    wait_saved(page)
    assert [shape["id"] for shape in document_of(item).shapes] == [shapes[0]["id"], shapes[2]["id"]]

    page.keyboard.press("Control+z")
    wait_saved(page)

    # A change set can only append: the shape put back in the middle goes as the whole list.
    assert [request["method"] for request in sent] == ["PATCH", "PUT"]
    document = document_of(item)
    assert [shape["id"] for shape in document.shapes] == [shape["id"] for shape in shapes]
    assert studio_state(page)["shapes"] == document.shapes


def test_after_edits_repainted_in_place_the_canvas_equals_a_full_repaint(
    page: Page, live_server, login, project: Project, api, annotator
):
    # Past 200 shapes in view an edit repaints only the pixels around what it changed: the
    # picture must be the one a full repaint of the same shapes gives.
    item, shapes = studio_with_boxes(page, live_server, login, project, api, annotator, 500)
    canvas = page.get_by_test_id("studio-canvas")
    for shape, keys in ((shapes[40], ["ArrowDown"] * 3), (shapes[41], ["Shift+ArrowRight"])):
        select_shape(page, shape["id"])
        for key in keys:
            page.keyboard.press(key)
    select_shape(page, shapes[200]["id"])
    page.keyboard.press("Delete")
    page.keyboard.press("Escape")
    page.mouse.move(1, 1)
    wait_saved(page)
    paints = page.evaluate("() => window.loupe.paints().shapes")
    page.wait_for_timeout(300)
    in_place = Image.open(io.BytesIO(canvas.screenshot()))

    page.evaluate("() => window.loupe.view.zoom(1.5, 200, 200)")
    page.wait_for_function("(n) => window.loupe.paints().shapes > n", arg=paints)
    page.evaluate("() => window.loupe.view.fit()")
    # Back at the same view, the layer is drawn in full once the view has settled.
    page.wait_for_function("(n) => window.loupe.paints().shapes > n + 2", arg=paints)
    page.wait_for_timeout(300)
    full = Image.open(io.BytesIO(canvas.screenshot()))

    assert in_place.size == full.size
    # Antialiased edges may round one level apart where a combined path met a partial one.
    extrema = ImageChops.difference(in_place.convert("RGB"), full.convert("RGB")).getextrema()
    assert max(high for _, high in extrema) <= 2, extrema
    assert len(document_of(item).shapes) == 499


def test_two_tabs_merge_by_shape_and_only_a_shape_changed_on_both_sides_asks(
    page: Page, live_server, login, project: Project, api, annotator
):
    (item,) = items_add(project, 1, size=IMAGE_SIZE)
    one, two, three = boxes(3)
    put_shapes(api, annotator, item, [one, two, three])
    login(page, "bob_annotator")
    url = f"{live_server.url}/items/{item.pk}/label/"
    tab_a = page
    open_studio(tab_a, url)
    tab_b = page.context.new_page()
    open_studio(tab_b, url)

    # A moves shape 1, B (still at version 1) moves shape 2: both moves reach the server.
    tab_a.bring_to_front()  # a background tab's timers are throttled
    select_shape(tab_a, one["id"])
    tab_a.keyboard.press("Shift+ArrowDown")
    wait_saved(tab_a)
    tab_b.bring_to_front()
    select_shape(tab_b, two["id"])
    tab_b.keyboard.press("Shift+ArrowRight")
    wait_saved(tab_b)
    expect(tab_b.get_by_test_id("conflict-banner")).to_be_hidden()
    by_id = {shape["id"]: shape for shape in document_of(item).shapes}
    assert by_id[one["id"]]["points"] == [0, 10, 8, 18]
    assert by_id[two["id"]]["points"] == [20, 0, 28, 8]
    assert by_id[three["id"]]["points"] == three["points"]
    # B's page took A's move in the merge.
    assert studio_state(tab_b)["shapes"] == document_of(item).shapes

    # Both edit shape 3: A (behind B) merges cleanly; B then has to choose.
    tab_a.bring_to_front()
    select_shape(tab_a, three["id"])
    tab_a.keyboard.press("Shift+ArrowDown")
    wait_saved(tab_a)
    assert studio_state(tab_a)["shapes"] == document_of(item).shapes
    tab_b.bring_to_front()
    select_shape(tab_b, three["id"])
    tab_b.keyboard.press("Shift+ArrowLeft")
    expect(tab_b.get_by_test_id("conflict-banner")).to_be_visible()
    rows = tab_b.get_by_test_id("conflict-row")
    expect(rows).to_have_count(1)
    expect(rows).to_have_attribute("data-shape-id", three["id"])
    expect(tab_b.get_by_test_id("save-status")).to_have_text("Conflict")
    tab_b.screenshot(path="/tmp/shots/merge-choice.png")
    # Nothing was written while the choice is open; A's geometry is still the server's.
    assert {s["id"]: s for s in document_of(item).shapes}[three["id"]]["points"] == [20, 10, 28, 18]

    rows.first.get_by_test_id("conflict-keep-mine").click()
    wait_saved(tab_b)
    expect(tab_b.get_by_test_id("conflict-banner")).to_be_hidden()
    document = document_of(item)
    by_id = {shape["id"]: shape for shape in document.shapes}
    assert by_id[three["id"]]["points"] == [10, 0, 18, 8]
    assert by_id[one["id"]]["points"] == [0, 10, 8, 18]
    assert by_id[two["id"]]["points"] == [20, 0, 28, 8]
    assert studio_state(tab_b)["shapes"] == document.shapes

    # And "keep theirs" takes the other side's shape into the page.
    tab_a.bring_to_front()
    select_shape(tab_a, three["id"])
    tab_a.keyboard.press("ArrowUp")
    expect(tab_a.get_by_test_id("conflict-row")).to_have_count(1)
    tab_a.get_by_test_id("conflict-keep-theirs").click()
    wait_saved(tab_a)
    assert studio_state(tab_a)["shapes"] == document_of(item).shapes
    assert {s["id"]: s for s in document_of(item).shapes}[three["id"]]["points"] == [10, 0, 18, 8]


TAG_LABELS: list[dict[str, Any]] = [
    {"name": "car", "color": "#ff0000", "kind": "box"},
    {"name": "day", "color": "#ffee00", "kind": "tag", "group": "time", "group_choice": "single"},
    {"name": "night", "color": "#000080", "kind": "tag", "group": "time"},
    {
        "name": "rain",
        "color": "#0088ff",
        "kind": "tag",
        "group": "weather",
        "group_choice": "multi",
    },
    {"name": "fog", "color": "#aaaaaa", "kind": "tag", "group": "weather", "group_choice": "multi"},
]


def tag_names(shapes: list[dict[str, Any]]) -> list[str]:
    return sorted(shape["label"] for shape in shapes if shape["kind"] == "tag")


def test_tag_keys_toggle_a_single_choice_group_as_radio_buttons_and_a_multi_group_as_checkboxes(
    page: Page, live_server, login, manager, annotator, console_errors
):
    project = project_with_members(manager=manager, labels=TAG_LABELS, bob_annotator="annotator")
    (item,) = items_add(project, 1, size=IMAGE_SIZE)
    login(page, "bob_annotator")
    open_studio(page, f"{live_server.url}/items/{item.pk}/label/")
    sent = record_saves(page)
    groups = page.get_by_test_id("tag-group")
    expect(groups).to_have_count(2)
    expect(groups.nth(0).locator("h3")).to_have_text("time")
    expect(groups.nth(0)).to_have_attribute("data-choice", "single")
    expect(groups.nth(1)).to_have_attribute("data-choice", "multi")
    expect(page.locator('.tag-option:has([data-label="night"]) kbd')).to_have_text("⇧2")
    page.get_by_test_id("studio-canvas").focus()

    page.keyboard.press("Shift+Digit1")  # day
    wait_saved(page)
    assert tag_names(document_of(item).shapes) == ["day"]
    page.keyboard.press("Shift+Digit2")  # night unticks day, in one change set
    wait_saved(page)
    assert tag_names(document_of(item).shapes) == ["night"]
    assert sent[-1]["method"] == "PATCH"
    assert len(sent[-1]["body"]["add"]) == 1 and len(sent[-1]["body"]["delete"]) == 1
    expect(page.locator('[data-testid="tag-toggle"][data-label="day"]')).not_to_be_checked()
    expect(page.locator('[data-testid="tag-toggle"][data-label="night"]')).to_be_checked()

    page.keyboard.press("Shift+Digit3")  # rain and fog: both, a multi-choice group
    page.keyboard.press("Shift+Digit4")
    wait_saved(page)
    assert tag_names(document_of(item).shapes) == ["fog", "night", "rain"]
    page.keyboard.press("Shift+Digit4")  # untick fog
    wait_saved(page)
    document = document_of(item)
    assert tag_names(document.shapes) == ["night", "rain"]
    assert studio_state(page)["shapes"] == document.shapes
    assert studio_state(page)["activeLabel"] == "car"  # Shift+n never picks a drawing class

    page.keyboard.press("?")
    help_text = page.get_by_test_id("help-overlay").inner_text()
    assert "Shift+1" in help_text and "Tick or untick the n-th image tag" in help_text
    page.keyboard.press("?")
    page.screenshot(path="/tmp/shots/tag-groups.png")
    assert console_errors == []


def test_a_class_renamed_while_the_studio_is_open_keeps_its_shapes_under_the_new_name(
    page: Page, live_server, login, project: Project, api, manager, console_errors
):
    (item,) = items_add(project, 1, size=IMAGE_SIZE)
    login(page, "bob_annotator")
    url = f"{live_server.url}/items/{item.pk}/label/"
    open_studio(page, url)
    car_id = next(label["id"] for label in project.labels if label["name"] == "car")

    page.keyboard.press("r")
    start = page.evaluate("() => window.loupe.imageToScreen(40, 40)")
    end = page.evaluate("() => window.loupe.imageToScreen(120, 100)")
    page.mouse.move(start["x"], start["y"])
    page.mouse.down()
    page.mouse.move(end["x"], end["y"], steps=5)
    page.mouse.up()
    wait_saved(page)
    (drawn,) = document_of(item).shapes
    assert drawn["label"] == "car" and drawn["label_id"] == car_id

    labels = [
        {**label, "name": "automobile"} if label["id"] == car_id else label
        for label in project.labels
    ]
    response = api(manager).patch(
        f"/api/v1/projects/{project.pk}/", {"labels": labels}, format="json"
    )
    assert response.status_code == 200, response.content

    open_studio(page, url)
    rows = page.get_by_test_id("shape-row")
    expect(rows).to_have_count(1)
    expect(rows).to_have_attribute("data-label", "automobile")
    expect(page.locator('[data-testid="label-option"][data-label="automobile"]')).to_be_visible()
    expect(page.get_by_text("Unknown label")).to_have_count(0)
    (shape,) = studio_state(page)["shapes"]
    assert shape["label"] == "automobile" and shape["label_id"] == car_id
    # Re-classing and drawing under the new name save with the same id.
    page.keyboard.press("r")
    page.mouse.move(
        *(lambda p: (p["x"], p["y"]))(page.evaluate("() => window.loupe.imageToScreen(150, 120)"))
    )
    page.mouse.down()
    end = page.evaluate("() => window.loupe.imageToScreen(220, 200)")
    page.mouse.move(end["x"], end["y"], steps=5)
    page.mouse.up()
    wait_saved(page)
    shapes = document_of(item).shapes
    assert [(s["label"], s["label_id"]) for s in shapes] == [("automobile", car_id)] * 2
    assert studio_state(page)["shapes"] == shapes
    assert console_errors == []


def test_changes_kept_offline_are_merged_by_shape_with_what_was_saved_meanwhile(
    page: Page, live_server, login, project: Project, api, annotator
):
    (item,) = items_add(project, 1, size=IMAGE_SIZE)
    one, two = boxes(2)
    put_shapes(api, annotator, item, [one, two])
    login(page, "bob_annotator")
    url = f"{live_server.url}/items/{item.pk}/label/"
    open_studio(page, url)
    context = page.context

    context.set_offline(True)
    select_shape(page, one["id"])
    page.keyboard.press("Shift+ArrowDown")
    expect(page.get_by_test_id("save-status")).to_have_text("Offline — changes kept locally")
    page.close()

    # Meanwhile another client moves shape 2.
    moved_two = {**two, "points": [10.0, 50.0, 18.0, 58.0]}
    response = api(annotator).patch(
        f"/api/v1/items/{item.pk}/annotation/",
        {"update": [moved_two]},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content

    context.set_offline(False)
    reopened = context.new_page()
    open_studio(reopened, url)
    wait_saved(reopened)
    expect(reopened.get_by_test_id("conflict-banner")).to_be_hidden()
    document = document_of(item)
    by_id = {shape["id"]: shape for shape in document.shapes}
    assert by_id[one["id"]]["points"] == [0, 10, 8, 18]
    assert by_id[two["id"]]["points"] == [10, 50, 18, 58]
    assert studio_state(reopened)["shapes"] == document.shapes
    assert reopened.evaluate("() => Object.keys(localStorage)") == []
