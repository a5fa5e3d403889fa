"""Job lifecycle services: create, claim under a lease, report progress, finish.

Every attempt claims the job with one conditional UPDATE (queued, or running under a lapsed
lease -> running under a new token), so a redelivered message finds the job claimed or finished
and does nothing, and a job whose worker died is claimed again once its lease lapses. Progress
reports renew the lease; writes by an attempt whose claim was taken over update nothing.
"""

import logging
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from common.errors import DomainError
from projects.models import Project
from versioning.models import Job, JobStatus

logger = logging.getLogger(__name__)

# A live worker renews its lease with every progress report; a lease this long without one
# means the worker is gone. Work reports progress at least once per batch of rows.
LEASE_SECONDS = 300

JobWork = Callable[["JobContext"], dict[str, Any]]
JOB_WORKERS: dict[str, JobWork] = {}


def job_kind_register(kind: str, work: JobWork) -> None:
    """Apps to the right (pipelines) register their job kinds here in AppConfig.ready."""
    JOB_WORKERS[kind] = work


@dataclass
class JobContext:
    """What a worker function gets: the job as claimed, and progress reporting under its claim."""

    job: Job
    token: str

    def progress(self, done: int, total: int | None = None) -> None:
        job_progress(job_id=self.job.pk, token=self.token, done=done, total=total)


@dataclass(frozen=True)
class Outcome:
    """What one delivery of a job did: ran it, found it finished, or found it held elsewhere."""

    ran: bool
    status: str
    busy_until: datetime | None = None


def job_create(*, kind: str, project: Project, user: User | None, params: dict[str, Any]) -> Job:
    """Create the job and enqueue it once the surrounding transaction commits."""
    from versioning.tasks import job_run  # tasks import the services; the edge is here only

    job = Job.objects.create(
        kind=kind, project=project, created_by=user, params=params, enqueued_at=timezone.now()
    )
    transaction.on_commit(lambda: job_run.delay(job.pk))
    return job


def job_claim(*, job_id: int, now: datetime | None = None) -> str | None:
    """Claim the job for one attempt: the new claim token, or None when it is finished or held
    by a live lease."""
    now = now or timezone.now()
    token = f"{socket.gethostname()[:40]}:{uuid.uuid4().hex[:16]}"
    claimable = Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, lease_until__lt=now)
    claimed = Job.objects.filter(claimable, pk=job_id).update(
        status=JobStatus.RUNNING,
        claimed_by=token,
        lease_until=now + timedelta(seconds=LEASE_SECONDS),
        started_at=Coalesce(F("started_at"), now),
        attempts=F("attempts") + 1,
    )
    return token if claimed else None


def job_progress(*, job_id: int, token: str, done: int, total: int | None = None) -> bool:
    fields: dict[str, Any] = {
        "progress_done": done,
        "lease_until": timezone.now() + timedelta(seconds=LEASE_SECONDS),
    }
    if total is not None:
        fields["progress_total"] = total
    mine = Job.objects.filter(pk=job_id, claimed_by=token, status=JobStatus.RUNNING)
    return bool(mine.update(**fields))


def job_finish(*, job_id: int, token: str, result: dict[str, Any]) -> bool:
    mine = Job.objects.filter(pk=job_id, claimed_by=token, status=JobStatus.RUNNING)
    return bool(
        mine.update(
            status=JobStatus.SUCCEEDED,
            result=result,
            error="",
            finished_at=timezone.now(),
            lease_until=None,
            progress_done=F("progress_total"),
        )
    )


def job_fail(*, job_id: int, token: str, error: str) -> bool:
    mine = Job.objects.filter(pk=job_id, claimed_by=token, status=JobStatus.RUNNING)
    return bool(
        mine.update(
            status=JobStatus.FAILED, error=error, finished_at=timezone.now(), lease_until=None
        )
    )


def job_release(*, job_id: int, token: str) -> bool:
    """Give the claim back (a transient error): the next delivery claims it at once."""
    mine = Job.objects.filter(pk=job_id, claimed_by=token, status=JobStatus.RUNNING)
    return bool(mine.update(status=JobStatus.QUEUED, lease_until=None))


def job_execute(*, job_id: int, transient: tuple[type[Exception], ...] = ()) -> Outcome:
    """One delivery: claim, run the kind's work, record the result or the error.

    Transient errors (listed by the task) release the claim and propagate so the task retries;
    any other error fails the job with its message.
    """
    token = job_claim(job_id=job_id)
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return Outcome(ran=False, status="missing")
    if token is None:
        busy = job.lease_until if job.status == JobStatus.RUNNING else None
        return Outcome(ran=False, status=job.status, busy_until=busy)
    work = JOB_WORKERS.get(job.kind)
    try:
        if work is None:
            raise DomainError(f"No worker handles {job.kind} jobs.")
        result = work(JobContext(job=job, token=token))
    except transient:
        job_release(job_id=job_id, token=token)
        raise
    except DomainError as error:
        job_fail(job_id=job_id, token=token, error=error.message)
        return Outcome(ran=True, status=JobStatus.FAILED)
    except Exception as error:
        logger.exception("job %s failed", job_id)
        job_fail(job_id=job_id, token=token, error=f"{type(error).__name__}: {error}")
        return Outcome(ran=True, status=JobStatus.FAILED)
    finished = job_finish(job_id=job_id, token=token, result=result)
    return Outcome(ran=True, status=JobStatus.SUCCEEDED if finished else "superseded")


def jobs_recover(*, now: datetime | None = None) -> list[int]:
    """Re-send jobs whose worker died (running, lease lapsed) or whose message was lost
    (queued, last sent longer than a lease ago), each at most once per lease period so a
    backed-up queue is not flooded. Safe to run any time: claims decide who runs what."""
    from versioning.tasks import job_run

    now = now or timezone.now()
    quiet = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - timedelta(seconds=LEASE_SECONDS))
    stale = quiet & (Q(status=JobStatus.RUNNING, lease_until__lt=now) | Q(status=JobStatus.QUEUED))
    resent = []
    for job_id in Job.objects.filter(stale).order_by("pk").values_list("pk", flat=True):
        # The same conditions again: of two concurrent recoveries, one re-sends.
        if Job.objects.filter(stale, pk=job_id).update(enqueued_at=now):
            transaction.on_commit(partial(job_run.delay, job_id))
            resent.append(job_id)
    return resent
