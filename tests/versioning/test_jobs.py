from datetime import timedelta
from typing import Any
from unittest.mock import patch

import pytest
from django.utils import timezone

from versioning import jobs
from versioning.jobs import job_claim, job_execute, jobs_recover
from versioning.models import Job
from versioning.tasks import job_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def counting_kind() -> Any:
    """A job kind whose work counts its runs."""
    runs: list[int] = []

    def work(context: jobs.JobContext) -> dict[str, Any]:
        runs.append(context.job.pk)
        context.progress(1, 2)
        return {"runs": len(runs)}

    # patch.dict puts back what was registered before (the real pipeline worker), not nothing.
    with patch.dict(jobs.JOB_WORKERS, {"pipeline": work}):
        yield runs


def job_queued(project, user, **fields: Any) -> Job:
    return Job.objects.create(kind="pipeline", project=project, created_by=user, **fields)


def test_a_job_runs_once_when_its_task_is_delivered_twice(project, manager, counting_kind):
    job = job_queued(project, manager)

    first = job_run.apply(args=[job.pk]).get()
    second = job_run.apply(args=[job.pk]).get()

    job.refresh_from_db()
    assert (first, second) == ("succeeded", "succeeded")
    assert counting_kind == [job.pk]
    assert (job.status, job.result, job.attempts) == ("succeeded", {"runs": 1}, 1)
    assert (job.progress_done, job.progress_total, job.lease_until) == (2, 2, None)
    assert job.started_at is not None and job.finished_at is not None


def test_a_job_held_by_a_live_lease_is_not_run_again(project, manager, counting_kind):
    lease = timezone.now() + timedelta(seconds=60)
    job = job_queued(project, manager, status="running", claimed_by="w1:abc", lease_until=lease)

    outcome = job_execute(job_id=job.pk)

    job.refresh_from_db()
    assert (outcome.ran, outcome.status, outcome.busy_until) == (False, "running", lease)
    assert counting_kind == []
    assert (job.status, job.claimed_by, job.attempts) == ("running", "w1:abc", 0)


def test_a_job_whose_worker_died_is_claimed_again_and_run(project, manager, counting_kind):
    expired = timezone.now() - timedelta(seconds=1)
    job = job_queued(project, manager, status="running", claimed_by="dead:1", lease_until=expired)

    outcome = job_execute(job_id=job.pk)

    job.refresh_from_db()
    assert (outcome.ran, outcome.status) == (True, "succeeded")
    assert counting_kind == [job.pk]
    assert job.status == "succeeded" and job.claimed_by != "dead:1"


def test_the_dead_workers_late_writes_change_nothing(project, manager):
    job = job_queued(project, manager)
    dead = job_claim(job_id=job.pk)
    later = timezone.now() + timedelta(seconds=jobs.LEASE_SECONDS + 1)
    alive = job_claim(job_id=job.pk, now=later)
    assert dead and alive and dead != alive

    assert jobs.job_progress(job_id=job.pk, token=dead, done=5, total=9) is False
    assert jobs.job_finish(job_id=job.pk, token=dead, result={"x": 1}) is False

    job.refresh_from_db()
    assert (job.status, job.claimed_by, job.result, job.attempts) == ("running", alive, None, 2)


def test_a_failing_job_records_its_error(project, manager):
    def work(context: jobs.JobContext) -> dict[str, Any]:
        raise ValueError("bad pixels")

    with patch.dict(jobs.JOB_WORKERS, {"pipeline": work}):
        job = job_queued(project, manager)
        outcome = job_execute(job_id=job.pk)

    job.refresh_from_db()
    assert outcome.status == "failed"
    assert (job.status, job.error, job.result) == ("failed", "ValueError: bad pixels", None)


def test_recovery_resends_jobs_with_a_lapsed_lease_or_a_lost_message_once_per_lease(
    project, manager, counting_kind, django_capture_on_commit_callbacks
):
    now = timezone.now()
    long_ago = now - timedelta(seconds=jobs.LEASE_SECONDS + 1)
    dead = job_queued(project, manager, status="running", lease_until=now - timedelta(seconds=1))
    live = job_queued(project, manager, status="running", lease_until=now + timedelta(seconds=60))
    lost = job_queued(project, manager, enqueued_at=long_ago)
    waiting = job_queued(project, manager, enqueued_at=now)
    done = job_queued(project, manager, status="succeeded")

    with django_capture_on_commit_callbacks(execute=False) as sent:
        recovered = jobs_recover()
        again = jobs_recover()
    for callback in sent:
        callback()

    assert (recovered, again) == ([dead.pk, lost.pk], [])
    assert counting_kind == [dead.pk, lost.pk]
    assert dict(Job.objects.values_list("pk", "status")) == {
        dead.pk: "succeeded",
        live.pk: "running",
        lost.pk: "succeeded",
        waiting.pk: "queued",
        done.pk: "succeeded",
    }


def test_a_transient_error_gives_the_claim_back_for_the_retry(project, manager):
    from django.db import OperationalError

    calls: list[int] = []

    def work(context: jobs.JobContext) -> dict[str, Any]:
        calls.append(context.job.pk)
        if len(calls) == 1:
            raise OperationalError("server closed the connection")
        return {"ok": True}

    with patch.dict(jobs.JOB_WORKERS, {"pipeline": work}):
        job = job_queued(project, manager)
        with pytest.raises(OperationalError):
            job_execute(job_id=job.pk, transient=(OperationalError,))
        job.refresh_from_db()
        released = (job.status, job.lease_until, job.attempts)
        retried = job_execute(job_id=job.pk, transient=(OperationalError,))

    job.refresh_from_db()
    assert released == ("queued", None, 1)
    assert retried.status == "succeeded"
    assert (job.status, job.result, job.attempts) == ("succeeded", {"ok": True}, 2)
