"""Every write of the pipelines app: run requests, the planner that creates work units for
missing keys, the workers' claim/compute/finish of units, and the nightly schedule.

A run advances in rounds. `pipeline_run_advance` walks the DAG level by level (a step's level is
one more than its deepest upstream), computes every unit's key with the engine and reads the
stored outputs; at the first level with a missing key it creates a unit per missing key (only
those: a rerun with nothing changed creates none) and dispatches them in batches. Workers claim
units under a lease, resolve them through the engine and count each finished unit off the run's
`outstanding` in Postgres; the one that brings it to 0 advances the run again. When a walk finds
nothing missing, the run finishes with its counts and its job.

The run's job (versioning's `job_run`) is the coordinator: it advances the run and claims units
itself until the run finishes, so a run completes with one worker, and a unit whose worker died
is claimed again once its lease lapses.
"""

import io
import json
import logging
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from annotate.models import ActivityEvent
from common.errors import DomainError, Invalid, PermissionDenied
from formats.canonical import content_hash
from pipelines.builtin import PIPELINES
from pipelines.bulk import NewUnit, units_insert
from pipelines.dag import Dag, PipelineError, build_dag
from pipelines.features import feature_table
from pipelines.inputs import DatasetSource, Item
from pipelines.item_features import features_index
from pipelines.keys import dataset_key, item_key, output_hash
from pipelines.loaders import ObjectStorageLoader, items_from_rows, version_rows
from pipelines.models import PipelineRun, PipelineUnit, RunStatus, UnitState
from pipelines.reruns import feature_sources, run_finish_as, run_repeated
from pipelines.runner import UnitResult, resolve_dataset_unit, resolve_item_unit
from pipelines.steps import DATASET_SOURCES, Step
from pipelines.store import PostgresStore
from projects.models import Project, Role
from projects.selectors import project_role, role_at_least
from versioning.jobs import job_create, job_finish
from versioning.models import DatasetVersion, Job, JobKind, JobStatus, VersionItem

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
POLL_SECONDS = 0.5
PROGRESS_SECONDS = 2.0  # the job's progress (and its lease, 300 s) renewed at most this often
QUARANTINE_SHOWN = 100
Progress = Callable[[int, int | None], None]


# --- requests ------------------------------------------------------------------------------


def pipeline_dag(pipeline: str) -> Dag:
    if pipeline not in PIPELINES:
        raise Invalid({"pipeline": [f"Unknown pipeline {pipeline!r}."]})
    return build_dag(PIPELINES[pipeline])


def dag_fingerprint(dag: Dag) -> str:
    return content_hash([[s.name, s.version, s.fingerprint, s.config] for s in dag.steps])


@transaction.atomic
def pipeline_run_request(*, version: DatasetVersion, pipeline: str, user: User) -> Job:
    if not role_at_least(project_role(user=user, project_id=version.project_id), Role.MANAGER):
        raise PermissionDenied("Running pipelines needs the manager role.")
    return _run_create(version=version, pipeline=pipeline, user=user).job


def _run_create(*, version: DatasetVersion, pipeline: str, user: User | None) -> PipelineRun:
    dag = pipeline_dag(pipeline)
    job = job_create(
        kind=JobKind.PIPELINE,
        project=version.project,
        user=user,
        params={"version": version.pk, "pipeline": pipeline},
    )
    run = PipelineRun.objects.create(
        job=job, version=version, pipeline=pipeline, fingerprint=dag_fingerprint(dag)
    )
    job.params = {**job.params, "run": run.pk}
    job.save(update_fields=["params"])
    return run


