"""Version rows stored in full or as a delta against a base: every reader sees the same rows
either way, and a re-snapshot after a small relabel stores only what changed."""

import json

import pytest
from django.core.files.storage import default_storage

from tests.annotate.factories import box, tag
from tests.projects.factories import items_add, user_create
from tests.versioning.factories import document_accepted, version_made
from versioning.exports import version_items
from versioning.models import DatasetVersion, VersionItem, VersionRow
from versioning.rows import (
    DELTA_MIN_ROWS,
    _rows_that_differ_anywhere,
    delta_fits,
    rows_delta,
    rows_that_differ,
)
from versioning.selectors import version_diff, version_rows

pytestmark = pytest.mark.django_db


def manifest_rows(version: DatasetVersion) -> list[tuple]:
    with default_storage.open(version.manifest_key, "rb") as stored:
        return [tuple(row) for row in json.loads(stored.read())["items"]]


def read_rows(version: DatasetVersion) -> list[tuple]:
    rows = VersionItem.objects.filter(version=version).order_by("item_id")
    return list(rows.values_list("item_id", "asset_sha256", "annotation_hash", "split"))


def stored(version: DatasetVersion) -> list[tuple]:
    rows = VersionRow.objects.filter(version=version).order_by("item_id")
    return list(rows.values_list("item_id", "annotation_hash", "removed"))


@pytest.fixture
def carl(project):
    carl = user_create("carl")
    project.memberships.create(user=carl, role="annotator")
    return carl


def test_a_relabel_stores_one_row_against_the_base_and_reads_back_every_row(
    project, manager, annotator, reviewer, carl
):
    items = items_add(project, 4)
    for item in items[:3]:
        document_accepted(item, annotator, reviewer, [box("car"), box("person")])
    first = version_made(project, manager)

    relabel = document_accepted(items[1], carl, reviewer, [box("person"), tag("night")])
    second = version_made(project, manager)

    assert (first.base, second.base, second.parent) == (None, first, first)
    assert len(stored(first)) == 4
    assert stored(second) == [(items[1].pk, relabel.content_hash, False)]
    assert read_rows(second) == manifest_rows(second)
    assert read_rows(first) == manifest_rows(first)
    assert version_rows(version=second)[items[1].pk] == (
        items[1].asset.sha256,
        relabel.content_hash,
        "",
    )
    # Stats summed from the base's and the delta's class counts: the full count.
    assert second.stats == {
        "items": 4,
        "splits": {"": 4},
        "annotated_items": 3,
        "shapes": 6,
        "shapes_per_class": {"car": 2, "night": 1, "person": 3},
        "annotators": {"bob_annotator": 2, "carl": 1},
    }


def test_later_versions_are_stored_against_the_same_base_not_chained(
    project, manager, annotator, reviewer, carl
):
    items = items_add(project, 3)
    first = version_made(project, manager)
    document_accepted(items[0], annotator, reviewer, [box("car")])
    second = version_made(project, manager)
    document_accepted(items[2], carl, reviewer, [box("person")])
    third = version_made(project, manager)

    assert (second.base, third.base, third.parent) == (first, first, second)
    # The third's delta holds every row that differs from the base: both relabels.
    assert [row[0] for row in stored(third)] == [items[0].pk, items[2].pk]
    assert read_rows(third) == manifest_rows(third)
    assert third.stats["shapes_per_class"] == {"car": 1, "person": 1}


def test_an_item_a_version_leaves_out_is_a_tombstone_that_reads_as_absent(
    project, manager, annotator, reviewer
):
    items = items_add(project, 3)
    document_accepted(items[0], annotator, reviewer, [box("car"), box("car")])
    first = version_made(project, manager)

    cut = version_made(project, manager, filters={"items": [items[1].pk, items[2].pk]})

    assert cut.base == first
    assert stored(cut) == [(items[0].pk, first_hash(first, items[0].pk), True)]
    assert read_rows(cut) == manifest_rows(cut)
    assert [row[0] for row in read_rows(cut)] == [items[1].pk, items[2].pk]
    assert cut.stats["shapes_per_class"] == {} and cut.stats["shapes"] == 0
    diff = version_diff(old=first, new=cut)
    assert [(row["item"], row["change"]) for row in diff.rows] == [(items[0].pk, "removed")]
    assert diff.summary["car"]["removed"] == 2


