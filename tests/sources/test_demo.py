"""The demo `make run` installs: real work in the queue, hidden gold with exact answers."""

import pytest

from annotate.services import item_assign_next
from projects.models import Item
from quality.models import GoldAnswer
from sources.demo import demo_install

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    return demo_install(count=12, gold_every=6)


def test_the_demo_annotator_gets_work_from_the_queue(demo):
    from django.contrib.auth import get_user_model

    annotator = get_user_model().objects.get(username="annotator")
    item = item_assign_next(user=annotator, project=demo.project)
    assert item is not None
    assert item.project_id == demo.project.pk


def test_one_scene_in_six_is_hidden_gold_with_its_exact_ground_truth(demo):
    gold = GoldAnswer.objects.filter(item__project=demo.project).select_related("item")
    assert sorted(answer.item.name for answer in gold) == ["scene-0005.png", "scene-0011.png"]
    assert all(answer.shapes and answer.source == "synthetic" for answer in gold)
    assert Item.objects.filter(project=demo.project).count() == 12


def test_installing_twice_adds_nothing(demo):
    again = demo_install(count=12, gold_every=6)
    assert again.created_items == 0
    assert GoldAnswer.objects.filter(item__project=demo.project).count() == 2