def pipelines_nightly(*, pipeline: str = "default") -> list[int]:
    """Run `pipeline` on each project's latest version, unless the same code already ran on it
    without failures (or is running): the run ids started."""
    fingerprint = dag_fingerprint(pipeline_dag(pipeline))
    started = []
    for project in Project.objects.order_by("pk"):
        version = DatasetVersion.objects.filter(project=project).order_by("-created_at").first()
        if version is None:
            continue
        done = Q(status=RunStatus.RUNNING) | Q(status=RunStatus.SUCCEEDED, failed=0)
        runs = PipelineRun.objects.filter(version=version, pipeline=pipeline)
        if runs.filter(done, fingerprint=fingerprint).exists():
            continue
        with transaction.atomic():
            started.append(_run_create(version=version, pipeline=pipeline, user=None).pk)
    return started


# --- the walk ------------------------------------------------------------------------------


def activity_source(version: DatasetVersion) -> DatasetSource:
    """The project's activity on the version's items up to the snapshot (immutable, like it)."""
    events = (
        ActivityEvent.objects.filter(
            project_id=version.project_id,
            at__lte=version.created_at,
            item_id__in=VersionItem.objects.filter(version=version).values("item_id"),
        )
        .order_by("at", "pk")
        .values_list("user_id", "item_id", "verb", "at")
    )
    log = [
        {"user": str(user), "item": str(item), "verb": verb, "at": at.isoformat()}
        for user, item, verb, at in events
    ]
    return DatasetSource.of(log)


def _sources(dag: Dag, version: DatasetVersion) -> dict[str, DatasetSource]:
    needed = {name for step in dag.steps for name in step.inputs if name in DATASET_SOURCES}
    return {"activity": activity_source(version)} if "activity" in needed else {}


