"""GrabCut assist: the outline proposed inside a box, against synthetic scenes' exact outlines."""

import io
import statistics

import numpy as np
import pytest
from django.test import override_settings
from pycocotools import mask as coco_mask
from shapely.geometry import Polygon

from annotate.assist import propose, rle_encode
from sources.synthetic import Scene, SceneObject, generate_scene, scene_to_png_bytes
from tests.conftest import client_for
from tests.projects.factories import item_from_bytes, project_with_members

SEEDS = range(10)


def isolated(scene: Scene) -> list[SceneObject]:
    """Objects no other object comes near: the box around one holds only it and background."""

    def apart(a: SceneObject, b: SceneObject) -> bool:
        ax1, ay1, ax2, ay2 = a.box
        bx1, by1, bx2, by2 = b.box
        return bx2 < ax1 - 4 or bx1 > ax2 + 4 or by2 < ay1 - 4 or by1 > ay2 + 4

    return [o for o in scene.objects if all(apart(o, b) for b in scene.objects if b is not o)]


def box_around(scene_object: SceneObject, pad: int = 3) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = scene_object.box
    return (round(x1) - pad, round(y1) - pad, round(x2 - x1) + 2 * pad, round(y2 - y1) + 2 * pad)


def polygon_of(points: list[float]) -> Polygon:
    return Polygon(list(zip(points[::2], points[1::2], strict=True))).buffer(0)


def iou(a: Polygon, b: Polygon) -> float:
    return a.intersection(b).area / a.union(b).area


def test_polygons_proposed_on_synthetic_scenes_match_the_exact_outlines() -> None:
    # given every isolated object of ten seeded scenes, with a box a few pixels around it
    cases = [
        (scene, o)
        for scene in map(lambda s: generate_scene(seed=s), SEEDS)
        for o in isolated(scene)
    ]
    assert len(cases) >= 20

    # when GrabCut proposes each outline as a polygon
    scores = []
    for scene, scene_object in cases:
        proposal = propose(scene.image, box_around(scene_object), output="polygon")
        assert proposal is not None and proposal.kind == "polygon"
        scores.append(iou(polygon_of(proposal.points), polygon_of(scene_object.polygon)))

    # then the mean IoU with the exact ground truth is at least 0.85, and none is far off
    assert statistics.mean(scores) >= 0.85, scores
    assert min(scores) >= 0.7, scores


def test_a_mask_proposal_decodes_with_pycocotools_to_the_object() -> None:
    # given a scene and its first isolated object
    scene = generate_scene(seed=3)
    scene_object = isolated(scene)[0]

    # when a mask is asked for
    proposal = propose(scene.image, box_around(scene_object), output="mask")

    # then its RLE decodes to the object's area, inside the bbox it names
    assert proposal is not None and proposal.kind == "mask" and proposal.rle is not None
    rle = coco_mask.frPyObjects(proposal.rle, scene.height, scene.width)
    pixels = coco_mask.decode(rle)
    assert pixels.shape == (scene.height, scene.width)
    ys, xs = np.nonzero(pixels)
    assert proposal.points == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    truth = polygon_of(scene_object.polygon).area
    assert abs(int(pixels.sum()) - truth) / truth < 0.1


def test_rle_encoding_round_trips_through_pycocotools() -> None:
    rng = np.random.default_rng(7)
    pixels = (rng.random((13, 17)) > 0.6).astype(np.uint8)
    pixels[0, 0] = 1  # a run of ones first: counts start with an empty run of zeros

    rle = rle_encode(pixels)

    assert rle["counts"][0] == 0
    decoded = coco_mask.decode(coco_mask.frPyObjects(rle, 13, 17))
    assert (decoded == pixels).all()


def test_a_large_image_is_outlined_closely_from_its_downscaled_crop() -> None:
    # given a 4000x3000 scene and a box over a third of it
    scene = generate_scene(seed=5, width=4000, height=3000, min_objects=1, max_objects=1)
    (scene_object,) = scene.objects

    # when the outline is proposed
    proposal = propose(scene.image, box_around(scene_object, pad=30), output="polygon")

    # then the crop (downscaled to WORK_SIDE for GrabCut) still gives a close outline, in image
    # pixels; how long it takes is measured by benchmarks, not asserted here
    assert proposal is not None
    assert iou(polygon_of(proposal.points), polygon_of(scene_object.polygon)) >= 0.85


