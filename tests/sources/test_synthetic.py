import functools
import io
import json
import random
import uuid

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from sources.synthetic import (
    CLASSES,
    TAGS,
    Scene,
    SceneObject,
    generate_scene,
    generate_scenes,
    label_schema,
    scene_shapes,
    scene_to_jpeg_bytes,
    scene_to_png_bytes,
)

SEEDS = range(40)


def _hex_to_rgb(color: str) -> tuple[int, int, int]:
    return (int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16))


def _pairs(flat: list[float], stride: int = 2) -> list[tuple[float, ...]]:
    return [tuple(flat[index : index + stride]) for index in range(0, len(flat), stride)]


def _centroid(polygon: list[float]) -> tuple[float, float]:
    # Area centroid (shoelace): unlike the vertex mean it lies inside a star as well.
    vertices = _pairs(polygon)
    area = centroid_x = centroid_y = 0.0
    for (x1, y1), (x2, y2) in zip(vertices, vertices[1:] + vertices[:1], strict=True):
        cross = x1 * y2 - x2 * y1
        area += cross
        centroid_x += (x1 + x2) * cross
        centroid_y += (y1 + y2) * cross
    return centroid_x / (3 * area), centroid_y / (3 * area)


def _inside_box(box: tuple[float, float, float, float], x: float, y: float) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


@functools.cache
def _scenes() -> tuple[Scene, ...]:
    # Generated once and only read by the tests, to keep the many-seed checks fast.
    return tuple(generate_scene(seed=seed) for seed in SEEDS)


@functools.cache
def _crowded_scenes() -> tuple[Scene, ...]:
    return tuple(generate_scene(seed=seed, min_objects=4, max_objects=10) for seed in SEEDS)


def _all_objects() -> list[SceneObject]:
    return [obj for scene in _scenes() for obj in scene.objects]


def test_same_seed_gives_byte_identical_png_and_identical_shapes() -> None:
    first = generate_scene(seed=7)
    second = generate_scene(seed=7)

    assert scene_to_png_bytes(first) == scene_to_png_bytes(second)
    assert first.objects == second.objects
    assert first.tags == second.tags
    for kind in ("box", "polygon", "keypoints"):
        assert scene_shapes(first, kind=kind) == scene_shapes(second, kind=kind)


def test_different_seeds_give_different_pixels_and_shapes() -> None:
    first = generate_scene(seed=1)
    second = generate_scene(seed=2)

    assert scene_to_png_bytes(first) != scene_to_png_bytes(second)
    assert first.objects != second.objects
    assert {shape["id"] for shape in scene_shapes(first)}.isdisjoint(
        shape["id"] for shape in scene_shapes(second)
    )


def test_generation_leaves_the_global_random_state_untouched() -> None:
    random.seed(123)
    state_before = random.getstate()

    generate_scene(seed=5)

    assert random.getstate() == state_before


def test_generate_scenes_gives_scene_i_the_seed_plus_i() -> None:
    scenes = list(generate_scenes(count=3, seed=10, width=320, height=240))

    assert [scene.seed for scene in scenes] == [10, 11, 12]
    for scene in scenes:
        expected = generate_scene(seed=scene.seed, width=320, height=240)
        assert scene.objects == expected.objects
        assert scene_to_png_bytes(scene) == scene_to_png_bytes(expected)


def test_generate_scenes_with_zero_count_yields_nothing() -> None:
    assert list(generate_scenes(count=0)) == []


@pytest.mark.parametrize(("min_objects", "max_objects"), [(0, 0), (1, 1), (2, 6), (8, 12)])
def test_object_count_stays_within_the_requested_range(min_objects: int, max_objects: int) -> None:
    counts = {
        len(generate_scene(seed=seed, min_objects=min_objects, max_objects=max_objects).objects)
        for seed in range(30)
    }

    assert min(counts) >= min_objects
    assert max(counts) <= max_objects


@pytest.mark.parametrize(
    "arguments",
    [
        {"width": 31},
        {"height": 10},
        {"min_objects": 3, "max_objects": 2},
        {"min_objects": -1},
    ],
)
def test_generate_scene_refuses_impossible_arguments(arguments: dict) -> None:
    with pytest.raises(ValueError):
        generate_scene(seed=0, **arguments)


