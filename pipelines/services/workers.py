"""The workers' side: claim a batch of units under a lease, resolve it, write its outcomes."""

import json
import logging
import socket
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from pipelines.dag import PipelineError
from pipelines.inputs import DatasetSource
from pipelines.loaders import ObjectStorageLoader, items_from_rows, version_rows
from pipelines.models import PipelineRun, PipelineUnit, RunStatus, UnitState
from pipelines.runner import UnitResult, resolve_dataset_unit, resolve_item_unit
from pipelines.services.leases import TRANSIENT, _lease
from pipelines.services.requests import pipeline_dag
from pipelines.services.rounds import pipeline_run_advance
from pipelines.services.walk import _sources
from pipelines.steps import DATASET_SOURCES, Step
from pipelines.store import PostgresStore

logger = logging.getLogger(__name__)


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
