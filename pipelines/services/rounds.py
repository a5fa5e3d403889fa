"""Advancing a run (plan a round of units and dispatch them) and finishing it."""

import io
import logging
from functools import partial
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from common.errors import DomainError
from formats.canonical import content_hash
from pipelines.bulk import NewUnit, units_insert
from pipelines.dag import PipelineError
from pipelines.features import feature_table
from pipelines.item_features import features_index
from pipelines.loaders import items_from_rows, version_rows
from pipelines.models import PipelineRun, PipelineUnit, RunStatus, UnitState
from pipelines.reruns import feature_sources, run_finish_as, run_repeated
from pipelines.services.leases import _lease, _live_units
from pipelines.services.requests import pipeline_dag
from pipelines.services.walk import UnitSeen, Walk, _sources, _walk
from pipelines.store import PostgresStore
from versioning.jobs import job_finish
from versioning.models import Job, JobStatus

logger = logging.getLogger(__name__)


QUARANTINE_SHOWN = 100


def _units_seen(run_id: int) -> dict[str, UnitSeen]:
    rows = PipelineUnit.objects.filter(run_id=run_id).values_list(
        "key", "state", "computed", "step", "item_id", "error"
    )
    return {
        key: UnitSeen(state, computed, step, item, error)
        for key, state, computed, step, item, error in rows
    }


def pipeline_run_advance(*, run_id: int, repair: bool = False) -> None:
    """Plan the next round of a run whose units are all finished, or finish it. Safe to call any
    time and from several workers: it works under the run's row lock and only when nothing is
    outstanding; units are unique per (run, key). `repair` resets a count left above 0 with no
    unit queued or claimed (stable under the lock: units are created only here)."""
    with transaction.atomic():
        run = PipelineRun.objects.select_for_update().select_related("version").get(pk=run_id)
        if run.status != RunStatus.RUNNING:
            return
        if run.outstanding > 0:
            if not repair or _live_units(run.pk).exists():
                return
            logger.warning("run %s counted %s units with none left", run.pk, run.outstanding)
            run.outstanding = 0
            PipelineRun.objects.filter(pk=run.pk).update(outstanding=0)
        finished = _advance(run)
    if finished:
        _job_settle(run_id)


def _advance(run: PipelineRun) -> bool:
    """Under the run's lock, with nothing outstanding: start its next round or finish it
    (True). A first round that repeats a finished run finishes as it did, without a walk."""
    try:
        dag = pipeline_dag(run.pipeline)
        previous = run_repeated(run, dag) if run.rounds == 0 else None
        if previous is not None:
            run_finish_as(run, previous)
            return True
        sources = _sources(dag, run.version)
        items = items_from_rows(version_rows(run.version_id))
        units = _units_seen(run.pk)
        walk = _walk(run, dag, items, sources, PostgresStore(), units)
    except (DomainError, PipelineError) as error:
        _run_fail(run, str(error))
        return True
    if walk.new_units:
        # item-major: a batch's consecutive units of one item decode its image once
        ordered = sorted(
            walk.new_units.values(),
            key=lambda u: (u.item_id is None, u.item_id or 0, u.step),
        )
        _round_start(run, ordered)
        return False
    if not walk.waiting:
        _run_finish(run, walk, units)
        return True
    return False


def _round_start(run: PipelineRun, units: list[NewUnit]) -> None:
    sent_until = timezone.now() + _lease()
    for unit in units:
        unit.lease_until = sent_until
    units_insert(units)
    PipelineRun.objects.filter(pk=run.pk).update(
        outstanding=F("outstanding") + len(units), rounds=F("rounds") + 1
    )
    # Under the run's lock with nothing outstanding, the queued units are this round's.
    queued = PipelineUnit.objects.filter(run=run, state=UnitState.QUEUED).order_by("pk")
    ids = list(queued.values_list("pk", flat=True))
    transaction.on_commit(partial(_dispatch, run.pk, ids))


def _dispatch(run_id: int, unit_ids: list[int]) -> None:
    """Send the units in batches. Queued units carry a "sent until" lease: a message lost with
    the broker (down, restarted empty) or not sent is sent again by `pipelines_recover` once it
    lapses, so a broker error here is logged, never raised into the committed round."""
    from pipelines.tasks import run_batch  # tasks import the services; the edge is here only

    size = max(1, settings.PIPELINE_BATCH_SIZE)
    try:
        for start in range(0, len(unit_ids), size):
            run_batch.delay(run_id, unit_ids[start : start + size])
    except Exception as error:  # the broker is down: the recovery sends them later
        logger.warning("pipeline run %s: units not sent (%s), recovery resends them", run_id, error)


def _run_finish(run: PipelineRun, walk: Walk, units: dict[str, UnitSeen]) -> None:
    totals = {
        name: sum(c[name] for c in walk.counts.values())
        for name in ("computed", "reused", "failed", "skipped")
    }
    run.status = RunStatus.SUCCEEDED
    run.steps = walk.counts
    run.features = _features_write(walk)
    features_index(
        version=run.version,
        item_outputs=walk.item_outputs,
        dataset_outputs=walk.dataset_outputs,
        sources=feature_sources(run.features),
    )
    run.finished_at = timezone.now()
    for name, value in totals.items():
        setattr(run, name, value)
    run.save(update_fields=["status", "steps", "features", "finished_at", *totals])


def _run_fail(run: PipelineRun, error: str) -> None:
    run.status, run.error, run.finished_at = RunStatus.FAILED, error, timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])


def _features_write(walk: Walk) -> dict[str, Any]:
    """A Parquet table per per-item step (stored once per set of keys); dataset steps by key."""
    features: dict[str, Any] = {}
    for name, outputs in walk.item_outputs.items():
        key = f"pipelines/features/{name}/{content_hash(walk.item_keys[name])}.parquet"
        if not default_storage.exists(key):
            table = feature_table(outputs)
            # item ids as integers, to join the version's `items` table in SQL
            table = table.set_column(0, "item_id", pc.cast(table.column("item_id"), pa.int64()))
            buffer = io.BytesIO()
            pq.write_table(table, buffer)
            default_storage.save(key, ContentFile(buffer.getvalue()))
        features[name] = {"table": key}
    for name, dataset_key_ in walk.dataset_keys.items():
        features[name] = {"key": dataset_key_}
    return features


def run_result(run: PipelineRun) -> dict[str, Any]:
    failures = PipelineUnit.objects.filter(run=run, state=UnitState.FAILED).order_by("pk")
    return {
        "run": run.pk,
        "version": run.version_id,
        "pipeline": run.pipeline,
        "status": run.status,
        "computed": run.computed,
        "reused": run.reused,
        "failed": run.failed,
        "skipped": run.skipped,
        "steps": run.steps,
        "quarantined": [
            {"step": step, "item_id": item_id, "items": items, "error": error}
            for step, item_id, items, error in failures.values_list(
                "step", "item_id", "item_ids", "error"
            )[:QUARANTINE_SHOWN]
        ],
    }


def _job_settle(run_id: int) -> None:
    """Finish the run's job under its current claim (the coordinator may have died)."""
    run = PipelineRun.objects.select_related("job").get(pk=run_id)
    job = run.job
    if job.status != JobStatus.RUNNING:
        return
    if run.status == RunStatus.SUCCEEDED:
        job_finish(job_id=job.pk, token=job.claimed_by, result=run_result(run))
    else:
        Job.objects.filter(pk=job.pk, claimed_by=job.claimed_by, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED, error=run.error, finished_at=timezone.now(), lease_until=None
        )
