"""A rerun of the same code on the same version finishes as the run before it, without a walk,
and only while that run's products are all there."""

import pytest

from pipelines.builtin import PIPELINES
from pipelines.models import FeatureSource, ItemFeature, PipelineOutput, PipelineUnit
from tests.annotate.factories import box
from tests.pipelines.factories import labelled_version, pipeline_job, run_of
from tests.projects.factories import items_add
from tests.versioning.factories import document_accepted, version_made

IMAGES = ("image_stats", "phash", "near_duplicates")
UNITS = 3 * 2 + 1


@pytest.fixture
def images_pipeline(monkeypatch):
    # a pipeline without a dataset source (the activity log), like the bench's
    monkeypatch.setitem(PIPELINES, "images", IMAGES)
    return "images"


@pytest.fixture
def version(project, manager, annotator, reviewer):
    return labelled_version(project, manager, annotator, reviewer, count=3)[1]


def _features(project) -> list[tuple[int, str, float]]:
    rows = ItemFeature.objects.filter(project=project).order_by("item_id", "name")
    return list(rows.values_list("item_id", "name", "value"))


def test_a_rerun_finishes_as_the_run_before_it_with_every_unit_reused(
    version, project, manager, images_pipeline
):
    first = run_of(pipeline_job(version, manager, images_pipeline))
    outputs, features = PipelineOutput.objects.count(), _features(project)

    job = pipeline_job(version, manager, images_pipeline)

    run = run_of(job)
    assert job.status == "succeeded", job.error
    assert (job.result["computed"], job.result["reused"]) == (0, UNITS)
    assert (job.result["failed"], job.result["skipped"]) == (0, 0)
    assert run.steps == {
        "image_stats": {"computed": 0, "reused": 3, "failed": 0, "skipped": 0},
        "phash": {"computed": 0, "reused": 3, "failed": 0, "skipped": 0},
        "near_duplicates": {"computed": 0, "reused": 1, "failed": 0, "skipped": 0},
    }
    assert run.features == first.features
    assert run.rounds == 0 and not PipelineUnit.objects.filter(run=run).exists()
    assert PipelineOutput.objects.count() == outputs
    assert _features(project) == features and len(features) > 3


def test_a_rerun_whose_dataset_output_is_gone_walks_and_computes_only_that(
    version, manager, images_pipeline
):
    first = run_of(pipeline_job(version, manager, images_pipeline))
    PipelineOutput.objects.filter(key=first.features["near_duplicates"]["key"]).delete()

    job = pipeline_job(version, manager, images_pipeline)

    assert job.status == "succeeded", job.error
    assert (job.result["computed"], job.result["reused"]) == (1, UNITS - 1)
    units = PipelineUnit.objects.filter(run=run_of(job))
    assert list(units.values_list("step", flat=True)) == ["near_duplicates"]
    assert PipelineOutput.objects.filter(key=first.features["near_duplicates"]["key"]).exists()


def test_a_rerun_after_another_versions_features_walks_and_indexes_its_own_again(
    version, project, manager, annotator, reviewer, images_pipeline
):
    first = run_of(pipeline_job(version, manager, images_pipeline))
    features = _features(project)
    (extra,) = items_add(project, 1)
    document_accepted(extra, annotator, reviewer, [box("car", (1, 2, 20, 20))])
    pipeline_job(version_made(project, manager), manager, images_pipeline)
    assert _features(project) != features

    job = pipeline_job(version, manager, images_pipeline)

    assert job.status == "succeeded", job.error
    assert (job.result["computed"], job.result["reused"]) == (0, UNITS)
    assert run_of(job).features == first.features
    assert _features(project) == features
    table = first.features["image_stats"]["table"]
    assert FeatureSource.objects.get(project=project, step="image_stats").table == table