@pytest.mark.parametrize(("width", "height"), [(640, 480), (32, 32), (1000, 120)])
def test_boxes_lie_inside_the_image_and_are_ordered(width: int, height: int) -> None:
    for seed in SEEDS:
        scene = generate_scene(seed=seed, width=width, height=height)
        assert (scene.width, scene.height, scene.image.size) == (width, height, (width, height))
        for obj in scene.objects:
            x1, y1, x2, y2 = obj.box
            assert 0 <= x1 < x2 <= width
            assert 0 <= y1 < y2 <= height


def test_box_is_the_exact_extent_of_the_polygon() -> None:
    for obj in _all_objects():
        xs = obj.polygon[0::2]
        ys = obj.polygon[1::2]
        assert obj.box == (min(xs), min(ys), max(xs), max(ys))


def test_polygons_have_enough_vertices_and_circles_at_least_32() -> None:
    for obj in _all_objects():
        minimum = 32 if obj.label == "circle" else 3
        assert len(obj.polygon) % 2 == 0
        assert len(obj.polygon) // 2 >= minimum


def test_circle_boxes_are_square_and_circle_vertices_lie_on_the_circle() -> None:
    circles = [obj for obj in _all_objects() if obj.label == "circle"]
    assert circles
    for circle in circles:
        x1, y1, x2, y2 = circle.box
        assert x2 - x1 == pytest.approx(y2 - y1, abs=0.011)
        centre_x, centre_y, radius = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 2
        for x, y in _pairs(circle.polygon):
            assert ((x - centre_x) ** 2 + (y - centre_y) ** 2) ** 0.5 == pytest.approx(
                radius, abs=0.02
            )


def test_coordinates_are_rounded_to_two_decimals() -> None:
    for obj in _all_objects():
        for value in [*obj.box, *obj.polygon, *obj.keypoints]:
            assert round(value, 2) == value


def test_objects_vary_in_label_and_size() -> None:
    objects = [obj for obj in _all_objects()]
    widths = [obj.box[2] - obj.box[0] for obj in objects]

    assert {obj.label for obj in objects} == set(CLASSES)
    assert max(widths) > 3 * min(widths)


def test_centroid_pixel_of_an_uncovered_object_has_exactly_the_class_colour() -> None:
    checked = 0
    for scene in _scenes():
        for index, obj in enumerate(scene.objects):
            centre_x, centre_y = _centroid(obj.polygon)
            later = scene.objects[index + 1 :]
            if obj.occluded or any(_inside_box(other.box, centre_x, centre_y) for other in later):
                continue
            pixel = scene.image.getpixel((int(centre_x), int(centre_y)))
            assert pixel == _hex_to_rgb(CLASSES[obj.label]["color"])
            checked += 1
    assert checked >= 100


def test_topmost_object_pixels_reach_every_side_of_its_box_within_one_pixel() -> None:
    # Only the last drawn object is whole, and only a class unique in the scene can be found by
    # colour alone. Pillow truncates coordinates, so drawn pixels may spill one pixel past the box.
    checked = 0
    for scene in _scenes():
        if not scene.objects:
            continue
        top = scene.objects[-1]
        if [obj.label for obj in scene.objects].count(top.label) > 1:
            continue
        solid = Image.new("RGB", scene.image.size, CLASSES[top.label]["color"])
        red, green, blue = ImageChops.difference(scene.image, solid).split()
        largest_difference = ImageChops.lighter(ImageChops.lighter(red, green), blue)
        exact_colour = largest_difference.point(lambda value: 255 if value == 0 else 0)
        left, top_edge, right, bottom = exact_colour.getbbox()
        x1, y1, x2, y2 = top.box
        assert x1 - 1 <= left <= x1 + 1
        assert y1 - 1 <= top_edge <= y1 + 1
        assert x2 - 1 <= right <= x2 + 1
        assert y2 - 1 <= bottom <= y2 + 1
        checked += 1
    assert checked >= 10


