"""Helpers shared by the studio's browser tests: open an item, map image points to the screen,
click and drag on the image, and read back what was saved."""

from typing import Any

from playwright.sync_api import Page, expect

from annotate.models import AnnotationDocument
from projects.models import Item
from tests.annotate.documents import put

TOLERANCE = 0.5


def wait_ready(page: Page) -> None:
    page.wait_for_function("() => window.loupe && window.loupe.state().phase === 'ready'")


def open_studio(page: Page, url: str) -> None:
    """Opens a studio page (an item's, or a project's queue) and waits until it can be used."""
    page.goto(url)
    wait_ready(page)


def open_item(page: Page, live_server, login, item: Item, username: str = "bob_annotator") -> None:
    login(page, username)
    open_studio(page, f"{live_server.url}/items/{item.pk}/label/")


def put_shapes(api, annotator, item: Item, shapes: list[dict[str, Any]]) -> None:
    """Saves `shapes` as the annotator's first version of the item, through the API."""
    response = put(api(annotator), item, shapes, 0)
    assert response.status_code == 201, response.content


def document_of(item: Item, username: str = "bob_annotator") -> AnnotationDocument:
    return AnnotationDocument.objects.get(item=item, annotator__username=username, kind="annotator")


def studio_state(page: Page) -> dict[str, Any]:
    return page.evaluate("() => window.loupe.state()")


def points_of(page: Page, index: int = 0) -> list[float]:
    """The points of the studio's shape at `index`, as the page holds them now."""
    return studio_state(page)["shapes"][index]["points"]


def to_screen(page: Page, x: float, y: float) -> tuple[float, float]:
    point = page.evaluate("([x, y]) => window.loupe.imageToScreen(x, y)", [x, y])
    return point["x"], point["y"]


def click_image(page: Page, x: float, y: float, holding: str | None = None) -> None:
    """A click at an image point, with a modifier key held down if given."""
    if holding:
        page.keyboard.down(holding)
    page.mouse.click(*to_screen(page, x, y))
    if holding:
        page.keyboard.up(holding)


def drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*to_screen(page, *start))
    page.mouse.down()
    page.mouse.move(*to_screen(page, *end), steps=6)
    page.mouse.up()


def wait_saved(page: Page) -> None:
    expect(page.get_by_test_id("save-status")).to_have_text("Saved")


def saved_shapes(api, annotator, item: Item) -> list[dict[str, Any]]:
    response = api(annotator).get(f"/api/v1/items/{item.pk}/annotation/")
    assert response.status_code == 200
    return response.json()["shapes"]


def assert_points(points: list[float], expected: list[float], tolerance: float = TOLERANCE) -> None:
    assert len(points) == len(expected), f"{points} vs {expected}"
    for got, want in zip(points, expected, strict=True):
        assert abs(got - want) <= tolerance, f"{points} is not within {tolerance}px of {expected}"


def reload(page: Page) -> None:
    page.reload()
    wait_ready(page)


def saved_when_settled(page: Page, api, annotator, item: Item) -> list[dict[str, Any]]:
    """Waits until the studio says "Saved", then reads the shapes back through the API."""
    wait_saved(page)
    return saved_shapes(api, annotator, item)


def saved_after_reload(page: Page, api, annotator, item: Item) -> list[dict[str, Any]]:
    """Waits for the save, reloads the studio, and returns the shapes the server holds, having
    checked the reloaded studio shows exactly those."""
    wait_saved(page)
    reload(page)
    saved = saved_shapes(api, annotator, item)
    assert studio_state(page)["shapes"] == saved
    return saved


def select_shape(page: Page, shape_id: str) -> None:
    """Clicks the shape's row in the list, scrolling the list to it first as a user would: the
    list is windowed, so the rows of a long document exist only near its scroll position."""
    row = page.locator(f'[data-testid="shape-row"][data-shape-id="{shape_id}"]')
    if not row.count():
        page.get_by_test_id("shape-list").evaluate(
            """(list, id) => {
              const index = window.loupe.state().shapes.findIndex((shape) => shape.id === id);
              const height = list.querySelector('[data-testid="shape-row"]').offsetHeight;
              list.scrollTop = Math.max(0, index * height - list.clientHeight / 2);
            }""",
            shape_id,
        )
    row.click()
    page.get_by_test_id("studio-canvas").focus()
