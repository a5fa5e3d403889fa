"""Pipeline runs on real Celery workers (subprocesses on a Redis queue, Postgres): a run
completes; a worker killed mid-run loses and duplicates nothing."""

import contextlib
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from pipelines.models import PipelineOutput, PipelineRun, PipelineUnit
from pipelines.services import pipeline_run_request, pipelines_recover
from tests.pipelines.factories import labelled_version
from tests.pipelines.workers import wait_until, worker_start, workers_stop
from versioning.models import Job

TIMEOUT_SECONDS = 120


def _wait_for(job: Job, *, tick=None) -> Job:
    def finished() -> bool:
        job.refresh_from_db()
        return job.finished

    deadline = time.monotonic() + TIMEOUT_SECONDS
    wait_until(finished, f"job {job.pk} still running", deadline, tick=tick)
    return job


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_run_completes_on_a_real_worker(
    celery_worker_process, project, manager, annotator, reviewer
):
    _, version = labelled_version(project, manager, annotator, reviewer, count=4)

    job = _wait_for(pipeline_run_request(version=version, pipeline="default", user=manager))

    assert job.status == "succeeded", job.error
    assert (job.result["computed"], job.result["failed"]) == (4 * 4 + 3, 0)
    again = _wait_for(pipeline_run_request(version=version, pipeline="default", user=manager))
    assert (again.result["computed"], again.result["reused"]) == (0, 4 * 4 + 3)
    assert not PipelineUnit.objects.filter(run__job=again).exists()


@contextlib.contextmanager
def _own_queue() -> Iterator[str]:
    """A queue only this test's workers consume (the session's worker does not)."""
    from loupe.celery import app

    queue = f"loupe-chaos-{uuid.uuid4().hex[:8]}"
    before = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        app.conf.task_default_queue = before


def _worker(queue: str, name: str) -> subprocess.Popen:
    return worker_start(queue, name, lease_seconds=4)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(
    celery_worker_process, project, manager, annotator, reviewer
):
    _, version = labelled_version(project, manager, annotator, reviewer, count=8)
    with _own_queue() as queue:
        workers = [_worker(queue, f"{queue}-a"), _worker(queue, f"{queue}-b")]
        try:
            job = pipeline_run_request(version=version, pipeline="default", user=manager)
            run = PipelineRun.objects.get(job=job)
            done = PipelineUnit.objects.filter(run=run, state="done")
            wait_until(done.exists, "no unit finished", time.monotonic() + 60, interval=0.05)
            workers[0].send_signal(signal.SIGKILL)  # mid-run, holding units or the job
            workers[0].wait()
            workers.append(_worker(queue, f"{queue}-c"))

            # beat's recovery, every second instead of every minute
            job = _wait_for(job, tick=pipelines_recover)
        finally:
            workers_stop(workers)

    assert job.status == "succeeded", job.error
    run.refresh_from_db()
    assert (run.computed, run.failed) == (8 * 4 + 3, 0)
    keys = list(PipelineUnit.objects.filter(run=run).values_list("key", flat=True))
    assert len(keys) == 8 * 4 + 3 and not [k for k, n in Counter(keys).items() if n > 1]
    assert PipelineOutput.objects.filter(key__in=keys).count() == len(keys)
    assert set(PipelineUnit.objects.filter(run=run).values_list("state", flat=True)) == {"done"}