def _levels(dag: Dag) -> list[list[Step]]:
    depth: dict[str, int] = {}
    for step in dag.steps:
        depth[step.name] = 1 + max((depth[name] for name in step.upstream), default=-1)
    levels: list[list[Step]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for step in dag.steps:
        levels[depth[step.name]].append(step)
    return levels


@dataclass
class UnitSeen:
    state: str
    computed: bool
    step: str
    item_id: int | None
    error: str


@dataclass
class Walk:
    counts: dict[str, dict[str, int]]
    item_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    item_keys: dict[str, dict[str, str]] = field(default_factory=dict)
    item_hashes: dict[str, dict[str, str]] = field(default_factory=dict)
    dataset_outputs: dict[str, Any] = field(default_factory=dict)
    dataset_keys: dict[str, str] = field(default_factory=dict)
    dataset_hashes: dict[str, str] = field(default_factory=dict)
    new_units: dict[str, NewUnit] = field(default_factory=dict)
    waiting: bool = False


Planned = tuple[Step, str | None, str, dict[str, Any]]


def _plan_item_step(step: Step, items: Sequence[Item], walk: Walk, sources: Any) -> list[Planned]:
    planned: list[Planned] = []
    for item in items:
        hashes, keys = {}, {}
        for name in step.upstream:
            if name in walk.item_keys:
                if item.item_id not in walk.item_outputs[name]:
                    break
                hashes[name] = walk.item_hashes[name][item.item_id]
                keys[name] = walk.item_keys[name][item.item_id]
            else:
                if name not in walk.dataset_outputs:
                    break
                hashes[name], keys[name] = walk.dataset_hashes[name], walk.dataset_keys[name]
        else:
            key = item_key(step, item, hashes, sources)
            planned.append((step, item.item_id, key, {"upstream": keys}))
            continue
        walk.counts[step.name]["skipped"] += 1
    return planned


def _plan_dataset_step(
    step: Step, items: Sequence[Item], walk: Walk, sources: Any
) -> Planned | None:
    per_item = [name for name in step.upstream if name in walk.item_keys]
    members = [
        item for item in items if all(item.item_id in walk.item_outputs[n] for n in per_item)
    ]
    others = [name for name in step.upstream if name not in walk.item_keys]
    if any(name not in walk.dataset_outputs for name in others):
        walk.counts[step.name]["skipped"] += 1
        return None
    item_hashes = {
        n: {i.item_id: walk.item_hashes[n][i.item_id] for i in members} for n in per_item
    }
    dataset_hashes = {name: walk.dataset_hashes[name] for name in others}
    key = dataset_key(step, members, item_hashes, dataset_hashes, sources)
    inputs = {
        "items": [int(item.item_id) for item in members],
        "item_upstream": {
            n: {i.item_id: walk.item_keys[n][i.item_id] for i in members} for n in per_item
        },
        "dataset_upstream": {name: walk.dataset_keys[name] for name in others},
    }
    return (step, None, key, inputs)


def _walk(
    run: PipelineRun,
    dag: Dag,
    items: Sequence[Item],
    sources: Any,
    store: PostgresStore,
    units: dict[str, UnitSeen],
) -> Walk:
    """Keys and stored outputs level by level, up to the first level with work left."""
    walk = Walk(
        counts={
            s.name: dict.fromkeys(("computed", "reused", "failed", "skipped"), 0) for s in dag.steps
        }
    )
    counted: set[str] = set()
    hash_of: dict[str, str] = {}
    for level in _levels(dag):
        planned: list[Planned] = []
        for step in level:
            if step.granularity == "item":
                walk.item_outputs[step.name], walk.item_keys[step.name] = {}, {}
                walk.item_hashes[step.name] = {}
                planned.extend(_plan_item_step(step, items, walk, sources))
            elif (unit := _plan_dataset_step(step, items, walk, sources)) is not None:
                planned.append(unit)
        store.prefetch(key for _, _, key, _ in planned)
        for step, item_id, key, inputs in planned:
            counts = walk.counts[step.name]
            output = store.get(key)
            seen = units.get(key)
            if output is not None:
                if key not in hash_of:
                    hash_of[key] = store.output_hash(key) or output_hash(output)
                fresh = seen is not None and seen.computed and key not in counted
                counts["computed" if fresh else "reused"] += 1
                counted.add(key)
                if item_id is None:
                    walk.dataset_outputs[step.name] = output
                    walk.dataset_keys[step.name], walk.dataset_hashes[step.name] = key, hash_of[key]
                else:
                    walk.item_outputs[step.name][item_id] = output
                    walk.item_keys[step.name][item_id] = key
                    walk.item_hashes[step.name][item_id] = hash_of[key]
            elif seen is not None and seen.state == UnitState.FAILED:
                counts["failed"] += 1
            elif seen is not None:
                walk.waiting = True  # queued or claimed in this run
            elif key in walk.new_units:
                walk.new_units[key].item_ids.append(_int(item_id))
            else:
                walk.waiting = True
                walk.new_units[key] = NewUnit(
                    run_id=run.pk,
                    step=step.name,
                    item_id=_int(item_id),
                    item_ids=[] if item_id is None else [int(item_id)],
                    key=key,
                    inputs=inputs,
                )
        if walk.waiting:
            return walk
    return walk


def _int(item_id: str | None) -> int | None:
    return None if item_id is None else int(item_id)


# --- advancing and finishing ---------------------------------------------------------------


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


# --- workers -------------------------------------------------------------------------------


def _lease() -> timedelta:
    return timedelta(seconds=settings.PIPELINE_UNIT_LEASE_SECONDS)


def units_claim(
    *, run_id: int, unit_ids: Sequence[int] | None = None, limit: int | None = None
) -> tuple[str, list[PipelineUnit]]:
    """Claim queued units, or units whose lease lapsed (their worker died), under a new token.
    SKIP LOCKED where the database has it; the conditional UPDATE decides everywhere."""
    now = timezone.now()
    token = f"{socket.gethostname()[:40]}:{uuid.uuid4().hex[:16]}"
    if connection.vendor == "postgresql":
        size = limit or settings.PIPELINE_BATCH_SIZE
        return token, _claim_returning(run_id, unit_ids, size, token, now)
    claimable = Q(state=UnitState.QUEUED) | Q(state=UnitState.CLAIMED, lease_until__lt=now)
    with transaction.atomic():
        rows = PipelineUnit.objects.filter(claimable, run_id=run_id)
        if unit_ids is not None:
            rows = rows.filter(pk__in=list(unit_ids))
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        ids = list(
            rows.order_by("pk").values_list("pk", flat=True)[
                : limit or settings.PIPELINE_BATCH_SIZE
            ]
        )
        if ids:
            PipelineUnit.objects.filter(claimable, pk__in=ids).update(
                state=UnitState.CLAIMED,
                claimed_by=token,
                lease_until=now + _lease(),
                attempts=F("attempts") + 1,
            )
    claimed = (
        list(
            PipelineUnit.objects.filter(
                pk__in=ids, claimed_by=token, state=UnitState.CLAIMED
            ).order_by("pk")
        )
        if ids
        else []
    )
    return token, claimed


_UNIT_COLUMNS = (
    *("id", "run_id", "step", "item_id", "item_ids", "key", "inputs", "state"),
    *("claimed_by", "lease_until", "attempts", "computed", "error", "finished_at"),
)


def _claim_returning(
    run_id: int, unit_ids: Sequence[int] | None, size: int, token: str, now: Any
) -> list[PipelineUnit]:
    """Postgres: lock, claim and read the batch in one statement (select-then-update-then-read
    was three round trips and a transaction). "Any claimable unit" starts at the run's first
    unit id: ordered by id, the planner walks the primary key from there, not from the table's
    first unit of every run before it."""
    table = PipelineUnit._meta.db_table
    which = (
        "id = ANY(%s)"
        if unit_ids is not None
        else (f"id >= (SELECT min(id) FROM {table} WHERE run_id = %s)")
    )
    returned = ", ".join(
        f"{name}::text" if name in ("item_ids", "inputs") else name for name in _UNIT_COLUMNS
    )
    with transaction.atomic(), connection.cursor() as cursor:
        _commit_without_flush_wait()
        cursor.execute(
            f"UPDATE {table} SET state = %s, claimed_by = %s, lease_until = %s, "
            f"attempts = attempts + 1 WHERE id IN (SELECT id FROM {table} WHERE run_id = %s "
            f"AND {which} AND (state = %s OR (state = %s AND lease_until < %s)) "
            f"ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING {returned}",
            [
                UnitState.CLAIMED,
                token,
                now + _lease(),
                run_id,
                list(unit_ids) if unit_ids is not None else run_id,
                UnitState.QUEUED,
                UnitState.CLAIMED,
                now,
                size,
            ],
        )
        rows = cursor.fetchall()
    at_items, at_inputs = _UNIT_COLUMNS.index("item_ids"), _UNIT_COLUMNS.index("inputs")
    units = []
    for row in sorted(rows):
        values = list(row)
        values[at_items], values[at_inputs] = json.loads(row[at_items]), json.loads(row[at_inputs])
        units.append(PipelineUnit.from_db(connection.alias, list(_UNIT_COLUMNS), values))
    return units


Outcome = tuple[PipelineUnit, str, bool, str]  # unit, state, computed, error
FLUSH_EVERY = 500  # outcomes written (one transaction) at least this often within a claim


def pipeline_run_finished(*, run_id: int) -> bool:
    return not PipelineRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).exists()


