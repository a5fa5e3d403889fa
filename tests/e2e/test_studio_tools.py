"""The studio's drawing tools in a real browser: every kind drawn, edited, undone, redone, saved
and read back through the API with its exact geometry."""

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from projects.models import Item, Project
from tests.annotate.factories import box
from tests.e2e.studio_helpers import (
    assert_points,
    click_image,
    drag,
    open_item,
    points_of,
    put_shapes,
    saved_after_reload,
    saved_shapes,
    saved_when_settled,
    select_shape,
    studio_state,
    to_screen,
    wait_ready,
    wait_saved,
)
from tests.projects.factories import items_add, project_with_members

pytestmark = pytest.mark.django_db(transaction=True)

IMAGE_SIZE = (320, 240)
LABELS: list[dict[str, Any]] = [
    {"name": "car", "color": "#ff0000", "kind": "box"},
    {"name": "person", "color": "#00ff00", "kind": "box"},
    {
        "name": "building",
        "color": "#ffaa00",
        "kind": "polygon",
        "attributes": [{"name": "note", "type": "text"}],
    },
    {"name": "lane", "color": "#00aaff", "kind": "polyline"},
    {
        "name": "face",
        "color": "#ff00ff",
        "kind": "keypoints",
        "keypoints": ["left_eye", "right_eye", "nose"],
        "skeleton": [[0, 1], [0, 2], [1, 2]],
    },
    {"name": "crate", "color": "#aaff00", "kind": "cuboid"},
    {"name": "road", "color": "#8888ff", "kind": "mask"},
    {"name": "night", "color": "#000080", "kind": "tag"},
]


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def tools_project(manager, annotator) -> Project:
    return project_with_members(manager=manager, labels=LABELS, bob_annotator="annotator")


@pytest.fixture
def item(tools_project) -> Item:
    (item,) = items_add(tools_project, 1, size=IMAGE_SIZE)
    return item


@pytest.fixture
def read_saved(page: Page, api, annotator, item: Item) -> Callable[..., list[dict[str, Any]]]:
    """read_saved() waits for "Saved" and returns the shapes the server holds; with
    reload=True it also reloads the studio and checks it shows exactly those."""

    def _saved(reload: bool = False) -> list[dict[str, Any]]:
        read = saved_after_reload if reload else saved_when_settled
        return read(page, api, annotator, item)

    return _saved


@pytest.fixture
def seed(api, annotator, item: Item) -> Callable[[list[dict[str, Any]]], None]:
    """seed(shapes) saves the annotator's first version of the item, before the studio opens."""
    return lambda shapes: put_shapes(api, annotator, item, shapes)


@pytest.fixture
def open_studio(page: Page, live_server, login, item: Item) -> Callable[[], None]:
    """open_studio() opens the item in the annotator's studio (after any shapes are put)."""
    return lambda: open_item(page, live_server, login, item)


# --- tests -----------------------------------------------------------------------------------


def test_polygon_clicked_closed_vertex_dragged_undone_redone_and_saved_exactly(
    page: Page, open_studio, read_saved, console_errors
):
    open_studio()
    page.keyboard.press("p")
    expect(page.get_by_test_id("tool-polygon")).to_have_attribute("aria-pressed", "true")
    corners = [(40, 40), (200, 50), (210, 160), (50, 150)]
    for x, y in corners:
        click_image(page, x, y)
    expect(page.get_by_test_id("tool-prompt")).to_contain_text("Enter or double-click")
    click_image(page, 40, 40)  # the first vertex closes the polygon
    expect(page.get_by_test_id("shape-row")).to_have_count(1)
    drawn = studio_state(page)["shapes"][0]
    assert drawn["kind"] == "polygon" and drawn["label"] == "building"
    assert_points(drawn["points"], [40, 40, 200, 50, 210, 160, 50, 150])
    assert studio_state(page)["selectedId"] is None  # the tool stays armed, nothing selected
    page.screenshot(path="/tmp/shots/studio-polygon-drawn.png")

    page.keyboard.press("v")
    click_image(page, 120, 100)
    assert studio_state(page)["selectedId"] == drawn["id"]
    drag(page, (210, 160), (250, 200))  # the third vertex
    edited = points_of(page)
    assert_points(edited, [40, 40, 200, 50, 250, 200, 50, 150])
    page.screenshot(path="/tmp/shots/studio-polygon-edited.png")

    page.keyboard.press("Control+z")
    assert points_of(page) == drawn["points"]
    page.keyboard.press("Control+Shift+z")
    assert points_of(page) == edited
    (saved,) = read_saved(reload=True)
    expect(page.get_by_test_id("shape-row")).to_have_count(1)
    assert saved["id"] == drawn["id"]
    assert saved["points"] == edited
    assert_points(saved["points"], [40, 40, 200, 50, 250, 200, 50, 150])
    assert console_errors == []


