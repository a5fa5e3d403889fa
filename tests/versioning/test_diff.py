import pytest

from tests.annotate.factories import box, tag
from tests.projects.factories import items_add, user_create
from tests.versioning.factories import document_accepted, version_made
from versioning.diff import geometry_iou, shapes_diff, versions_diff
from versioning.models import VersionItem
from versioning.rows import rows_that_differ
from versioning.selectors import version_diff


def test_shapes_are_matched_by_id_and_each_kind_of_change_is_named():
    kept = box("car", (0, 0, 10, 10), id="kept")
    moved = box("car", (0, 0, 10, 10), id="moved")
    relabelled = box("car", (5, 5, 6, 6), id="relabelled")
    posed = box("person", (1, 1, 2, 2), id="posed", attributes={"pose": "sitting"})
    gone = tag("night", id="gone")
    before = [kept, moved, relabelled, posed, gone]
    after = [
        kept,
        {**moved, "points": [5, 0, 15, 10]},
        {**relabelled, "label": "person"},
        {**posed, "attributes": {"pose": "standing"}},
        box("car", (2, 2, 3, 3), id="new"),
    ]

    changes = shapes_diff(before, after)

    assert changes == [
        {"shape": "gone", "change": "removed", "label": "night", "kind": "tag"},
        {
            "shape": "moved",
            "change": "changed",
            "label": "car",
            "kind": "box",
            "geometry": {"iou": round(50 / 150, 6)},
        },
        {
            "shape": "relabelled",
            "change": "changed",
            "label": "person",
            "kind": "box",
            "class": {"from": "car", "to": "person"},
        },
        {
            "shape": "posed",
            "change": "changed",
            "label": "person",
            "kind": "box",
            "attributes": {
                "from": {"attributes": {"pose": "sitting"}},
                "to": {"attributes": {"pose": "standing"}},
            },
        },
        {"shape": "new", "change": "added", "label": "car", "kind": "box"},
    ]


def test_iou_covers_rotated_boxes_and_polygons_and_is_none_without_an_area():
    square = {"kind": "box", "points": [0, 0, 10, 10]}
    turned = {**square, "rotation": 90}
    triangle = {"kind": "polygon", "points": [0, 0, 10, 0, 0, 10]}
    line = {"kind": "polyline", "points": [0, 0, 10, 10]}

    assert geometry_iou(square, turned) == 1.0
    assert geometry_iou(square, triangle) == 0.5
    assert geometry_iou(square, line) is None


def test_the_version_diff_lists_added_removed_and_changed_items_with_a_class_summary():
    old = {1: ("a1", "h1", "train"), 2: ("a2", "h2", ""), 3: ("a3", None, "")}
    new = {1: ("a1", "h1b", "train"), 3: ("a3", None, "val"), 4: ("a4", "h4", "")}
    shapes_of = {
        "h1": [box("car", id="s1"), box("car", id="s2")],
        "h1b": [box("person", id="s1")],
    }
    counts = {"h2": {"car": 3}, "h4": {"person": 1, "night": 1}}

    diff = versions_diff(old, new, shapes_of=shapes_of, class_counts_of=counts)

    assert [(row["item"], row["change"]) for row in diff.rows] == [
        (1, "changed"),
        (2, "removed"),
        (3, "changed"),
        (4, "added"),
    ]
    assert diff.rows[0]["shapes"] == [
        {"shape": "s2", "change": "removed", "label": "car", "kind": "box"},
        {
            "shape": "s1",
            "change": "changed",
            "label": "person",
            "kind": "box",
            "class": {"from": "car", "to": "person"},
        },
    ]
    assert diff.rows[2]["shapes"] == []
    assert (diff.rows[2]["before"]["split"], diff.rows[2]["after"]["split"]) == ("", "val")
    zero = dict.fromkeys(
        (
            "added",
            "removed",
            "class_changed_from",
            "class_changed_to",
            "geometry_changed",
            "attributes_changed",
        ),
        0,
    )
    assert diff.summary == {
        "car": {**zero, "removed": 4, "class_changed_from": 1},
        "night": {**zero, "added": 1},
        "person": {**zero, "added": 1, "class_changed_to": 1},
    }
    assert diff.totals == {"items_added": 1, "items_removed": 1, "items_changed": 2}


@pytest.mark.django_db
def test_one_relabel_gives_a_diff_naming_exactly_that_item(project, manager, annotator, reviewer):
    first, second, third = items_add(project, 3)
    moved = box("car", (0, 0, 10, 10))
    for item in (first, third):
        document_accepted(item, annotator, reviewer)
    document_accepted(second, annotator, reviewer, [moved])
    old = version_made(project, manager)
    carl = user_create("carl")
    project.memberships.create(user=carl, role="annotator")
    document_accepted(second, carl, reviewer, [{**moved, "points": [0, 0, 10, 5]}])
    new = version_made(project, manager)

    diff = version_diff(old=old, new=new)

    assert [(row["item"], row["change"]) for row in diff.rows] == [(second.pk, "changed")]
    assert diff.rows[0]["shapes"] == [
        {
            "shape": moved["id"],
            "change": "changed",
            "label": "car",
            "kind": "box",
            "geometry": {"iou": 0.5},
        }
    ]
    assert diff.summary["car"]["geometry_changed"] == 1
    assert diff.totals == {"items_added": 0, "items_removed": 0, "items_changed": 1}
    assert VersionItem.objects.filter(version=new).count() == 3


@pytest.mark.django_db
def test_only_rows_that_differ_are_read_and_equal_null_hashes_are_equal(
    project, manager, annotator, reviewer
):
    first, unannotated, third = items_add(project, 3)
    document_accepted(first, annotator, reviewer, [box("car")])
    document_accepted(third, annotator, reviewer, [box("car")])
    old = version_made(project, manager)
    relabel = document_accepted(first, reviewer, manager, [box("person")])
    new = version_made(project, manager, filters={"items": [first.pk, unannotated.pk]})

    old_rows, new_rows = rows_that_differ(old_id=old.pk, new_id=new.pk)

    assert set(old_rows) == {first.pk, third.pk} and set(new_rows) == {first.pk}
    assert new_rows[first.pk] == (first.asset.sha256, relabel.content_hash, "")
    assert rows_that_differ(old_id=old.pk, new_id=old.pk) == ({}, {})


def test_the_iou_of_unturned_boxes_is_shapelys_without_shapely():
    """Arithmetic IoU for axis-aligned boxes; ties at the 6th decimal go to shapely."""
    import random

    from shapely.geometry import box as shapely_box

    def reference(first, second):
        a, b = shapely_box(*first), shapely_box(*second)
        return round(float(a.intersection(b).area) / float(a.union(b).area), 6)

    tie = ([230.0, 356.688734953895, 294.0, 436.8080732503453], [230.5, 356.688734953895])
    pairs = [(tie[0], [*tie[1], 294.0, 436.8080732503453])]
    generator = random.Random(3)
    for _ in range(3000):
        x, y = generator.choice([float(generator.randint(0, 600)), generator.uniform(0, 600)]), 5.0
        width = generator.choice(
            [40.5, generator.uniform(0.01, 200), 0.125 * generator.randint(1, 64)]
        )
        first = [x, y, x + width, y + 30.25]
        shift = generator.choice([0, 1, 0.5, -3, 0.125, 300])
        pairs.append((first, [x + shift, y, x + width + generator.choice([0, 1, 0.25]), y + 30.25]))
    for first, second in pairs:
        old, new = {"kind": "box", "points": first}, {"kind": "box", "points": second}
        assert geometry_iou(old, new) == reference(first, second), (first, second)