def _units_finish(outcomes: Sequence[Outcome], token: str) -> int:
    """Mark claimed units done or failed and count them off the run, once, in one transaction:
    a worker whose claim was taken over (its lease lapsed) changes nothing."""
    if not outcomes:
        return 0
    now = timezone.now()
    if connection.vendor == "postgresql":
        return _units_finish_at_once(outcomes, token, now)
    changed = 0
    with transaction.atomic(savepoint=False):
        for computed in (True, False):
            ids = [u.pk for u, state, c, _ in outcomes if state == UnitState.DONE and c is computed]
            if ids:
                mine = PipelineUnit.objects.filter(
                    pk__in=ids, claimed_by=token, state=UnitState.CLAIMED
                )
                changed += mine.update(
                    state=UnitState.DONE, computed=computed, finished_at=now, lease_until=None
                )
        for unit, state, _, error in outcomes:
            if state == UnitState.FAILED:
                mine = PipelineUnit.objects.filter(
                    pk=unit.pk, claimed_by=token, state=UnitState.CLAIMED
                )
                changed += mine.update(
                    state=state, error=error[:4000], finished_at=now, lease_until=None
                )
        if changed:
            run_id = outcomes[0][0].run_id
            PipelineRun.objects.filter(pk=run_id).update(outstanding=F("outstanding") - changed)
    return changed


