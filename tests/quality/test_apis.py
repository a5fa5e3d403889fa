"""Gold answers: managers set them through the same shape validation as annotators' documents."""

import pytest

from quality.models import GoldAnswer
from tests.annotate.factories import box
from tests.projects.factories import items_add
from tests.quality.factories import gold_add

pytestmark = pytest.mark.django_db


def test_a_manager_sets_and_reads_a_gold_answer(project, manager, api):
    (item,) = items_add(project, role="gold")
    shape = box(points=[1, 2, 3, 4])
    client = api(manager)

    saved = client.put(f"/api/v1/items/{item.pk}/gold/", {"shapes": [shape]}, format="json")
    loaded = client.get(f"/api/v1/items/{item.pk}/gold/")

    assert saved.status_code == 200
    stored = {
        **shape,
        "points": [1.0, 2.0, 3.0, 4.0],
        "attributes": {},
        "occluded": False,
        "label_id": project.label("car")["id"],
    }
    assert loaded.json()["shapes"] == saved.json()["shapes"] == [stored]
    assert (loaded.json()["item"], loaded.json()["source"]) == (item.pk, "manual")
    assert list(GoldAnswer.objects.values_list("item_id", "author_id")) == [(item.pk, manager.pk)]


def test_setting_gold_again_replaces_the_one_answer(project, manager, api):
    (item,) = items_add(project, role="gold")
    gold_add(item, manager)

    response = api(manager).put(f"/api/v1/items/{item.pk}/gold/", {"shapes": []}, format="json")

    assert response.status_code == 200
    assert list(GoldAnswer.objects.values_list("item_id", "shapes")) == [(item.pk, [])]


def test_an_invalid_gold_answer_is_refused_and_the_old_one_kept(project, manager, api):
    (item,) = items_add(project, role="gold", size=(64, 48))
    before = gold_add(item, manager).shapes

    response = api(manager).put(
        f"/api/v1/items/{item.pk}/gold/", {"shapes": [box(points=[1, 2, 99, 4])]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "shapes": {"0": {"points": ["Points must lie inside the 64x48 image."]}}
    }
    assert GoldAnswer.objects.get().shapes == before


def test_an_item_without_gold_answers_404_to_its_manager(project, manager, api):
    (item,) = items_add(project, role="gold")

    response = api(manager).get(f"/api/v1/items/{item.pk}/gold/")

    assert response.status_code == 404
    assert response.json() == {"detail": "This item has no gold answer."}
