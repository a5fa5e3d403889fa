"""Real threads, one database connection each (SQLite file or Postgres)."""

from unittest.mock import patch

import pytest

from tests.annotate.test_queue import run_at_once
from tests.projects.factories import items_add
from tests.versioning.factories import document_accepted
from versioning.jobs import job_execute
from versioning.models import DatasetVersion, Job, VersionItem


@pytest.mark.django_db(transaction=True)
def test_concurrent_snapshots_of_the_same_content_make_one_version(
    project, manager, annotator, reviewer
):
    for item in items_add(project, 3):
        document_accepted(item, annotator, reviewer)
    params = {"message": "", "source": "accepted", "filters": {}}
    jobs = [
        Job.objects.create(kind="snapshot", project=project, created_by=manager, params=params)
        for _ in range(4)
    ]

    outcomes = run_at_once(4, lambda index: job_execute(job_id=jobs[index].pk))

    assert [outcome.status for outcome in outcomes] == ["succeeded"] * 4
    assert sorted(Job.objects.values_list("result__created", flat=True)) == [
        False,
        False,
        False,
        True,
    ]
    assert DatasetVersion.objects.count() == 1
    assert VersionItem.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_job_run_it_once(project, manager):
    from versioning import jobs as job_module

    runs: list[int] = []

    def work(context: job_module.JobContext) -> dict[str, int]:
        runs.append(context.job.pk)
        return {}

    with patch.dict(job_module.JOB_WORKERS, {"pipeline": work}):
        job = Job.objects.create(kind="pipeline", project=project, created_by=manager)
        outcomes = run_at_once(6, lambda index: job_execute(job_id=job.pk))

    assert runs == [job.pk]
    assert sum(outcome.ran for outcome in outcomes) == 1
    assert Job.objects.get().attempts == 1