def test_polygon_keys_backspace_escape_enter_midpoint_insert_and_alt_click_delete(
    page: Page, open_studio, read_saved
):
    open_studio()
    page.keyboard.press("p")
    for x, y in [(20, 20), (100, 20), (60, 90)]:
        click_image(page, x, y)
    page.keyboard.press("Escape")  # cancels the whole polygon
    expect(page.get_by_test_id("tool-prompt")).to_have_text("")
    assert studio_state(page)["shapes"] == []

    for x, y in [(20, 20), (100, 20), (150, 150), (60, 90)]:
        click_image(page, x, y)
    page.keyboard.press("Backspace")  # drops (60, 90)
    page.keyboard.press("Enter")
    (shape,) = studio_state(page)["shapes"]
    assert_points(shape["points"], [20, 20, 100, 20, 150, 150])

    select_shape(page, shape["id"])
    drag(page, (60, 20), (60, 5))  # the midpoint of the first edge inserts a vertex
    assert_points(points_of(page), [20, 20, 60, 5, 100, 20, 150, 150])
    click_image(page, 100, 20, holding="Alt")  # Alt+click deletes that vertex
    assert_points(points_of(page), [20, 20, 60, 5, 150, 150])
    (saved,) = read_saved()
    assert_points(saved["points"], [20, 20, 60, 5, 150, 150])


def test_polygon_vertex_snaps_to_another_shape_while_ctrl_is_held(
    page: Page, open_studio, read_saved
):
    open_studio()
    page.keyboard.press("p")
    for x, y in [(20, 20), (120.4, 20.3), (70, 100)]:
        click_image(page, x, y)
    page.keyboard.press("Enter")
    first = points_of(page)
    click_image(page, first[2] + 2, first[3] + 2, holding="Control")
    click_image(page, 200, 30)
    click_image(page, 180, 120)
    page.keyboard.press("Enter")
    second = points_of(page, 1)
    assert second[0:2] == first[2:4]
    assert read_saved()[1]["points"][0:2] == first[2:4]


def test_polyline_double_click_finishes_vertex_edit_undo_redo_and_reload(
    page: Page, open_studio, read_saved
):
    open_studio()
    page.keyboard.press("l")
    click_image(page, 10, 200)
    click_image(page, 100, 150)
    page.mouse.dblclick(*to_screen(page, 300, 40))
    (line,) = studio_state(page)["shapes"]
    assert line["kind"] == "polyline" and line["label"] == "lane"
    assert_points(line["points"], [10, 200, 100, 150, 300, 40])

    select_shape(page, line["id"])
    drag(page, (100, 150), (120, 170))
    assert_points(points_of(page), [10, 200, 120, 170, 300, 40])
    page.keyboard.press("Control+z")
    assert_points(points_of(page), [10, 200, 100, 150, 300, 40])
    page.keyboard.press("Control+y")
    (saved,) = read_saved(reload=True)
    assert_points(saved["points"], [10, 200, 120, 170, 300, 40])


