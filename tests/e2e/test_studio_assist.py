"""GrabCut assist and polygon-to-mask fill in a real browser: a box outlined into a polygon (or
a mask) in one undoable step, a polygon filled into a mask, and the brush's lasso fill, each
saved, reloaded and read back (masks decoded by pycocotools)."""

from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page, expect
from pycocotools import mask as coco_mask
from shapely.geometry import Polygon

from projects.models import Project
from sources.synthetic import generate_scene, scene_to_png_bytes
from tests.e2e.studio_helpers import (
    click_image,
    drag,
    open_item,
    saved_after_reload,
    select_shape,
    studio_state,
    to_screen,
    wait_saved,
)
from tests.projects.factories import item_from_bytes, items_add, project_with_members

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = "/tmp/shots/studio"
LABELS: list[dict[str, Any]] = [
    {"name": "object", "color": "#ff0000", "kind": "box"},
    {"name": "outline", "color": "#00c0ff", "kind": "polygon"},
    {"name": "region", "color": "#ffaa00", "kind": "mask"},
]


@pytest.fixture
def assist_project(manager, annotator) -> Project:
    return project_with_members(manager=manager, labels=LABELS, bob_annotator="annotator")


def polygon_of(points: list[float]) -> Polygon:
    return Polygon(list(zip(points[::2], points[1::2], strict=True))).buffer(0)


def mask_pixels(shape: dict[str, Any]) -> np.ndarray:
    height, width = shape["rle"]["size"]
    return coco_mask.decode(coco_mask.frPyObjects(shape["rle"], height, width))


def test_a_box_is_outlined_into_a_polygon_undone_redone_and_saved(
    page: Page, live_server, login, assist_project, api, annotator, console_errors
):
    # given a synthetic scene and a box drawn a few pixels around one of its objects
    scene = generate_scene(seed=3)
    item = item_from_bytes(assist_project, scene_to_png_bytes(scene), name="scene.png")
    target = scene.objects[0]
    x1, y1, x2, y2 = target.box
    open_item(page, live_server, login, item)
    page.keyboard.press("r")
    drag(page, (x1 - 4, y1 - 4), (x2 + 4, y2 + 4))
    (box,) = studio_state(page)["shapes"]
    select_shape(page, box["id"])
    expect(page.get_by_test_id("assist-button")).to_have_attribute(
        "title", "Outline the object in the box (G)"
    )

    # when G asks the server for the outline
    page.keyboard.press("g")

    # then the box is replaced by a polygon of the polygon class, close to the exact outline
    page.wait_for_function("() => window.loupe.state().shapes.some((s) => s.kind === 'polygon')")
    (outline,) = studio_state(page)["shapes"]
    assert (outline["kind"], outline["label"]) == ("polygon", "outline")
    assert studio_state(page)["selectedId"] == outline["id"]
    truth = polygon_of(target.polygon)
    proposed = polygon_of(outline["points"])
    assert truth.intersection(proposed).area / truth.union(proposed).area >= 0.85
    page.screenshot(path=f"{SHOTS}/assist-outlined.png")

    # and Ctrl+Z brings the box back in one step, Ctrl+Shift+Z the outline
    page.keyboard.press("Control+z")
    assert studio_state(page)["shapes"] == [box]
    page.keyboard.press("Control+Shift+z")
    assert studio_state(page)["shapes"] == [outline]

    saved = saved_after_reload(page, api, annotator, item)
    assert [(s["id"], s["kind"], s["points"]) for s in saved] == [
        (outline["id"], "polygon", outline["points"])
    ]

    # the ? help lists the new keys, generated from the keymap like every other
    page.keyboard.press("?")
    help_overlay = page.get_by_test_id("help-overlay")
    for text in ("GrabCut", "Turn the selected polygon into a mask", "draw a lasso", "Shift+G"):
        expect(help_overlay).to_contain_text(text)
    page.screenshot(path=f"{SHOTS}/assist-help.png")
    assert console_errors == []