# --- the endpoint --------------------------------------------------------------------------


@pytest.fixture
def scene_item(project):
    scene = generate_scene(seed=3)
    item = item_from_bytes(project, scene_to_png_bytes(scene), name="scene.png")
    return scene, item


@pytest.mark.django_db
def test_the_endpoint_answers_a_polygon_and_a_mask_in_image_pixels(scene_item, annotator) -> None:
    scene, item = scene_item
    scene_object = isolated(scene)[0]
    url = f"/api/v1/items/{item.pk}/assist/"
    client = client_for(annotator)

    polygon = client.post(url, {"box": list(box_around(scene_object))}, format="json")
    mask = client.post(
        url, {"box": list(box_around(scene_object)), "output": "mask"}, format="json"
    )

    assert polygon.status_code == 200 and mask.status_code == 200
    assert polygon.json()["found"] is True and polygon.json()["kind"] == "polygon"
    truth = polygon_of(scene_object.polygon)
    assert iou(polygon_of(polygon.json()["points"]), truth) >= 0.85
    assert mask.json()["kind"] == "mask"
    assert mask.json()["rle"]["size"] == [scene.height, scene.width]


@pytest.mark.django_db
def test_a_box_over_plain_background_finds_nothing_and_says_so(project, annotator) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (90, 90, 90)).save(buffer, format="PNG")
    item = item_from_bytes(project, buffer.getvalue())

    response = client_for(annotator).post(
        f"/api/v1/items/{item.pk}/assist/", {"box": [10, 10, 30, 30]}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["found"] is False and "background" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"box": [10, 10, 2, 40]}, "box", "at least"),
        ({"box": [600, 400, 100, 100]}, "box", "inside the 640×480 image"),
        ({"box": [-20, 0, 50, 50]}, "box", "inside"),
        ({"box": [1, 2, 3]}, "box", "four numbers"),
        ({"box": ["a", 2, 3, 4]}, "box", "four numbers"),
        ({"box": [1, 2, True, 4]}, "box", "four numbers"),
        ({}, "box", "four numbers"),
        ({"box": [10, 10, 50, 50], "output": "outline"}, "output", "polygon"),
        (["not", "an", "object"], "non_field_errors", "JSON object"),
    ],
)
def test_bad_input_is_a_clear_400(scene_item, annotator, body, field, words) -> None:
    _, item = scene_item

    response = client_for(annotator).post(f"/api/v1/items/{item.pk}/assist/", body, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in errors and words in " ".join(errors[field]), errors
    assert response.json()["detail"]


@pytest.mark.django_db
def test_another_projects_item_is_not_found(scene_item, outsider) -> None:
    _, item = scene_item
    project_with_members(manager=outsider)

    response = client_for(outsider).post(
        f"/api/v1/items/{item.pk}/assist/", {"box": [10, 10, 50, 50]}, format="json"
    )

    assert response.status_code == 404


@pytest.mark.django_db
def test_too_many_calls_are_refused_with_retry_after(scene_item, annotator, settings) -> None:
    _, item = scene_item
    settings.ASSIST_RATE_LIMIT = 2
    client = client_for(annotator)
    url = f"/api/v1/items/{item.pk}/assist/"

    codes = [client.post(url, {"box": [10, 10, 50, 50]}, format="json") for _ in range(3)]

    assert [response.status_code for response in codes] == [200, 200, 429]
    assert int(codes[-1]["Retry-After"]) > 0


@pytest.mark.django_db
def test_with_the_cache_unreachable_the_outline_is_still_served(scene_item, annotator) -> None:
    # given a rate-limit cache that refuses connections (a Redis on a closed port)
    _, item = scene_item
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    with override_settings(CACHES=unreachable):
        response = client_for(annotator).post(
            f"/api/v1/items/{item.pk}/assist/", {"box": [10, 10, 50, 50]}, format="json"
        )

    # then assist, a convenience, still answers
    assert response.status_code == 200
