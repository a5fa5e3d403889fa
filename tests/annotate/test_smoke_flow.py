import pytest

from tests.annotate.factories import box
from tests.projects.factories import items_add

pytestmark = pytest.mark.django_db


def test_annotator_claims_saves_and_submits(project, annotator, api):
    (item,) = items_add(project)
    client = api(annotator)

    claimed = client.post(f"/api/v1/projects/{project.pk}/queue/next/")
    assert claimed.status_code == 200
    assert claimed.json()["id"] == item.pk

    loaded = client.get(f"/api/v1/items/{item.pk}/annotation/")
    assert loaded.status_code == 200
    assert loaded["ETag"] == '"0"'

    saved = client.put(
        f"/api/v1/items/{item.pk}/annotation/",
        {"shapes": [box()]},
        format="json",
        HTTP_IF_MATCH='"0"',
    )
    assert saved.status_code == 201, saved.json()
    assert saved["ETag"] == '"1"'

    stale = client.put(
        f"/api/v1/items/{item.pk}/annotation/", {"shapes": []}, format="json", HTTP_IF_MATCH='"0"'
    )
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 1

    submitted = client.post(f"/api/v1/items/{item.pk}/annotation/submit/")
    assert submitted.json()["status"] == "submitted"
    assert client.post(f"/api/v1/projects/{project.pk}/queue/next/").status_code == 204
