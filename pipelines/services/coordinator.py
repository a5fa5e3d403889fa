"""The run's job: it advances the run and claims units itself until the run finishes; and the
recovery of lost messages and stalled runs."""

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from common.errors import DomainError
from pipelines.models import PipelineRun, PipelineUnit, RunStatus, UnitState
from pipelines.services.leases import _lease, _live_units
from pipelines.services.rounds import _dispatch, pipeline_run_advance, run_result
from pipelines.services.workers import pipeline_units_process
from versioning.models import Job

POLL_SECONDS = 0.5
PROGRESS_SECONDS = 2.0  # the job's progress (and its lease, 300 s) renewed at most this often
QUARANTINE_SHOWN = 100
Progress = Callable[[int, int | None], None]


def pipeline_run_execute(*, job: Job, progress: Progress | None = None) -> dict[str, Any]:
    """The run's job: advance it and work on its units until it finishes."""
    run = PipelineRun.objects.filter(job=job).first()
    if run is None:
        raise DomainError("This job has no pipeline run.")
    pipeline_run_advance(run_id=run.pk)
    reported = time.monotonic()
    round_units = _RoundUnits(run.pk)
    while True:
        batch = round_units.next_batch()
        worked = pipeline_units_process(run_id=run.pk, unit_ids=batch)
        run.refresh_from_db()
        if run.status != RunStatus.RUNNING:
            break
        if not worked and batch is None:
            _stall_check(run)
            time.sleep(POLL_SECONDS)
        # Counting 200k units after every batch of 100 cost the coordinator more than the batch.
        if progress is not None and time.monotonic() - reported >= PROGRESS_SECONDS:
            done, total = _progress(run)
            progress(done, total)
            reported = time.monotonic()
    if run.status == RunStatus.FAILED:
        raise DomainError(run.error or "The pipeline run failed.")
    return run_result(run)


class _RoundUnits:
    """The coordinator's way through a round: its queued units by id, a batch at a time, as
    the workers' messages name them (a claim of 100 ids reads 100 rows; "any claimable unit of
    the run" reads past every finished one: a quarter second per claim at 200k units). Then
    None: claim whatever is left (lapsed leases, units others gave back)."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.round = -1
        self.ids: list[int] = []
        self.position = 0

    def next_batch(self) -> list[int] | None:
        rounds = PipelineRun.objects.filter(pk=self.run_id).values_list("rounds", flat=True)
        current = rounds.first() or 0
        if current != self.round:
            self.round, self.position = current, 0
            queued = _live_units(self.run_id).filter(state=UnitState.QUEUED).order_by("pk")
            self.ids = list(queued.values_list("pk", flat=True))
        if self.position >= len(self.ids):
            return None
        size = max(1, settings.PIPELINE_BATCH_SIZE)
        batch = self.ids[self.position : self.position + size]
        self.position += len(batch)
        return batch


def pipelines_recover() -> dict[str, int]:
    """Beat, every minute: send again the units whose worker died (claimed, lease lapsed; their
    message is unacknowledged with the dead worker) or whose message was lost (queued, sent
    longer than a lease ago: the broker restarted empty, or was down when they were sent), each
    at most once per lease; and advance runs whose round is over but which no worker advanced.
    Safe any time: claims decide who computes what."""
    now = timezone.now()
    sent = advanced = 0
    lapsed = Q(lease_until__lt=now) & (Q(state=UnitState.CLAIMED) | Q(state=UnitState.QUEUED)) | Q(
        state=UnitState.QUEUED, lease_until__isnull=True
    )
    for run_id in PipelineRun.objects.filter(status=RunStatus.RUNNING).values_list("pk", flat=True):
        with transaction.atomic():
            rows = PipelineUnit.objects.filter(lapsed, run_id=run_id)
            if connection.features.has_select_for_update_skip_locked:
                rows = rows.select_for_update(skip_locked=True)
            ids = list(rows.order_by("pk").values_list("pk", flat=True))
            # Queued ones are not re-sent before another lease; claimed ones stay claimable.
            PipelineUnit.objects.filter(pk__in=ids, state=UnitState.QUEUED).update(
                lease_until=now + _lease()
            )
        if ids:
            _dispatch(run_id, ids)
            sent += len(ids)
        if not _live_units(run_id).exists():
            pipeline_run_advance(run_id=run_id, repair=True)
            advanced += 1
    return {"sent": sent, "advanced": advanced}


def _stall_check(run: PipelineRun) -> None:
    """Nothing claimable: others hold live leases, or the round is over (advance)."""
    if run.outstanding <= 0 or not _live_units(run.pk).exists():
        pipeline_run_advance(run_id=run.pk, repair=True)


def _progress(run: PipelineRun) -> tuple[int, int]:
    units = PipelineUnit.objects.filter(run=run)
    return units.filter(state__in=(UnitState.DONE, UnitState.FAILED)).count(), units.count()