def first_hash(version: DatasetVersion, item_id: int) -> str | None:
    return VersionItem.objects.get(version=version, item_id=item_id).annotation_hash


def test_a_delta_over_its_share_of_the_rows_is_stored_in_full_and_becomes_the_base(
    project, manager
):
    items = items_add(project, DELTA_MIN_ROWS + 6)
    first = version_made(project, manager)
    kept = [item.pk for item in items[:5]]

    few = version_made(project, manager, filters={"items": kept})
    everything_again = version_made(project, manager, filters={"items": kept[:4]})

    # DELTA_MIN_ROWS + 1 tombstones would pass max(DELTA_MIN_ROWS, 5 // 8): stored in full.
    assert few.base is None and len(stored(few)) == 5
    assert everything_again.base == few
    assert stored(everything_again) == [(kept[4], None, True)]
    assert read_rows(few) == manifest_rows(few)
    assert read_rows(everything_again) == manifest_rows(everything_again)
    assert len(read_rows(first)) == DELTA_MIN_ROWS + 6


def test_a_diff_on_one_base_reads_the_deltas_and_agrees_with_the_full_anti_join(
    project, manager, annotator, reviewer, carl
):
    items = items_add(project, 5)
    for item in items:
        document_accepted(item, annotator, reviewer, [box("car")])
    base = version_made(project, manager)
    document_accepted(items[1], carl, reviewer, [box("person")])
    second = version_made(project, manager)
    document_accepted(items[3], carl, reviewer, [tag("night")])
    document_accepted(items[1], reviewer, manager, [box("car")])
    third = version_made(project, manager, filters={"items": [i.pk for i in items[1:]]})

    for old, new in ((base, second), (second, third), (base, third), (third, second)):
        expected = _rows_that_differ_anywhere(old_id=old.pk, new_id=new.pk)
        assert rows_that_differ(old_id=old.pk, new_id=new.pk) == expected
    old_rows, new_rows = rows_that_differ(old_id=second.pk, new_id=third.pk)
    assert set(old_rows) == {items[0].pk, items[1].pk, items[3].pk}
    assert set(new_rows) == {items[1].pk, items[3].pk}
    assert rows_that_differ(old_id=third.pk, new_id=third.pk) == ({}, {})


def test_an_export_of_a_delta_version_holds_every_item_with_its_shapes(
    project, manager, annotator, reviewer, carl
):
    items = items_add(project, 3)
    for item in items:
        document_accepted(item, annotator, reviewer, [box("car")])
    version_made(project, manager)
    document_accepted(items[2], carl, reviewer, [box("person"), box("person")])
    delta = version_made(project, manager)

    exported = [(entry.item.item_id, entry.shapes) for entry in version_items(delta)()]

    assert delta.base is not None
    assert [item_id for item_id, _ in exported] == [item.pk for item in items]
    assert [[shape["label"] for shape in shapes] for _, shapes in exported] == [
        ["car"],
        ["car"],
        ["person", "person"],
    ]


def test_deleting_a_project_takes_its_base_and_delta_versions_along(
    project, manager, annotator, reviewer, carl
):
    items = items_add(project, 2)
    document_accepted(items[0], annotator, reviewer, [box("car")])
    version_made(project, manager)
    document_accepted(items[0], carl, reviewer, [box("person")])
    assert version_made(project, manager).base is not None

    project.delete()

    assert (DatasetVersion.objects.count(), VersionRow.objects.count()) == (0, 0)
    assert VersionItem.objects.count() == 0


def test_a_delta_holds_changed_and_added_rows_then_tombstones():
    base = {1: ("a", "h1", ""), 2: ("b", None, "val"), 3: ("c", "h3", "")}
    rows = [(1, "a", "h1", ""), (2, "b", "h2", "val"), (4, "d", None, "")]

    assert rows_delta(base=base, rows=rows) == [
        (2, "b", "h2", "val", False),
        (4, "d", None, "", False),
        (3, "c", "h3", "", True),
    ]
    assert rows_delta(base=base, rows=[(k, *v) for k, v in base.items()]) == []


def test_small_versions_are_always_deltas_and_large_ones_up_to_an_eighth():
    assert delta_fits(changed=DELTA_MIN_ROWS, rows=1)
    assert not delta_fits(changed=DELTA_MIN_ROWS + 1, rows=DELTA_MIN_ROWS)
    assert delta_fits(changed=12_500, rows=100_000)
    assert not delta_fits(changed=12_501, rows=100_000)
