"""The demo `make run` installs: a training course on synthetic gold, a short exam, then real
work in the queue with hidden gold mixed in, every answer the generator's exact ground truth."""

import pytest
from django.contrib.auth import get_user_model

from annotate.services import annotation_save, annotation_submit, item_assign_next
from annotate.training import annotator_stage, exam_start
from projects.models import Item, Membership
from quality.models import GoldAnswer, GoldPurpose
from quality.services import exam_grade
from sources.demo import DEMO_EXAM_ITEMS, demo_install

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    return demo_install(count=12, gold_every=3, training=2)


def label_like_gold(user, item: Item) -> None:
    annotation_save(user=user, item=item, shapes=item.gold.shapes, expected_version=0)
    annotation_submit(user=user, item=item)


def test_the_demo_annotator_trains_passes_the_exam_then_gets_real_work(demo):
    annotator = get_user_model().objects.get(username="annotator")
    project = demo.project
    training = []
    while annotator_stage(user=annotator, project=project).stage == "training":
        item = item_assign_next(user=annotator, project=project)
        training.append(item.name)
        label_like_gold(annotator, item)
    exam_start(user=annotator, project=project)
    exam = []
    while annotator_stage(user=annotator, project=project).stage == "exam":
        item = item_assign_next(user=annotator, project=project)
        exam.append(item.pk)
        label_like_gold(annotator, item)
    attempt = exam_grade(project_id=project.pk, user_id=annotator.pk)
    work = item_assign_next(user=annotator, project=project)

    assert training == ["scene-1000.png", "scene-1001.png"]
    assert len(exam) == DEMO_EXAM_ITEMS == project.exam_items
    assert attempt is not None and attempt.passed and attempt.accuracy == 1.0
    assert Membership.objects.get(user=annotator, project=project).qualified_at is not None
    assert work is not None and work.pk not in exam and work.project_id == project.pk


def test_training_and_hidden_gold_carry_the_exact_ground_truth(demo):
    gold = GoldAnswer.objects.filter(item__project=demo.project).select_related("item")
    hidden = sorted(a.item.name for a in gold if a.purpose == GoldPurpose.HIDDEN)
    training = sorted(a.item.name for a in gold if a.purpose == GoldPurpose.TRAINING)
    assert hidden == ["scene-0002.png", "scene-0005.png", "scene-0008.png", "scene-0011.png"]
    assert training == ["scene-1000.png", "scene-1001.png"]
    assert all(answer.shapes and answer.source == "synthetic" for answer in gold)
    assert Item.objects.filter(project=demo.project).count() == 14


def test_installing_twice_adds_nothing(demo):
    again = demo_install(count=12, gold_every=3, training=2)
    assert again.created_items == 0
    assert GoldAnswer.objects.filter(item__project=demo.project).count() == 6