def test_keypoint_count_and_order_match_the_class_definition() -> None:
    for obj in _all_objects():
        names = CLASSES[obj.label]["keypoints"]
        assert len(obj.keypoints) == 3 * len(names)
        for x, y, visibility in _pairs(obj.keypoints, stride=3):
            assert visibility in (1, 2)
            assert _inside_box(obj.box, x, y)


def test_keypoints_sit_on_polygon_vertices_with_named_corners_where_expected() -> None:
    for obj in _all_objects():
        points = [(x, y) for x, y, _ in _pairs(obj.keypoints, stride=3)]
        vertices = _pairs(obj.polygon)
        assert all(point in vertices for point in points)
        if obj.label == "triangle":
            apex, left, right = points
            assert apex[1] < min(left[1], right[1])
            assert left[0] < right[0]
        if obj.label == "square":
            top_left, top_right, bottom_right, bottom_left = points
            assert top_left[0] < top_right[0] and bottom_left[0] < bottom_right[0]
            assert top_left[1] < bottom_left[1] and top_right[1] < bottom_right[1]


def test_keypoint_is_hidden_only_when_a_later_object_box_covers_it() -> None:
    hidden = 0
    for scene in _crowded_scenes():
        for index, obj in enumerate(scene.objects):
            later = scene.objects[index + 1 :]
            for x, y, visibility in _pairs(obj.keypoints, stride=3):
                if visibility == 1:
                    assert any(_inside_box(other.box, x, y) for other in later)
                    hidden += 1
                elif not any(_inside_box(other.box, x, y) for other in later):
                    assert visibility == 2
    assert hidden > 0


def test_skeleton_pairs_index_existing_keypoints() -> None:
    for spec in CLASSES.values():
        for first, second in spec["skeleton"]:
            assert 0 <= first < len(spec["keypoints"])
            assert 0 <= second < len(spec["keypoints"])


def test_occluded_flag_follows_box_overlap_of_later_objects() -> None:
    flagged = 0
    for scene in _crowded_scenes():
        for index, obj in enumerate(scene.objects):
            x1, y1, x2, y2 = obj.box
            largest_overlap = 0.0
            for other in scene.objects[index + 1 :]:
                overlap_width = max(0.0, min(x2, other.box[2]) - max(x1, other.box[0]))
                overlap_height = max(0.0, min(y2, other.box[3]) - max(y1, other.box[1]))
                largest_overlap = max(largest_overlap, overlap_width * overlap_height)
            assert obj.occluded == (largest_overlap >= 0.3 * (x2 - x1) * (y2 - y1))
            flagged += obj.occluded
        assert scene.objects[-1].occluded is False
    assert flagged > 0


def test_tag_matches_the_brightness_of_the_background_around_the_objects() -> None:
    seen_tags = set()
    for scene in _scenes():
        background = Image.new("L", scene.image.size, 255)
        for obj in scene.objects:
            ImageDraw.Draw(background).rectangle(obj.box, fill=0)
        luminance = ImageStat.Stat(scene.image.convert("L"), background).mean[0]
        assert scene.tags == (["night"] if luminance < 128 else ["day"])
        seen_tags.update(scene.tags)
    assert seen_tags == set(TAGS)


@pytest.mark.parametrize("kind", ["box", "polygon", "keypoints"])
def test_scene_shapes_survive_a_json_round_trip_with_the_loupe_shape_fields(kind: str) -> None:
    scene = generate_scene(seed=3, min_objects=6, max_objects=6)

    shapes = scene_shapes(scene, kind=kind)

    assert json.loads(json.dumps(shapes)) == shapes
    for shape in shapes:
        assert set(shape) == {"id", "label", "kind", "points", "attributes", "occluded"}
        assert shape["attributes"] == {}
        assert shape["kind"] in (kind, "tag")
    assert [shape for shape in shapes if shape["kind"] == "tag"] == [
        {
            "id": shapes[-1]["id"],
            "label": scene.tags[0],
            "kind": "tag",
            "points": [],
            "attributes": {},
            "occluded": False,
        }
    ]


