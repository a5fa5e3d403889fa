"""Pipeline runs on real Celery workers (subprocesses on a Redis queue, Postgres): a run
completes; a worker killed mid-run loses and duplicates nothing."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from django.conf import settings

from pipelines.models import PipelineOutput, PipelineRun, PipelineUnit
from pipelines.services import pipeline_run_request, pipelines_recover
from tests.pipelines.factories import labelled_version
from versioning.models import Job

TIMEOUT_SECONDS = 120


def _wait_for(job: Job, *, tick=None) -> Job:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while True:
        job.refresh_from_db()
        if job.finished:
            return job
        assert time.monotonic() < deadline, f"job {job.pk} still {job.status}"
        if tick is not None:
            tick()
        time.sleep(0.2)


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
    env = {
        **os.environ,
        "CELERY_QUEUE": queue,
        "LOUPE_TEST_DATABASE_NAME": str(settings.DATABASES["default"]["NAME"]),
        "PIPELINE_UNIT_LEASE_SECONDS": "4",
        "PIPELINE_BATCH_SIZE": "2",
    }
    command = [sys.executable, "-m", "celery", "-A", "loupe", "worker", "-P", "solo"]
    command += ["-Q", queue, "-n", f"{name}@%h", "-l", "warning"]
    command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
    return subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)


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
            deadline = time.monotonic() + 60
            while not PipelineUnit.objects.filter(run=run, state="done").exists():
                assert time.monotonic() < deadline, "no unit finished"
                time.sleep(0.05)
            workers[0].send_signal(signal.SIGKILL)  # mid-run, holding units or the job
            workers[0].wait()
            workers.append(_worker(queue, f"{queue}-c"))

            # beat's recovery, every second instead of every minute
            job = _wait_for(job, tick=pipelines_recover)
        finally:
            for process in workers:
                if process.poll() is None:
                    process.terminate()
            for process in workers:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=20)
                if process.poll() is None:
                    process.kill()

    assert job.status == "succeeded", job.error
    run.refresh_from_db()
    assert (run.computed, run.failed) == (8 * 4 + 3, 0)
    keys = list(PipelineUnit.objects.filter(run=run).values_list("key", flat=True))
    assert len(keys) == 8 * 4 + 3 and not [k for k, n in Counter(keys).items() if n > 1]
    assert PipelineOutput.objects.filter(key__in=keys).count() == len(keys)
    assert set(PipelineUnit.objects.filter(run=run).values_list("state", flat=True)) == {"done"}
