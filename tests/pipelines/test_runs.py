"""Runs of a pipeline over dataset versions: units for missing keys only, quarantine, leases,
idempotent batches, the nightly schedule."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pipelines import services
from pipelines.models import PipelineOutput, PipelineRun, PipelineUnit, UnitState
from pipelines.services import pipeline_units_process, pipelines_nightly, units_claim
from tests.annotate.factories import box, tag
from tests.pipelines.factories import labelled_version, pipeline_job, relabelled_version, run_of

STEPS = 7  # the default pipeline
ITEM_STEPS = 4


@pytest.fixture
def version(project, manager, annotator, reviewer):
    return labelled_version(project, manager, annotator, reviewer, count=3)


def test_a_run_computes_every_unit_and_finishes_its_job(version, manager):
    items, version = version

    job = pipeline_job(version, manager)

    assert job.status == "succeeded", job.error
    run = run_of(job)
    assert job.result["computed"] == 3 * ITEM_STEPS + 3
    assert (job.result["reused"], job.result["failed"], job.result["skipped"]) == (0, 0, 0)
    assert run.steps["image_stats"] == {"computed": 3, "reused": 0, "failed": 0, "skipped": 0}
    assert PipelineUnit.objects.filter(run=run, state=UnitState.DONE).count() == 3 * ITEM_STEPS + 3
    assert PipelineOutput.objects.filter(step="phash").count() == 3


def test_a_rerun_with_nothing_changed_creates_no_units_and_computes_nothing(version, manager):
    _, version = version
    pipeline_job(version, manager)
    outputs = PipelineOutput.objects.count()

    job = pipeline_job(version, manager)

    assert job.status == "succeeded", job.error
    assert (job.result["computed"], job.result["reused"]) == (0, 3 * ITEM_STEPS + 3)
    assert not PipelineUnit.objects.filter(run=run_of(job)).exists()
    assert run_of(job).rounds == 0
    assert PipelineOutput.objects.count() == outputs


def test_a_relabel_recomputes_exactly_that_items_annotation_units(
    version, project, manager, reviewer
):
    items, old = version
    pipeline_job(old, manager)
    new = relabelled_version(project, manager, reviewer, items[1], [box("car", (0, 0, 5, 5))])

    job = pipeline_job(new, manager)

    units = PipelineUnit.objects.filter(run=run_of(job))
    per_item = set(units.exclude(item_id=None).values_list("step", "item_id"))
    assert per_item == {("label_stats", items[1].pk)}
    # dataset steps over annotations (and over the relabel's new activity) run again, once
    dataset_steps = set(units.filter(item_id=None).values_list("step", flat=True))
    assert dataset_steps == {"tag_classifier", "annotator_activity"}
    assert job.result["computed"] == 3


def test_a_failing_unit_is_quarantined_and_the_run_finishes(version, manager, monkeypatch):
    items, version = version
    real = services._Batch.resolve

    def broken(self, unit):
        if unit.step == "phash" and unit.item_id == items[0].pk:
            raise ValueError("cannot hash this")
        return real(self, unit)

    monkeypatch.setattr(services._Batch, "resolve", broken)

    job = pipeline_job(version, manager)

    assert job.status == "succeeded", job.error
    assert job.result["failed"] == 1
    assert job.result["quarantined"] == [
        {
            "step": "phash",
            "item_id": items[0].pk,
            "items": [items[0].pk],
            "error": "ValueError: cannot hash this",
        }
    ]
    # near_duplicates runs over the two other items
    assert job.result["steps"]["near_duplicates"]["computed"] == 1
    monkeypatch.setattr(services._Batch, "resolve", real)
    again = pipeline_job(version, manager)
    assert (again.result["computed"], again.result["failed"]) == (2, 0)  # phash + near_duplicates


def _stalled_run(version, manager):
    """A run whose first round is planned but no unit is worked on yet."""
    job = services.pipeline_run_request(version=version, pipeline="default", user=manager)
    run = PipelineRun.objects.get(job=job)
    services.pipeline_run_advance(run_id=run.pk)
    return run


def test_a_lapsed_lease_is_claimed_again_and_a_live_one_is_not(version, manager):
    _, version = version
    run = _stalled_run(version, manager)
    token, claimed = units_claim(run_id=run.pk, limit=2)
    assert len(claimed) == 2

    _, live = units_claim(run_id=run.pk, unit_ids=[unit.pk for unit in claimed])
    PipelineUnit.objects.filter(pk=claimed[0].pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    _, lapsed = units_claim(run_id=run.pk, unit_ids=[unit.pk for unit in claimed])

    assert live == []
    assert [unit.pk for unit in lapsed] == [claimed[0].pk]
    assert lapsed[0].attempts == 2


def test_the_batch_task_run_twice_writes_each_output_once(version, manager):
    from pipelines.tasks import run_batch

    _, version = version
    run = _stalled_run(version, manager)
    batch = list(PipelineUnit.objects.filter(run=run).values_list("pk", flat=True))
    before = PipelineOutput.objects.count()

    first = run_batch.apply(args=(run.pk, batch)).get()
    second = run_batch.apply(args=(run.pk, batch)).get()

    assert (first, second) == (len(batch), 0)
    assert PipelineOutput.objects.count() == before + len(batch)
    run.refresh_from_db()
    assert run.rounds == 2  # the last finisher planned the next round
    assert run.outstanding == PipelineUnit.objects.filter(run=run, state="queued").count()


def test_a_worker_whose_lease_was_taken_over_counts_nothing(version, manager):
    _, version = version
    run = _stalled_run(version, manager)
    token, (unit,) = units_claim(run_id=run.pk, limit=1)
    PipelineUnit.objects.filter(pk=unit.pk).update(lease_until=timezone.now() - timedelta(1))
    assert pipeline_units_process(run_id=run.pk, unit_ids=[unit.pk]) == 1
    outstanding = PipelineRun.objects.get(pk=run.pk).outstanding

    assert services._units_finish([(unit, "done", True, "")], token) == 0
    assert PipelineRun.objects.get(pk=run.pk).outstanding == outstanding


def test_nightly_runs_each_projects_latest_version_once(version, manager):
    _, version = version
    first = pipelines_nightly()
    assert len(first) == 1
    run = PipelineRun.objects.get(pk=first[0])
    assert run.version_id == version.pk
    from versioning.jobs import job_execute

    job_execute(job_id=run.job_id)
    assert pipelines_nightly() == []


def test_an_unknown_pipeline_is_refused(version, manager):
    from common.errors import Invalid

    _, version = version
    with pytest.raises(Invalid):
        services.pipeline_run_request(version=version, pipeline="nope", user=manager)


def test_annotation_tags_feed_the_classifier(project, manager, annotator, reviewer):
    items, version = labelled_version(project, manager, annotator, reviewer, count=2)
    job = pipeline_job(version, manager)
    assert job.result["steps"]["tag_classifier"]["computed"] == 1
    assert tag  # shapes carry tags


def test_recovery_resends_units_whose_worker_died_and_nothing_is_computed_twice(
    version, manager, monkeypatch
):
    from pipelines.services import pipelines_recover
    from pipelines.tasks import run_batch
    from versioning.jobs import job_execute

    # batches run here, in this test's transaction, whatever the broker
    monkeypatch.setattr(run_batch, "delay", lambda *args: run_batch.apply(args=args).get())
    _, version = version
    run = _stalled_run(version, manager)
    _, claimed = units_claim(run_id=run.pk, limit=100)  # a worker claims the round, then dies
    PipelineUnit.objects.filter(run=run).update(lease_until=timezone.now() - timedelta(seconds=1))

    assert pipelines_recover() == {"sent": len(claimed), "advanced": 0}
    resent = PipelineUnit.objects.filter(pk__in=[unit.pk for unit in claimed])
    assert set(resent.values_list("state", flat=True)) == {"done"}
    job_execute(job_id=run.job_id)

    run.refresh_from_db()
    assert (run.status, run.computed, run.failed) == ("succeeded", 3 * ITEM_STEPS + 3, 0)
    assert PipelineUnit.objects.filter(run=run).count() == 3 * ITEM_STEPS + 3
    assert PipelineUnit.objects.filter(run=run, attempts=2).count() == len(claimed)


def test_batches_left_queued_for_a_finished_run_are_dropped_without_a_query(
    version, manager, django_assert_num_queries
):
    from pipelines.tasks import _finished, run_batch

    _, version = version
    run = run_of(pipeline_job(version, manager))
    units = list(PipelineUnit.objects.filter(run=run).values_list("pk", flat=True)[:2])

    assert run_batch.apply(args=(run.pk, units)).get() == 0  # done already: nothing claimed
    assert run.pk in _finished
    with django_assert_num_queries(0):
        assert run_batch.apply(args=(run.pk, units)).get() == 0