def _units_finish_at_once(outcomes: Sequence[Outcome], token: str, now: Any) -> int:
    """Postgres: every outcome of the batch in one UPDATE (arrays unnested server-side), and the
    run's count in one more, instead of a statement per state and per failed unit."""
    units = PipelineUnit._meta.db_table
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {units} AS unit SET state = new.state, computed = new.computed, "
            "error = new.error, finished_at = %s, lease_until = NULL "
            "FROM unnest(%s::bigint[], %s::text[], %s::boolean[], %s::text[]) "
            "AS new (id, state, computed, error) "
            "WHERE unit.id = new.id AND unit.claimed_by = %s AND unit.state = %s",
            [
                now,
                [unit.pk for unit, _, _, _ in outcomes],
                [state for _, state, _, _ in outcomes],
                # a failed unit keeps its `computed` as it was (False: it was never done)
                [computed and state == UnitState.DONE for _, state, computed, _ in outcomes],
                [
                    error[:4000] if state == UnitState.FAILED else ""
                    for _, state, _, error in outcomes
                ],
                token,
                UnitState.CLAIMED,
            ],
        )
        changed: int = cursor.rowcount
        if changed:
            run_id = outcomes[0][0].run_id
            PipelineRun.objects.filter(pk=run_id).update(outstanding=F("outstanding") - changed)
    return changed


class _Batch:
    """What resolving a batch of one run's units needs, loaded once."""

    def __init__(self, run: PipelineRun, units: list[PipelineUnit]) -> None:
        self.run = run
        self.dag = pipeline_dag(run.pipeline)
        self.store = PostgresStore(step_of={unit.key: unit.step for unit in units}, buffered=True)
        self.loader = ObjectStorageLoader()
        self._sources: dict[str, DatasetSource] | None = None
        item_ids = {unit.item_id for unit in units if unit.item_id is not None}
        self.items = {
            item.item_id: item
            for item in items_from_rows(version_rows(run.version_id, item_ids), preload_shapes=True)
        }
        self.store.prefetch(
            [unit.key for unit in units]
            + [key for unit in units for key in unit.inputs.get("upstream", {}).values()]
        )

    def sources(self, step: Step) -> dict[str, DatasetSource]:
        if not any(name in DATASET_SOURCES for name in step.inputs):
            return {}
        if self._sources is None:
            self._sources = _sources(self.dag, self.run.version)
        return self._sources

    def _output(self, key: str) -> Any:
        output = self.store.get(key)
        if output is None:
            raise LookupError(f"The upstream output {key[:12]} is not stored.")
        return output

    def resolve(self, unit: PipelineUnit) -> UnitResult:
        step = self.dag.step(unit.step)
        if unit.item_id is None:
            return self._resolve_dataset(step, unit)
        item = self.items.get(str(unit.item_id))
        if item is None:
            raise LookupError(f"Item {unit.item_id} is not in the version.")
        upstream = {
            name: self._output(key) for name, key in unit.inputs.get("upstream", {}).items()
        }
        return resolve_item_unit(step, item, upstream, self.store, self.loader, self.sources(step))

    def _resolve_dataset(self, step: Step, unit: PipelineUnit) -> UnitResult:
        # The version's rows filtered here: a dataset unit names (nearly) every item, and an
        # `IN` of 100k ids costs more to bind than reading the rows it leaves out.
        wanted = set(unit.inputs.get("items", []))
        rows = [row for row in version_rows(self.run.version_id) if row[0] in wanted]
        items = items_from_rows(rows, preload_shapes="annotation" in step.inputs)
        item_upstream: dict[str, dict[str, Any]] = {}
        for name, keys in unit.inputs.get("item_upstream", {}).items():
            self.store.prefetch(keys.values())
            item_upstream[name] = {item_id: self._output(key) for item_id, key in keys.items()}
        dataset_upstream = {
            name: self._output(key) for name, key in unit.inputs.get("dataset_upstream", {}).items()
        }
        return resolve_dataset_unit(
            step,
            items,
            item_upstream,
            dataset_upstream,
            self.store,
            self.loader,
            self.sources(step),
        )