def test_keypoints_prompt_each_point_skip_one_drag_one_and_set_visibility(
    page: Page, open_studio, read_saved
):
    open_studio()
    page.keyboard.press("k")
    prompt = page.get_by_test_id("tool-prompt")
    expect(prompt).to_have_text("Click left_eye")
    click_image(page, 100, 80)
    expect(prompt).to_contain_text("Click right_eye (2 of 3")
    page.keyboard.press("n")  # right_eye is not in the picture
    expect(prompt).to_contain_text("Click nose (3 of 3")
    click_image(page, 120, 110)
    (face,) = studio_state(page)["shapes"]
    assert face["kind"] == "keypoints"
    assert_points(face["points"], [100, 80, 2, 0, 0, 0, 120, 110, 2])
    assert face["points"][3:6] == [0, 0, 0]
    page.screenshot(path="/tmp/shots/studio-keypoints.png")

    select_shape(page, face["id"])
    drag(page, (120, 110), (130, 130))  # the nose alone
    assert_points(points_of(page), [100, 80, 2, 0, 0, 0, 130, 130, 2])
    assert studio_state(page)["activeVertex"] == "v2"
    page.keyboard.press("Alt+1")  # the nose is occluded
    assert points_of(page)[8] == 1
    page.keyboard.press("Control+z")
    assert points_of(page)[8] == 2
    page.keyboard.press("Control+Shift+z")
    (saved,) = read_saved(reload=True)
    assert_points(saved["points"], [100, 80, 2, 0, 0, 0, 130, 130, 1])
    assert saved["points"][3:6] == [0, 0, 0]


def test_rotated_box_drawn_rotated_by_its_handle_and_saved(page: Page, open_studio, read_saved):
    open_studio()
    page.keyboard.press("r")
    drag(page, (100, 80), (200, 140))
    (drawn,) = studio_state(page)["shapes"]
    assert_points(drawn["points"], [100, 80, 200, 140])
    select_shape(page, drawn["id"])
    handle = page.locator('[data-handle="rotate"]')
    expect(handle).to_have_count(1)
    bounds = handle.bounding_box()
    assert bounds is not None
    page.mouse.move(bounds["x"] + bounds["width"] / 2, bounds["y"] + bounds["height"] / 2)
    page.mouse.down()
    page.mouse.move(*to_screen(page, 260, 110), steps=6)  # due east of the centre: 90 degrees
    page.mouse.up()
    rotated = studio_state(page)["shapes"][0]
    assert abs(rotated["rotation"] - 90) <= 0.5, rotated["rotation"]
    assert rotated["points"] == drawn["points"]
    page.screenshot(path="/tmp/shots/studio-rotated-box.png")
    page.keyboard.press("Control+z")
    assert "rotation" not in studio_state(page)["shapes"][0]
    page.keyboard.press("Control+Shift+z")
    page.evaluate("() => document.querySelector('[data-testid=\"studio-canvas\"]').focus()")
    # Rotated a quarter turn, the box's east side faces down: its handle sits at (150, 160).
    # Dragged 20 px further, the box grows along its own axis and its west side stays put.
    drag(page, (150, 160), (150, 180))
    resized = studio_state(page)["shapes"][0]
    assert resized["rotation"] == rotated["rotation"]
    assert_points(resized["points"], [90, 90, 210, 150], tolerance=1.0)
    (saved,) = read_saved()
    assert saved["rotation"] == rotated["rotation"]
    assert saved["points"] == resized["points"]


def test_cuboid_front_face_then_depth_eight_vertices_saved(page: Page, open_studio, read_saved):
    open_studio()
    page.keyboard.press("c")
    drag(page, (60, 80), (160, 180))
    page.mouse.move(*to_screen(page, 190, 150), steps=4)
    click_image(page, 190, 150)  # depth offset (+30, -30)
    (crate,) = studio_state(page)["shapes"]
    expected = [60, 80, 160, 80, 160, 180, 60, 180, 90, 50, 190, 50, 190, 150, 90, 150]
    assert_points(crate["points"], expected)
    page.screenshot(path="/tmp/shots/studio-cuboid.png")

    select_shape(page, crate["id"])
    drag(page, (190, 50), (200, 40))  # a back vertex moves the whole back face
    moved = [60, 80, 160, 80, 160, 180, 60, 180, 100, 40, 200, 40, 200, 140, 100, 140]
    assert_points(points_of(page), moved)
    page.keyboard.press("Control+z")
    assert_points(points_of(page), expected)
    page.keyboard.press("Control+Shift+z")
    (saved,) = read_saved(reload=True)
    assert_points(saved["points"], moved)


def decode_rle(rle: dict[str, Any]) -> list[list[int]]:
    """COCO uncompressed RLE, column-major, as pycocotools reads it -> rows of 0/1."""
    height, width = rle["size"]
    flat: list[int] = []
    value = 0
    for count in rle["counts"]:
        flat.extend([value] * count)
        value = 1 - value
    return [[flat[x * height + y] for x in range(width)] for y in range(height)]


