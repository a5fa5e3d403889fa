"""Edits that take a shape back while its save is on the wire: the server ends up with what the
studio shows (a shape added then deleted, or changed then undone, before the answer came)."""

from typing import Any

import pytest
from playwright.sync_api import Page, Route

from tests.e2e.studio_helpers import (
    drag,
    open_item,
    saved_after_reload,
    select_shape,
    studio_state,
)
from tests.projects.factories import items_add, project_with_members

pytestmark = pytest.mark.django_db(transaction=True)

LABELS: list[dict[str, Any]] = [{"name": "car", "color": "#ff0000", "kind": "box"}]


class HeldSaves:
    """Holds the studio's saves until released, so the test can edit while one is in flight."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.held: list[Route] = []
        self.holding = True
        page.route("**/annotation/", self.handle)

    def handle(self, route: Route) -> None:
        if self.holding and route.request.method in ("PATCH", "PUT"):
            self.held.append(route)
        else:
            route.continue_()

    def wait_for_one(self) -> None:
        for _ in range(100):
            if self.held:
                return
            self.page.wait_for_timeout(50)
        raise AssertionError("no save was sent")

    def release(self) -> None:
        self.holding = False
        for route in self.held:
            route.continue_()
        self.held.clear()


@pytest.fixture
def item(manager, annotator):
    project = project_with_members(manager=manager, labels=LABELS, bob_annotator="annotator")
    (item,) = items_add(project, 1, size=(320, 240))
    return item


def test_a_shape_deleted_while_its_addition_is_in_flight_is_deleted_on_the_server(
    page: Page, live_server, login, item, api, annotator
):
    open_item(page, live_server, login, item)
    saves = HeldSaves(page)
    page.keyboard.press("r")
    drag(page, (40, 40), (120, 100))
    (box,) = studio_state(page)["shapes"]
    saves.wait_for_one()  # the addition is on the wire

    select_shape(page, box["id"])
    page.keyboard.press("Delete")
    saves.release()

    assert saved_after_reload(page, api, annotator, item) == []


def test_an_edit_undone_while_in_flight_is_undone_on_the_server(
    page: Page, live_server, login, item, api, annotator
):
    open_item(page, live_server, login, item)
    page.keyboard.press("r")
    drag(page, (40, 40), (120, 100))
    (box,) = saved_after_reload(page, api, annotator, item)
    saves = HeldSaves(page)
    select_shape(page, box["id"])
    page.keyboard.press("ArrowRight")
    saves.wait_for_one()  # the nudge is on the wire

    page.keyboard.press("Control+z")
    saves.release()

    assert saved_after_reload(page, api, annotator, item) == [box]