def test_shift_g_outlines_as_a_mask_and_a_plain_box_says_nothing_was_found(
    page: Page, live_server, login, assist_project, api, annotator
):
    scene = generate_scene(seed=3)
    item = item_from_bytes(assist_project, scene_to_png_bytes(scene), name="scene.png")
    target = scene.objects[0]
    x1, y1, x2, y2 = target.box
    open_item(page, live_server, login, item)
    page.keyboard.press("r")
    drag(page, (x1 - 4, y1 - 4), (x2 + 4, y2 + 4))
    select_shape(page, studio_state(page)["shapes"][0]["id"])

    page.keyboard.press("Shift+G")

    page.wait_for_function("() => window.loupe.state().shapes.some((s) => s.kind === 'mask')")
    (region,) = saved_after_reload(page, api, annotator, item)
    assert (region["kind"], region["label"]) == ("mask", "region")
    area = int(mask_pixels(region).sum())
    truth = polygon_of(target.polygon).area
    assert abs(area - truth) / truth < 0.15
    page.screenshot(path=f"{SHOTS}/assist-mask.png")

    # G with no box selected explains what to do
    page.keyboard.press("g")
    expect(page.get_by_test_id("studio-message")).to_contain_text("box around an object")


def test_a_polygon_is_filled_into_a_mask_whose_rle_matches_its_area(
    page: Page, live_server, login, assist_project, api, annotator, console_errors
):
    # given a polygon drawn on an item
    (item,) = items_add(assist_project, 1, size=(320, 240))
    open_item(page, live_server, login, item)
    page.keyboard.press("p")
    corners = [(40, 40), (200, 50), (230, 170), (120, 200), (50, 150)]
    for x, y in corners:
        click_image(page, x, y)
    page.keyboard.press("Enter")
    (polygon,) = studio_state(page)["shapes"]
    select_shape(page, polygon["id"])

    # when M turns it into a mask
    page.keyboard.press("m")

    # then one mask of the mask class replaces it, undoably
    (region,) = studio_state(page)["shapes"]
    assert (region["kind"], region["label"]) == ("mask", "region")
    page.screenshot(path=f"{SHOTS}/fill-polygon-mask.png")
    page.keyboard.press("Control+z")
    assert studio_state(page)["shapes"] == [polygon]
    page.keyboard.press("Control+Shift+z")

    # and after a save and a reload the RLE decodes to the polygon's area, within 1%
    (saved,) = saved_after_reload(page, api, annotator, item)
    pixels = mask_pixels(saved)
    area = polygon_of(polygon["points"]).area
    assert abs(int(pixels.sum()) - area) / area < 0.01
    ys, xs = np.nonzero(pixels)
    assert saved["points"] == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    assert console_errors == []


def lasso(page: Page, corners: list[tuple[float, float]]) -> None:
    """Shift+drag through the corners and back to the first."""
    page.keyboard.down("Shift")
    page.mouse.move(*to_screen(page, *corners[0]))
    page.mouse.down()
    for corner in [*corners[1:], corners[0]]:
        page.mouse.move(*to_screen(page, *corner), steps=8)
    page.mouse.up()
    page.keyboard.up("Shift")


def test_the_brush_lasso_fills_an_area_and_the_eraser_lasso_cuts_it(
    page: Page, live_server, login, assist_project, api, annotator
):
    (item,) = items_add(assist_project, 1, size=(320, 240))
    open_item(page, live_server, login, item)
    page.keyboard.press("b")
    outer = [(40, 40), (260, 40), (260, 200), (40, 200)]
    inner = [(100, 80), (180, 80), (180, 150), (100, 150)]

    lasso(page, outer)
    page.screenshot(path=f"{SHOTS}/lasso-filled.png")
    wait_saved(page)
    page.keyboard.press("e")
    lasso(page, inner)

    (saved,) = saved_after_reload(page, api, annotator, item)
    pixels = mask_pixels(saved)
    expected = (
        polygon_of([c for p in outer for c in p]).area
        - polygon_of([c for p in inner for c in p]).area
    )
    assert abs(int(pixels.sum()) - expected) / expected < 0.01
    assert pixels[60, 60] == 1 and pixels[120, 140] == 0
    page.screenshot(path=f"{SHOTS}/lasso-erased.png")
