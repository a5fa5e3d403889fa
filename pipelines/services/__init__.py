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

Split by concern: `requests` (run requests, the nightly schedule), `walk` (keys and stored
outputs level by level), `rounds` (planning a round, finishing a run), `workers` (claiming and
resolving a batch of units), `coordinator` (the run's job, the recovery), `leases` (shared).
"""

from pipelines.services.coordinator import pipeline_run_execute, pipelines_recover
from pipelines.services.leases import TRANSIENT
from pipelines.services.requests import (
    _run_create,
    dag_fingerprint,
    pipeline_dag,
    pipeline_run_request,
    pipelines_nightly,
)
from pipelines.services.rounds import pipeline_run_advance, run_result
from pipelines.services.walk import activity_source
from pipelines.services.workers import (
    _Batch,
    _units_finish,
    pipeline_run_finished,
    pipeline_units_process,
    units_claim,
)

__all__ = [
    "TRANSIENT",
    "_Batch",
    "_run_create",
    "_units_finish",
    "activity_source",
    "dag_fingerprint",
    "pipeline_dag",
    "pipeline_run_advance",
    "pipeline_run_execute",
    "pipeline_run_finished",
    "pipeline_run_request",
    "pipeline_units_process",
    "pipelines_nightly",
    "pipelines_recover",
    "run_result",
    "units_claim",
]
