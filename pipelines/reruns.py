"""A rerun with nothing changed, recognised without walking the version's keys.

A version is immutable and a run's fingerprint names the code of every step, so a run of the
same pipeline code on the same version walks to the same keys, and finds them all stored, as a
finished run before it that computed or reused every unit (none failed or skipped: first-wins
outputs are never replaced). Such a rerun ends with that run's features and every unit counted
as reused: exactly what its walk would give, in a few queries instead of a walk over 2N keys
(100k items: seconds of key hashing and output reads).

Only where nothing outside the version and the code enters the keys (no dataset source such as
the activity log), and only while that run's products are all there: its feature tables, its
dataset steps' outputs, and the project's features still indexed from them. Otherwise the run
walks as usual (which also recomputes any output deleted since).
"""

from typing import Any

from django.core.files.storage import default_storage
from django.utils import timezone

from pipelines.dag import Dag
from pipelines.item_features import features_changed
from pipelines.models import PipelineOutput, PipelineRun, RunStatus
from pipelines.steps import DATASET_SOURCES

COUNTS = ("computed", "reused", "failed", "skipped")


def feature_sources(features: dict[str, Any]) -> dict[str, str]:
    """What a run's features were indexed from: the table of a per-item step, the output key
    of a dataset step."""
    return {name: entry.get("table") or entry["key"] for name, entry in features.items()}


def run_repeated(run: PipelineRun, dag: Dag) -> PipelineRun | None:
    """The finished run whose result this one (not yet advanced) repeats, if any."""
    if any(name in DATASET_SOURCES for step in dag.steps for name in step.inputs):
        return None
    previous = (
        PipelineRun.objects.filter(
            version_id=run.version_id,
            pipeline=run.pipeline,
            fingerprint=run.fingerprint,
            status=RunStatus.SUCCEEDED,
            failed=0,
            skipped=0,
        )
        .exclude(pk=run.pk)
        .order_by("-finished_at", "-pk")
        .first()
    )
    if previous is None or set(previous.features) != {step.name for step in dag.steps}:
        return None
    tables = [entry["table"] for entry in previous.features.values() if "table" in entry]
    keys = {entry["key"] for entry in previous.features.values() if "key" in entry}
    if PipelineOutput.objects.filter(key__in=keys).count() != len(keys):
        return None
    if not all(default_storage.exists(table) for table in tables):
        return None
    indexed = [name for name, entry in previous.features.items() if "table" in entry]
    if "near_duplicates" in previous.features:
        indexed.append("near_duplicates")
    sources = feature_sources(previous.features)
    if features_changed(project_id=run.version.project_id, steps=indexed, sources=sources):
        return None
    return previous


def run_finish_as(run: PipelineRun, previous: PipelineRun) -> None:
    """Finish `run` as its walk would have: `previous`'s features, every unit reused."""
    run.steps = {
        name: {
            "computed": 0,
            "reused": counts["computed"] + counts["reused"],
            "failed": 0,
            "skipped": 0,
        }
        for name, counts in previous.steps.items()
    }
    run.features = previous.features
    run.status = RunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    for name in COUNTS:
        setattr(run, name, sum(counts[name] for counts in run.steps.values()))
    run.save(update_fields=["status", "steps", "features", "finished_at", *COUNTS])