def test_brush_stroke_round_trips_through_rle_and_the_eraser_cuts_it(
    page: Page, open_studio, read_saved
):
    open_studio()
    page.keyboard.press("b")
    expect(page.get_by_test_id("tool-prompt")).to_have_text("Brush 16 px ([ and ] change it)")
    drag(page, (50, 100), (250, 100))
    (road,) = studio_state(page)["shapes"]
    assert road["kind"] == "mask"
    (saved,) = read_saved()
    assert saved["rle"]["size"] == [240, 320]
    assert sum(saved["rle"]["counts"]) == 320 * 240
    pixels = decode_rle(saved["rle"])
    rows = [y for y in range(240) if any(pixels[y])]
    cols = [x for x in range(320) if any(pixels[y][x] for y in range(240))]
    assert saved["points"] == [cols[0], rows[0], cols[-1] + 1, rows[-1] + 1]
    assert_points(saved["points"], [42, 92, 258, 108], tolerance=1.5)
    assert pixels[100][150] == 1 and pixels[80][150] == 0
    page.screenshot(path="/tmp/shots/studio-mask.png")

    page.keyboard.press("e")
    drag(page, (150, 80), (150, 120))
    (erased,) = read_saved()
    cut = decode_rle(erased["rle"])
    assert cut[100][150] == 0 and cut[100][100] == 1
    page.keyboard.press("Control+z")
    assert read_saved()[0]["rle"] == saved["rle"]


def test_number_keys_pick_the_class_of_the_next_box_not_the_one_just_drawn(
    page: Page, open_studio, read_saved
):
    open_studio()
    page.keyboard.press("r")
    drag(page, (10, 10), (60, 60))
    page.keyboard.press("2")
    drag(page, (80, 10), (130, 60))
    page.keyboard.press("1")
    drag(page, (160, 10), (210, 60))
    assert [shape["label"] for shape in studio_state(page)["shapes"]] == ["car", "person", "car"]
    assert studio_state(page)["tool"] == "box"

    # Re-classing takes an explicit selection.
    first = studio_state(page)["shapes"][0]
    click_image(page, 35, 35)
    assert studio_state(page)["selectedId"] == first["id"]
    page.keyboard.press("2")
    labels = [shape["label"] for shape in read_saved()]
    assert labels == ["person", "person", "car"]


def test_keyboard_only_labeling_of_a_box_and_a_tag(
    page: Page, open_studio, seed, item, api, annotator
):
    car = box("car", (10, 20, 110, 90))
    seed([car])
    open_studio()
    page.get_by_test_id("studio-canvas").focus()
    page.keyboard.press("v")
    page.keyboard.press("Tab")
    assert studio_state(page)["selectedId"] == car["id"]
    page.keyboard.press("2")  # person
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("o")
    page.keyboard.press("Control+d")  # a duplicate, selected, 10 px further
    assert len(studio_state(page)["shapes"]) == 2
    page.keyboard.press("Delete")
    page.locator('[data-testid="tag-toggle"][data-label="night"]').focus()
    page.keyboard.press("Space")
    expect(page.get_by_test_id("shape-count")).to_have_text("1")  # tags are not counted
    page.keyboard.press("Control+Enter")
    expect(page.get_by_test_id("doc-status")).to_have_text("submitted")
    shapes = saved_shapes(api, annotator, item)
    assert [(s["kind"], s["label"]) for s in shapes] == [("box", "person"), ("tag", "night")]
    assert shapes[0]["points"] == [11, 30, 111, 100]
    assert shapes[0]["occluded"] is True


def test_text_attribute_typed_then_ctrl_enter_is_saved_and_submitted(
    page: Page, open_studio, seed, item, api, annotator
):
    building = {
        "id": "1b7c7f5e-4a52-4c11-8f0e-6a0c2f9b9d01",
        "label": "building",
        "kind": "polygon",
        "points": [10, 10, 100, 10, 60, 80],
    }
    seed([building])
    open_studio()
    select_shape(page, building["id"])
    note = page.locator('[data-testid="attribute-input"][data-attribute="note"]')
    note.click()
    page.keyboard.type("red brick, two floors")  # r, b, e, o, f... are shortcuts elsewhere
    assert studio_state(page)["tool"] == "box"
    assert studio_state(page)["shapes"][0]["occluded"] is False
    page.keyboard.press("Control+Enter")
    expect(page.get_by_test_id("doc-status")).to_have_text("submitted")
    (saved,) = saved_shapes(api, annotator, item)
    assert saved["attributes"] == {"note": "red brick, two floors"}
    document = api(annotator).get(f"/api/v1/items/{item.pk}/annotation/").json()
    assert document["status"] == "submitted"


