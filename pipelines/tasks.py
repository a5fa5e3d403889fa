from typing import Any

from celery import shared_task
from django.conf import settings

from pipelines.services import (
    TRANSIENT,
    pipeline_run_finished,
    pipeline_units_process,
    pipelines_nightly,
    pipelines_recover,
)

LEASE = settings.PIPELINE_UNIT_LEASE_SECONDS


@shared_task(  # type: ignore[untyped-decorator]  # Celery is untyped
    bind=True,
    name="pipelines.run_batch",
    acks_late=True,
    reject_on_worker_lost=True,
    # Stop before the units' lease lapses, so no second worker computes them meanwhile.
    time_limit=max(30, LEASE - 10),
    soft_time_limit=max(20, LEASE - 20),
    max_retries=8,
)
def run_batch(self: Any, run_id: int, batch: list[int]) -> int:
    """Claim these units of the run (those still claimable), compute, count them off."""
    if run_id in _finished:
        return 0
    try:
        claimed = pipeline_units_process(run_id=run_id, unit_ids=batch)
    except TRANSIENT as error:
        raise self.retry(exc=error, countdown=min(120, 2 * 2**self.request.retries)) from error
    if not claimed and pipeline_run_finished(run_id=run_id):
        _remember_finished(run_id)
    return claimed


# Runs this process saw finished: the batches still queued for them (the run's job or other
# workers claimed their units first) are dropped without a database round trip, so a queue
# holding a finished run's leftovers drains in moments instead of delaying the next run.
_finished: set[int] = set()


def _remember_finished(run_id: int) -> None:
    if len(_finished) > 10_000:
        _finished.clear()
    _finished.add(run_id)


@shared_task(name="pipelines.nightly", time_limit=600)  # type: ignore[untyped-decorator]
def nightly() -> int:
    return len(pipelines_nightly())


@shared_task(name="pipelines.recover", time_limit=120)  # type: ignore[untyped-decorator]
def recover() -> dict[str, int]:
    return pipelines_recover()
