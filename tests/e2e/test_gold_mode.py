"""Gold mode in the studio: a manager draws an item's gold answer, saves it with its purpose, and
reopens it; annotators and reviewers asking for it get the API's 403 (outsiders 404), whether
or not the item has a gold answer."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from projects.models import Project
from quality.services import gold_designate, gold_set
from tests.e2e.studio_helpers import assert_points, drag, reload, studio_state, wait_saved
from tests.projects.factories import items_add, project_with_members

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots/goldmode")
IMAGE_SIZE = (320, 240)
LABELS: list[dict[str, Any]] = [
    {"name": "car", "color": "#ff0000", "kind": "box"},
    {"name": "lane", "color": "#00aaff", "kind": "polyline"},
]


@pytest.fixture
def gold_project(manager, annotator, reviewer) -> Project:
    return project_with_members(
        manager=manager, labels=LABELS, bob_annotator="annotator", rita_reviewer="reviewer"
    )


def _ready(page: Page) -> None:
    page.wait_for_function("() => window.loupe && window.loupe.state().phase === 'ready'")


def test_manager_draws_saves_and_reopens_a_gold_answer(
    page: Page, live_server, login, gold_project, api, manager, annotator, console_errors
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    item, other = items_add(gold_project, 2, size=IMAGE_SIZE)
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/projects/{gold_project.pk}/")
    page.get_by_test_id("tab-items").click()
    links = page.get_by_test_id("item-gold")
    expect(links).to_have_count(2)
    page.get_by_test_id("item-grid").screenshot(path=str(SHOTS / "1-item-tiles-gold-links.png"))
    page.locator(f'a[data-testid="item-gold"][href="/items/{item.pk}/label/?gold=1"]').click()
    _ready(page)

    expect(page.get_by_test_id("gold-banner")).to_be_visible()
    expect(page.get_by_test_id("gold-banner")).to_contain_text("Gold answer")
    expect(page.get_by_test_id("submit-button")).to_be_hidden()
    state = studio_state(page)
    assert state["gold"] is True and state["shapes"] == []
    assert api(manager).get(f"/api/v1/items/{item.pk}/gold/").status_code == 404

    page.keyboard.press("r")
    drag(page, (100, 80), (200, 140))
    expect(page.get_by_test_id("save-status")).to_have_text("Unsaved changes")
    page.get_by_test_id("gold-purpose").select_option("training")
    page.screenshot(path=str(SHOTS / "2-gold-mode-drawn.png"))
    page.get_by_test_id("gold-save").click()
    wait_saved(page)

    gold = api(manager).get(f"/api/v1/items/{item.pk}/gold/").json()
    assert gold["purpose"] == "training"
    (box,) = gold["shapes"]
    assert (box["kind"], box["label"]) == ("box", "car")
    assert_points(box["points"], [100, 80, 200, 140])
    # The manager's own annotation document of the item was not touched.
    own = api(manager).get(f"/api/v1/items/{item.pk}/annotation/").json()
    assert own["shapes"] == []

    # A second box, saved with Ctrl+S.
    page.get_by_test_id("studio-canvas").focus()
    drag(page, (20, 20), (60, 50))
    page.keyboard.press("Control+s")
    wait_saved(page)
    shapes = api(manager).get(f"/api/v1/items/{item.pk}/gold/").json()["shapes"]
    assert len(shapes) == 2
    assert_points(shapes[1]["points"], [20, 20, 60, 50])

    reload(page)
    assert studio_state(page)["shapes"] == shapes
    expect(page.get_by_test_id("gold-purpose")).to_have_value("training")
    page.screenshot(path=str(SHOTS / "3-gold-mode-reopened.png"))

    # Another item without gold opens empty, purpose hidden by default.
    page.goto(f"{live_server.url}/items/{other.pk}/label/?gold=1")
    _ready(page)
    assert studio_state(page)["shapes"] == []
    expect(page.get_by_test_id("gold-purpose")).to_have_value("hidden")
    # The browser logs the gold GET's 404 (no answer yet); nothing else may fail.
    assert [error for error in console_errors if "404 (Not Found)" not in error] == []


def test_leaving_with_unsaved_gold_saves_it(
    page: Page, live_server, login, gold_project, api, manager
):
    (item,) = items_add(gold_project, 1, size=IMAGE_SIZE)
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/items/{item.pk}/label/?gold=1")
    _ready(page)
    page.keyboard.press("r")
    drag(page, (40, 40), (90, 100))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/projects/{gold_project.pk}/")
    page.wait_for_timeout(500)
    (box,) = api(manager).get(f"/api/v1/items/{item.pk}/gold/").json()["shapes"]
    assert_points(box["points"], [40, 40, 90, 100])


def test_an_item_designated_training_keeps_its_purpose_when_its_answer_is_drawn(
    page: Page, live_server, login, gold_project, api, manager
):
    (item,) = items_add(gold_project, 1, size=IMAGE_SIZE)
    gold_designate(item=item, purpose="training")
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/items/{item.pk}/label/?gold=1")
    _ready(page)
    page.keyboard.press("r")
    drag(page, (30, 30), (80, 70))
    page.keyboard.press("Control+s")
    wait_saved(page)
    gold = api(manager).get(f"/api/v1/items/{item.pk}/gold/").json()
    assert gold["purpose"] == "training"
    assert_points(gold["shapes"][0]["points"], [30, 30, 80, 70])
    expect(page.get_by_test_id("gold-purpose")).to_have_value("training")


def test_annotator_asking_for_gold_mode_sees_no_gold(
    page: Page, live_server, login, gold_project, manager
):
    gold_item, plain_item = items_add(gold_project, 2, size=IMAGE_SIZE)
    gold_id = "6f1c2a9e-0b7d-4c1e-9a55-2f0d3b8c7e11"
    shape = {"id": gold_id, "kind": "box", "label": "car", "points": [10, 10, 50, 50]}
    gold_set(item=gold_item, shapes=[shape], author=manager, purpose="training")
    login(page, "bob_annotator")
    statuses = []
    for item in (gold_item, plain_item):
        response = page.goto(f"{live_server.url}/items/{item.pk}/label/?gold=1")
        assert response is not None
        statuses.append(response.status)
        assert gold_id not in page.content()
        assert page.evaluate("() => window.loupe === undefined")
    # The same answer whether or not the item is gold: nothing tells them apart.
    assert statuses == [403, 403]
    page.screenshot(path=str(SHOTS / "4-annotator-refused.png"))

    # Without ?gold the annotator's normal studio opens, with none of the gold shapes in it.
    page.goto(f"{live_server.url}/items/{gold_item.pk}/label/")
    _ready(page)
    state = studio_state(page)
    assert state["gold"] is False
    assert gold_id not in [s["id"] for s in state["shapes"]]
    expect(page.get_by_test_id("gold-banner")).to_be_hidden()


@pytest.mark.parametrize(("user", "status"), [("reviewer", 403), ("outsider", 404)])
def test_gold_mode_page_is_for_managers_only(client, gold_project, user, status, request):
    (item,) = items_add(gold_project, 1)
    client.force_login(request.getfixturevalue(user))
    assert client.get(f"/items/{item.pk}/label/?gold=1").status_code == status
