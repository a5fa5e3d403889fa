"""Features where users work: a run's numeric outputs filter and sort the manager's item list
and can order the annotators' queue; nothing of it reaches an annotator."""

import pytest

from annotate.services import item_assign_next, item_skip
from pipelines.models import FeatureSource, ItemFeature
from projects.models import Item
from tests.pipelines.factories import labelled_version, pipeline_job
from tests.projects.factories import user_create

BRIGHTNESS = "image_stats.brightness"


@pytest.fixture
def ran(project, manager, annotator, reviewer):
    project.overlap = 3  # each item was labelled once: the queue still hands them out
    project.save(update_fields=["overlap"])
    items, version = labelled_version(project, manager, annotator, reviewer, count=4)
    job = pipeline_job(version, manager)
    assert job.status == "succeeded", job.error
    return items, version


def _values(project, name):
    return dict(
        ItemFeature.objects.filter(project=project, name=name).values_list("item_id", "value")
    )


def test_a_run_indexes_numeric_features_of_every_item(api, project, manager, ran):
    items, _ = ran

    names = api(manager).get(f"/api/v1/projects/{project.pk}/features/").json()["features"]

    assert {BRIGHTNESS, "image_stats.blur", "near_duplicates.duplicates"} <= set(names)
    assert set(_values(project, "image_stats.blur")) == {item.pk for item in items}
    assert "phash.phash" not in names  # text, not a number


def test_a_rerun_with_nothing_changed_rewrites_no_feature(project, manager, ran):
    _, version = ran
    before = list(ItemFeature.objects.filter(project=project).values_list("pk", flat=True))
    sources = list(FeatureSource.objects.filter(project=project).values_list("table", "version"))

    assert pipeline_job(version, manager).status == "succeeded"

    assert list(ItemFeature.objects.filter(project=project).values_list("pk", flat=True)) == before
    assert list(FeatureSource.objects.filter(project=project).values_list("table", "version")) == (
        sources
    )


def test_the_item_list_sorts_and_filters_by_a_feature(api, project, manager, ran):
    values = _values(project, BRIGHTNESS)
    url = f"/api/v1/projects/{project.pk}/items/?feature={BRIGHTNESS}"

    descending = api(manager).get(url).json()["results"]
    ascending = api(manager).get(url + "&order=asc").json()["results"]
    middle = sorted(values.values())[1]
    above = api(manager).get(url + f"&min={middle}").json()["results"]

    assert [row["id"] for row in descending] == sorted(values, key=lambda i: (-values[i], i))
    assert [row["id"] for row in ascending] == sorted(values, key=lambda i: (values[i], i))
    assert [row["feature"] for row in ascending] == sorted(values.values())
    assert {row["id"] for row in above} == {i for i, v in values.items() if v >= middle}


def test_near_duplicates_filter_lists_only_items_with_a_duplicate(api, project, manager, ran):
    counts = _values(project, "near_duplicates.duplicates")
    url = f"/api/v1/projects/{project.pk}/items/?feature=near_duplicates.duplicates&min=1"

    listed = api(manager).get(url).json()["results"]

    assert {row["id"] for row in listed} == {i for i, n in counts.items() if n >= 1}


@pytest.mark.parametrize(
    ("query", "field"),
    [("feature=nope", "feature"), (f"feature={BRIGHTNESS}&min=x", "min")]
    + [(f"feature={BRIGHTNESS}&order=up", "order")],
)
def test_a_bad_feature_query_is_a_field_error(api, project, manager, ran, query, field):
    response = api(manager).get(f"/api/v1/projects/{project.pk}/items/?{query}")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_an_annotator_sees_no_feature_in_the_item_list(api, project, annotator, ran):
    response = api(annotator).get(f"/api/v1/projects/{project.pk}/items/?feature={BRIGHTNESS}")

    assert response.status_code == 200
    assert "feature" not in response.json()["results"][0]
    assert api(annotator).get(f"/api/v1/projects/{project.pk}/features/").status_code == 403


def _claims(project, count):
    newcomer = user_create()
    project.memberships.create(user=newcomer, role="annotator")
    claimed = []
    for _ in range(count):
        item = item_assign_next(user=newcomer, project=project)
        claimed.append(item.pk)
        item_skip(user=newcomer, item=item)  # on to the next one
    return claimed


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_the_queue_hands_out_items_by_the_chosen_feature(api, project, manager, ran, order):
    values = _values(project, BRIGHTNESS)
    sign = -1 if order == "desc" else 1

    response = api(manager).put(
        f"/api/v1/projects/{project.pk}/queue-priority/",
        {"feature": BRIGHTNESS, "order": order},
        format="json",
    )

    assert response.json() == {"feature": BRIGHTNESS, "order": order}
    assert _claims(project, len(values)) == sorted(values, key=lambda i: (sign * values[i], i))


def test_clearing_the_priority_restores_the_default_order(api, project, manager, ran):
    items, _ = ran
    url = f"/api/v1/projects/{project.pk}/queue-priority/"
    api(manager).put(url, {"feature": BRIGHTNESS, "order": "asc"}, format="json")

    cleared = api(manager).put(url, {"feature": None}, format="json")

    assert cleared.json() == {"feature": None, "order": "desc"}
    assert not Item.objects.filter(project=project).exclude(priority=None).exists()
    assert _claims(project, len(items)) == sorted(item.pk for item in items)


def test_an_unknown_feature_cannot_order_the_queue(api, project, manager, annotator, ran):
    url = f"/api/v1/projects/{project.pk}/queue-priority/"

    unknown = api(manager).put(url, {"feature": "nope"}, format="json")
    refused = api(annotator).put(url, {"feature": BRIGHTNESS}, format="json")

    assert unknown.status_code == 400 and "feature" in unknown.json()["errors"]
    assert refused.status_code == 403
    assert not Item.objects.filter(project=project).exclude(priority=None).exists()