def test_scene_shapes_carry_each_object_geometry_in_order() -> None:
    scene = generate_scene(seed=11, min_objects=6, max_objects=6)
    with_keypoints = [obj for obj in scene.objects if obj.keypoints]

    boxes = scene_shapes(scene, kind="box")[:-1]
    polygons = scene_shapes(scene, kind="polygon")[:-1]
    keypoints = scene_shapes(scene, kind="keypoints")[:-1]

    assert [(s["label"], s["points"], s["occluded"]) for s in boxes] == [
        (obj.label, list(obj.box), obj.occluded) for obj in scene.objects
    ]
    assert [s["points"] for s in polygons] == [obj.polygon for obj in scene.objects]
    assert [s["points"] for s in keypoints] == [obj.keypoints for obj in with_keypoints]
    assert all(shape["label"] != "circle" for shape in keypoints)


def test_scene_shape_ids_are_deterministic_unique_uuid4_strings() -> None:
    scene = generate_scene(seed=21, min_objects=5, max_objects=5)
    shapes_by_kind = {kind: scene_shapes(scene, kind=kind) for kind in ("box", "polygon")}

    rerun = scene_shapes(generate_scene(seed=21, min_objects=5, max_objects=5), kind="box")

    assert [shape["id"] for shape in rerun] == [shape["id"] for shape in shapes_by_kind["box"]]
    object_ids = [
        shape["id"]
        for shapes in shapes_by_kind.values()
        for shape in shapes
        if shape["kind"] != "tag"
    ]
    assert len(set(object_ids)) == len(object_ids) == 10
    assert shapes_by_kind["box"][-1]["id"] == shapes_by_kind["polygon"][-1]["id"]
    for shape in shapes_by_kind["box"]:
        assert str(uuid.UUID(shape["id"])) == shape["id"]
        assert uuid.UUID(shape["id"]).version == 4


def test_id_namespace_separates_ids_of_the_same_seed() -> None:
    scene = generate_scene(seed=4)

    default_ids = {shape["id"] for shape in scene_shapes(scene)}
    namespaced_ids = {shape["id"] for shape in scene_shapes(scene, id_namespace="project-2")}

    assert default_ids.isdisjoint(namespaced_ids)


def test_scene_shapes_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError):
        scene_shapes(generate_scene(seed=0), kind="cuboid")


def test_label_schema_covers_every_class_and_tag() -> None:
    schema = label_schema()

    assert [label["name"] for label in schema] == [*CLASSES, *TAGS]
    for label in schema[: len(CLASSES)]:
        spec = CLASSES[label["name"]]
        assert label == {
            "name": label["name"],
            "color": spec["color"],
            "kind": "box",
            "attributes": [],
            "keypoints": spec["keypoints"],
            "skeleton": spec["skeleton"],
        }
    for label in schema[len(CLASSES) :]:
        assert label["kind"] == "tag"
        assert (label["attributes"], label["keypoints"], label["skeleton"]) == ([], [], [])
    for label in schema:
        assert len(label["color"]) == 7 and _hex_to_rgb(label["color"])
    assert json.loads(json.dumps(schema)) == schema


def test_class_colours_are_distinct() -> None:
    colours = [spec["color"] for spec in CLASSES.values()]
    assert len(set(colours)) == len(colours)


@pytest.mark.parametrize(("width", "height"), [(640, 480), (320, 200), (33, 77)])
def test_png_and_jpeg_bytes_open_with_pillow_at_the_requested_size(width: int, height: int) -> None:
    scene = generate_scene(seed=9, width=width, height=height)

    png = Image.open(io.BytesIO(scene_to_png_bytes(scene)))
    jpeg = Image.open(io.BytesIO(scene_to_jpeg_bytes(scene, quality=75)))

    assert (png.format, png.mode, png.size) == ("PNG", "RGB", (width, height))
    assert (jpeg.format, jpeg.mode, jpeg.size) == ("JPEG", "RGB", (width, height))
    assert png.tobytes() == scene.image.tobytes()


def test_jpeg_quality_changes_the_encoding() -> None:
    scene = generate_scene(seed=9)

    assert len(scene_to_jpeg_bytes(scene, quality=30)) < len(scene_to_jpeg_bytes(scene))
