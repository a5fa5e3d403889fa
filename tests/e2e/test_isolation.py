"""An annotator logged in through the browser cannot reach another project's data."""

import pytest
from playwright.sync_api import Page

from tests.projects import factories as projects_factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_annotator_of_project_a_gets_404_for_project_b(page: Page, live_server, login, manager):
    annotator_a = projects_factories.user_create("anna_a")
    project_a = projects_factories.project_with_members(manager=manager, anna_a="annotator")
    project_b = projects_factories.project_with_members(manager=manager)
    (item_b,) = projects_factories.items_add(project_b)
    (gold_b,) = projects_factories.items_add(project_b, role="gold")
    (item_a,) = projects_factories.items_add(project_a)
    (gold_a,) = projects_factories.items_add(project_a, role="gold")
    assert annotator_a.memberships.count() == 1

    login(page, "anna_a")
    status_of = {
        path: page.request.get(f"{live_server.url}{path}").status
        for path in [
            f"/projects/{project_b.pk}/",
            f"/projects/{project_b.pk}/label/",
            f"/items/{item_b.pk}/label/",
            f"/api/v1/projects/{project_b.pk}/",
            f"/api/v1/projects/{project_b.pk}/items/",
            f"/api/v1/items/{item_b.pk}/",
            f"/api/v1/items/{item_b.pk}/image/",
            f"/api/v1/items/{item_b.pk}/thumbnail/",
            f"/api/v1/items/{item_b.pk}/annotation/",
            f"/api/v1/items/{item_b.pk}/gold/",
            f"/api/v1/items/{gold_b.pk}/gold/",
            f"/api/v1/items/{gold_b.pk}/",
        ]
    }
    assert status_of == dict.fromkeys(status_of, 404)

    # Their own project's items work alike, gold or not, and gold answers stay a manager's (403).
    for item in (item_a, gold_a):
        assert page.request.get(f"{live_server.url}/api/v1/items/{item.pk}/image/").status == 200
        assert page.request.get(f"{live_server.url}/api/v1/items/{item.pk}/gold/").status == 403

    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    refused = page.request.put(
        f"{live_server.url}/api/v1/items/{item_b.pk}/annotation/",
        data={"shapes": []},
        headers={"If-Match": '"0"', "X-CSRFToken": csrf},
    )
    assert refused.status == 404
    assert item_b.documents.count() == 0