def test_pointer_moves_that_change_only_the_overlay_do_not_repaint_the_shapes(
    page: Page, open_studio, seed
):
    shapes = [
        {
            "id": f"00000000-0000-4000-8000-00000000000{n}",
            "label": "car",
            "kind": "box",
            "points": [10 + 40 * n, 10, 40 + 40 * n, 60],
        }
        for n in range(5)
    ]
    seed(shapes)
    open_studio()
    page.keyboard.press("v")
    select_shape(page, shapes[0]["id"])
    page.wait_for_timeout(300)
    before = page.evaluate("() => window.loupe.paints()")
    for n in range(5):  # hovering shape after shape, then the crosshair of the box tool
        page.mouse.move(*to_screen(page, 25 + 40 * n, 35), steps=3)
    page.keyboard.press("r")
    page.mouse.move(*to_screen(page, 150, 150), steps=5)
    page.wait_for_timeout(200)
    after = page.evaluate("() => window.loupe.paints()")
    assert after["shapes"] == before["shapes"]
    assert after["overlay"] > before["overlay"]

    page.keyboard.press("f")  # a change of view does repaint
    page.mouse.wheel(0, -200)
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.loupe.paints()")["shapes"] > after["shapes"]


def test_zoom_at_cursor_one_to_one_and_pan_by_dragging_empty_space(page: Page, open_studio):
    open_studio()
    page.keyboard.press("v")
    anchor = to_screen(page, 100, 50)
    page.mouse.move(*anchor)
    page.mouse.wheel(0, -300)
    page.wait_for_timeout(100)
    after = to_screen(page, 100, 50)
    assert abs(after[0] - anchor[0]) <= 1 and abs(after[1] - anchor[1]) <= 1
    page.keyboard.press("Shift+F")
    expect(page.get_by_test_id("zoom-level")).to_have_text("100%")
    start = to_screen(page, 5, 5)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + 40, start[1] + 30, steps=4)
    page.mouse.up()
    moved = to_screen(page, 5, 5)
    assert abs(moved[0] - start[0] - 40) <= 1 and abs(moved[1] - start[1] - 30) <= 1


def test_help_lists_every_tool_key_and_buttons_show_their_keys(page: Page, open_studio):
    open_studio()
    for testid, key in [
        ("tool-select", "V"),
        ("tool-box", "R"),
        ("tool-polygon", "P"),
        ("tool-polyline", "L"),
        ("tool-keypoints", "K"),
        ("tool-cuboid", "C"),
        ("tool-brush", "B"),
        ("tool-eraser", "E"),
        ("tool-pan", "H"),
    ]:
        expect(page.get_by_test_id(testid).locator(".tool-key")).to_have_text(key)
    page.keyboard.press("?")
    help_overlay = page.get_by_test_id("help-overlay")
    expect(help_overlay).to_contain_text("Polygon tool")
    expect(help_overlay).to_contain_text("Keypoints: skip the prompted point")
    page.screenshot(path="/tmp/shots/studio-help.png")
    page.keyboard.press("Escape")


def test_queue_shows_item_n_of_n_and_previous_reopens_the_last_item_for_a_fix(
    page: Page, live_server, login, tools_project, api, annotator
):
    first, second, _third = items_add(tools_project, 3, size=IMAGE_SIZE)
    login(page, "bob_annotator")
    page.goto(f"{live_server.url}/projects/{tools_project.pk}/label/")
    wait_ready(page)
    expect(page.get_by_test_id("item-name")).to_have_text(first.name)
    expect(page.get_by_test_id("item-position")).to_have_text("Item 1 of 3")
    expect(page.get_by_test_id("previous-button")).to_be_disabled()
    page.keyboard.press("r")
    drag(page, (10, 10), (60, 60))
    page.keyboard.press("Control+Enter")
    expect(page.get_by_test_id("item-name")).to_have_text(second.name)
    expect(page.get_by_test_id("item-position")).to_have_text("Item 2 of 3")

    page.get_by_test_id("previous-button").click()
    expect(page.get_by_test_id("item-name")).to_have_text(first.name)
    expect(page.get_by_test_id("item-position")).to_have_text("Item 1 of 3")
    expect(page.get_by_test_id("shape-row")).to_have_count(1)
    drag(page, (100, 100), (150, 150))
    page.keyboard.press("Control+Enter")
    expect(page.get_by_test_id("item-name")).to_have_text(second.name)
    fixed = api(annotator).get(f"/api/v1/items/{first.pk}/annotation/").json()
    assert fixed["status"] == "submitted"
    assert [len(shape["points"]) for shape in fixed["shapes"]] == [4, 4]


