"""The gold score on a real Celery worker (a subprocess consuming a Redis queue). This checks the
path works; how fast (≤ 1 s after submit) is a figure for bench/, not a test."""

import time

import pytest

from quality.models import GoldScore
from tests.annotate.factories import document_saved
from tests.projects.factories import items_add
from tests.quality.factories import gold_add
from tests.quality.test_gold_scores import CANDIDATE, EXPECTED, GOLD, fields


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_scores_a_gold_submit(
    celery_worker_process, project, manager, annotator, api
):
    # given a hidden gold item and bob's shapes, committed (the worker is another process)
    (item,) = items_add(project, role="gold")
    gold_add(item, manager, GOLD)
    document_saved(item, annotator, CANDIDATE)

    # when bob submits through the API
    response = api(annotator).post(f"/api/v1/items/{item.pk}/annotation/submit/")

    # then the worker writes the score
    assert response.status_code == 200
    deadline = time.monotonic() + 30
    while not GoldScore.objects.exists():
        assert time.monotonic() < deadline, "no score from the worker within 30 s"
        time.sleep(0.05)
    assert fields(GoldScore.objects.get()) == EXPECTED
