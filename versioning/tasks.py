from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from versioning.jobs import Outcome, job_execute, jobs_recover

# Errors worth another attempt (a database restart, object storage unreachable).
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    bind=True,
    name="versioning.job_run",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=1800,
    soft_time_limit=1740,
    max_retries=5,
)
def job_run(self: Any, job_id: int) -> str:
    try:
        outcome: Outcome = job_execute(job_id=job_id, transient=TRANSIENT)
    except TRANSIENT as error:
        raise self.retry(exc=error, countdown=min(300, 10 * 2**self.request.retries)) from error
    if outcome.busy_until is not None and not self.request.is_eager:
        # Held by another attempt: come back when its lease would lapse, in case it died.
        wait = (outcome.busy_until - timezone.now()).total_seconds() + 5
        raise self.retry(countdown=max(5, int(wait)), max_retries=20)
    return outcome.status


@shared_task(name="versioning.jobs_recover", time_limit=60)
def jobs_recover_task() -> int:
    return len(jobs_recover())