def test_unacknowledged_edits_are_kept_as_a_change_set_by_shape_id(
    page: Page, open_studio, seed, item, api, annotator
):
    kept, moved, deleted = (
        {
            "id": f"00000000-0000-4000-8000-00000000001{n}",
            "label": "car",
            "kind": "box",
            "points": [10 + 60 * n, 10, 50 + 60 * n, 50],
        }
        for n in range(3)
    )
    seed([kept, moved, deleted])
    open_studio()
    assert page.evaluate("() => window.loupe.pendingChanges()") == {
        "add": [],
        "update": [],
        "delete": [],
    }
    page.context.set_offline(True)
    select_shape(page, moved["id"])
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    select_shape(page, deleted["id"])
    page.keyboard.press("Delete")
    page.keyboard.press("r")
    drag(page, (200, 150), (260, 200))
    pending = page.evaluate("() => window.loupe.pendingChanges()")
    added = studio_state(page)["shapes"][-1]
    assert pending["delete"] == [deleted["id"]]
    assert [shape["id"] for shape in pending["update"]] == [moved["id"]]
    assert pending["update"][0]["points"] == [70, 12, 110, 52]
    assert pending["add"] == [added]

    page.context.set_offline(False)
    wait_saved(page)
    assert page.evaluate("() => window.loupe.pendingChanges()") == {
        "add": [],
        "update": [],
        "delete": [],
    }
    shapes = saved_shapes(api, annotator, item)
    assert [shape["id"] for shape in shapes] == [kept["id"], moved["id"], added["id"]]


def test_copy_paste_lock_hide_and_a_class_of_another_kind_arms_its_tool(
    page: Page, open_studio, read_saved, seed
):
    car = box("car", (20, 20, 80, 60))
    seed([car])
    open_studio()
    select_shape(page, car["id"])
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    page.keyboard.press("Control+v")
    shapes = studio_state(page)["shapes"]
    assert [shape["points"] for shape in shapes] == [
        [20, 20, 80, 60],
        [30, 30, 90, 70],
        [40, 40, 100, 80],
    ]
    assert len({shape["id"] for shape in shapes}) == 3
    assert studio_state(page)["selectedId"] == shapes[2]["id"]

    page.keyboard.press("Shift+L")  # locked: no nudge, no drag
    assert studio_state(page)["locked"] == [shapes[2]["id"]]
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("v")
    drag(page, (95, 75), (150, 150))
    assert points_of(page, 2) == [40, 40, 100, 80]
    page.keyboard.press("Shift+H")  # hidden: not hit any more, the one below is
    click_image(page, 85, 65)
    assert studio_state(page)["selectedId"] == shapes[1]["id"]

    page.keyboard.press("r")
    page.keyboard.press("3")  # building is a polygon class: the polygon tool takes over
    assert studio_state(page)["tool"] == "polygon"
    assert studio_state(page)["activeLabel"] == "building"
    page.keyboard.press("7")  # road is a mask class: the brush
    assert studio_state(page)["tool"] == "brush"

    numbers = page.locator('[data-testid="shape-row"] .row-detail')
    assert [numbers.nth(i).get_attribute("data-n") for i in range(3)] == ["1", "2", "3"]
    select_shape(page, shapes[0]["id"])
    page.keyboard.press("Delete")  # the rows after it are renumbered
    expect(page.get_by_test_id("shape-row")).to_have_count(2)
    assert [numbers.nth(i).get_attribute("data-n") for i in range(2)] == ["1", "2"]
    assert [s["id"] for s in read_saved()] == [
        shapes[1]["id"],
        shapes[2]["id"],
    ]