def pipeline_units_process(
    *, run_id: int, unit_ids: Sequence[int] | None = None, limit: int | None = None
) -> int:
    """Claim units of the run (these ids, or any claimable), resolve each, mark it done or
    quarantined with its error; the worker that finishes the round's last unit advances the
    run. Transient errors give the rest of the claim back and propagate (the task retries).
    Returns how many units were claimed."""
    token, units = units_claim(run_id=run_id, unit_ids=unit_ids, limit=limit)
    if not units:
        return 0
    run = PipelineRun.objects.select_related("version").get(pk=run_id)
    try:
        batch = _Batch(run, units)
        outcomes: list[Outcome] = []
        for unit in units:
            outcomes.append(_unit_resolve(batch, unit))
            if len(outcomes) >= FLUSH_EVERY:
                _outcomes_write(batch, outcomes, token)
                outcomes = []
        _outcomes_write(batch, outcomes, token)
    except TRANSIENT:
        PipelineUnit.objects.filter(
            run_id=run_id, claimed_by=token, state=UnitState.CLAIMED
        ).update(state=UnitState.QUEUED, lease_until=timezone.now() + _lease())
        raise
    if PipelineRun.objects.filter(pk=run_id, outstanding__lte=0, status=RunStatus.RUNNING).exists():
        pipeline_run_advance(run_id=run_id)
    return len(units)


def _outcomes_write(batch: _Batch, outcomes: list[Outcome], token: str) -> None:
    """The outputs, then the units done and counted off, in one transaction: a unit is done
    only once its output is, and a batch costs one commit."""
    with transaction.atomic():
        _commit_without_flush_wait()
        batch.store.flush()
        _units_finish(outcomes, token)


def _commit_without_flush_wait() -> None:
    """Within a transaction on Postgres: its commit does not wait for the WAL flush (one disk
    sync per batch, shared with every other writer of the machine). Safe for a worker's claim
    and outcomes: a crash of the database loses at most the last moments' commits, so their units
    are claimed or queued again and their lease lapses (recomputed, outputs first-wins), and any
    later synchronous commit (a round's advance, a run's finish) flushes the WAL before it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _unit_resolve(batch: _Batch, unit: PipelineUnit) -> Outcome:
    try:
        result = batch.resolve(unit)
        if result.key != unit.key:
            raise PipelineError("The unit's inputs changed since it was planned.")
    except TRANSIENT:
        raise
    except Exception as error:  # quarantine: the unit fails with its error, the run goes on
        logger.info("pipeline unit %s failed: %s", unit.pk, error)
        return (unit, UnitState.FAILED, False, f"{type(error).__name__}: {error}")
    return (unit, UnitState.DONE, result.computed, "")


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


def _live_units(run_id: int) -> QuerySet[PipelineUnit]:
    states = (UnitState.QUEUED, UnitState.CLAIMED)
    return PipelineUnit.objects.filter(run_id=run_id, state__in=states)


def _stall_check(run: PipelineRun) -> None:
    """Nothing claimable: others hold live leases, or the round is over (advance)."""
    if run.outstanding <= 0 or not _live_units(run.pk).exists():
        pipeline_run_advance(run_id=run.pk, repair=True)


def _progress(run: PipelineRun) -> tuple[int, int]:
    units = PipelineUnit.objects.filter(run=run)
    return units.filter(state__in=(UnitState.DONE, UnitState.FAILED)).count(), units.count()


def _chunks(values: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
