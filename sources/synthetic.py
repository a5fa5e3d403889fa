"""Seeded synthetic scenes: simple shapes on textured backgrounds, with exact ground truth.

Used for demo data, gold-standard annotator training and benchmarks, so every output (pixels,
geometry, shape ids) is a pure function of the seed and the requested size. Only Pillow and the
standard library are used; all randomness comes from one ``random.Random(seed)`` per scene.

Coordinates are image pixels with the origin at the top-left corner. Pillow rasterizes a polygon
by truncating vertex coordinates and filling whole pixels, so the drawn pixels extend up to one
pixel beyond the geometric box; the box kept as ground truth is the geometry itself.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageChops, ImageDraw, ImageStat

# Saturated colours, far from the low-saturation backgrounds, so an object's pixels can be told
# apart from the background by exact colour.
CLASSES: dict[str, dict[str, Any]] = {
    "circle": {"color": "#e6194b", "keypoints": [], "skeleton": []},
    "square": {
        "color": "#3cb44b",
        "keypoints": ["top_left", "top_right", "bottom_right", "bottom_left"],
        "skeleton": [[0, 1], [1, 2], [2, 3], [3, 0]],
    },
    "triangle": {
        "color": "#4363d8",
        "keypoints": ["apex", "left", "right"],
        "skeleton": [[0, 1], [1, 2], [2, 0]],
    },
    "star": {
        "color": "#ffe119",
        "keypoints": ["tip_1", "tip_2", "tip_3", "tip_4", "tip_5"],
        # Tips are numbered clockwise; joining every second one draws the pentagram.
        "skeleton": [[0, 2], [2, 4], [4, 1], [1, 3], [3, 0]],
    },
}
TAGS: list[str] = ["day", "night"]
TAG_COLORS: dict[str, str] = {"day": "#f5d76e", "night": "#2c3e70"}
SHAPE_KINDS: tuple[str, ...] = ("box", "polygon", "keypoints")

CIRCLE_VERTICES = 48  # divisible by 4, so the polygon reaches the circle's extreme points
OCCLUSION_AREA_FRACTION = 0.3
VISIBLE = 2  # COCO keypoint visibility: labelled and visible
HIDDEN = 1  # COCO: labelled but covered by a later object
NIGHT_LUMINANCE_BELOW = 128.0
MIN_IMAGE_SIDE = 32


@dataclass(frozen=True)
class SceneObject:
    label: str
    box: tuple[float, float, float, float]
    polygon: list[float]
    keypoints: list[float]
    occluded: bool


@dataclass(frozen=True)
class Scene:
    width: int
    height: int
    seed: int
    objects: list[SceneObject]
    image: Image.Image
    tags: list[str]


@dataclass(frozen=True)
class _Geometry:
    """One object's outline before drawing; circles keep centre and radius for exact tests."""

    label: str
    vertices: list[tuple[float, float]]
    keypoints: list[tuple[float, float]]
    circle: tuple[float, float, float] | None = None


def generate_scene(
    *, seed: int, width: int = 640, height: int = 480, min_objects: int = 2, max_objects: int = 6
) -> Scene:
    if width < MIN_IMAGE_SIDE or height < MIN_IMAGE_SIDE:
        raise ValueError(f"width and height must be at least {MIN_IMAGE_SIDE}")
    if not 0 <= min_objects <= max_objects:
        raise ValueError("need 0 <= min_objects <= max_objects")
    rng = random.Random(seed)
    image = _background(rng, width, height)
    luminance = ImageStat.Stat(image.convert("L")).mean[0]
    tags = ["night" if luminance < NIGHT_LUMINANCE_BELOW else "day"]
    geometries = [
        _random_geometry(rng, width, height) for _ in range(rng.randint(min_objects, max_objects))
    ]
    draw = ImageDraw.Draw(image)
    for geometry in geometries:
        _draw_geometry(draw, geometry)
    objects = [_scene_object(index, geometries) for index in range(len(geometries))]
    return Scene(width=width, height=height, seed=seed, objects=objects, image=image, tags=tags)


def generate_scenes(
    *, count: int, seed: int = 0, width: int = 640, height: int = 480
) -> Iterator[Scene]:
    for index in range(count):
        yield generate_scene(seed=seed + index, width=width, height=height)


def scene_to_png_bytes(scene: Scene) -> bytes:
    buffer = io.BytesIO()
    # No metadata and fixed encoder settings, so equal pixels always give equal bytes.
    scene.image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def scene_to_jpeg_bytes(scene: Scene, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    scene.image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def label_schema() -> list[dict[str, Any]]:
    labels = [
        {
            "name": name,
            "color": spec["color"],
            "kind": "box",
            "attributes": [],
            "keypoints": list(spec["keypoints"]),
            "skeleton": [list(pair) for pair in spec["skeleton"]],
        }
        for name, spec in CLASSES.items()
    ]
    labels += [
        {
            "name": tag,
            "color": TAG_COLORS[tag],
            "kind": "tag",
            "attributes": [],
            "keypoints": [],
            "skeleton": [],
        }
        for tag in TAGS
    ]
    return labels


def scene_shapes(
    scene: Scene, *, kind: str = "box", id_namespace: str = ""
) -> list[dict[str, Any]]:
    """Ground truth as Loupe shape JSON: one shape per object, then one ``tag`` shape per tag.

    With ``kind="keypoints"`` objects of classes without keypoints (circles) are left out, since
    an empty keypoint shape annotates nothing. ``id_namespace`` keeps ids apart when the same seed
    is imported twice into one database (for example two demo projects).
    """
    if kind not in SHAPE_KINDS:
        raise ValueError(f"kind must be one of {SHAPE_KINDS}, not {kind!r}")
    shapes = []
    for index, scene_object in enumerate(scene.objects):
        points = _points_for_kind(scene_object, kind)
        if not points:
            continue
        shape_id = _shape_id(scene, id_namespace, kind, index)
        shapes.append(_shape(shape_id, scene_object.label, kind, points, scene_object.occluded))
    for index, tag in enumerate(scene.tags):
        # Tag ids leave out the object kind: the tag is the same whichever geometry is exported.
        shape_id = _shape_id(scene, id_namespace, "tag", index)
        shapes.append(_shape(shape_id, tag, "tag", [], False))
    return shapes


def _points_for_kind(scene_object: SceneObject, kind: str) -> list[float]:
    if kind == "box":
        return list(scene_object.box)
    if kind == "polygon":
        return list(scene_object.polygon)
    return list(scene_object.keypoints)


def _shape(
    shape_id: str, label: str, kind: str, points: list[float], occluded: bool
) -> dict[str, Any]:
    return {
        "id": shape_id,
        "label": label,
        "kind": kind,
        "points": points,
        "attributes": {},
        "occluded": occluded,
    }


def _shape_id(scene: Scene, id_namespace: str, kind: str, index: int) -> str:
    key = f"loupe.synthetic:{id_namespace}:{scene.seed}:{scene.width}x{scene.height}:{kind}:{index}"
    digest = hashlib.sha256(key.encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _background(rng: random.Random, width: int, height: int) -> Image.Image:
    """Low-saturation texture: a smooth colour field, fine grain and a line pattern.

    Every step is a Pillow operation on whole images (or on a few thousand pixels at low
    resolution), so a 640x480 background costs a few milliseconds, not a per-pixel Python loop.
    """
    night = rng.random() < 0.5
    # Day and night ranges leave a wide gap around the tag threshold, so texture cannot flip it.
    base = rng.randint(25, 75) if night else rng.randint(160, 215)
    tint = tuple(rng.randint(-10, 10) for _ in range(3))
    field = Image.new("RGB", (8, 6))
    field.putdata(
        [_grey(base + rng.randint(-20, 20), tint) for _ in range(field.width * field.height)]
    )
    image = field.resize((width, height), Image.Resampling.BICUBIC)
    image = ImageChops.add(image, _grain(rng, width, height), offset=-10)
    _draw_pattern(rng, ImageDraw.Draw(image), width, height, base, tint)
    return image


def _grain(rng: random.Random, width: int, height: int) -> Image.Image:
    small_size = (max(1, width // 4), max(1, height // 4))
    noise = Image.frombytes("L", small_size, rng.randbytes(small_size[0] * small_size[1]))
    # Scale 0..255 down to 0..20; added with offset -10 this is +-10 of grey grain.
    noise = noise.point([value * 20 // 255 for value in range(256)])
    noise = noise.resize((width, height), Image.Resampling.BILINEAR)
    return Image.merge("RGB", (noise, noise, noise))


def _draw_pattern(
    rng: random.Random,
    draw: ImageDraw.ImageDraw,
    width: int,
    height: int,
    base: int,
    tint: tuple[int, ...],
) -> None:
    style = rng.choice(("stripes", "scratches", "tiles"))
    if style == "stripes":
        angle = rng.uniform(0, math.pi)
        dx, dy = math.cos(angle), math.sin(angle)
        reach = math.ceil(math.hypot(width, height) / 2)  # far enough to cross the whole image
        spacing = rng.randint(8, 24)
        for offset in range(-reach, reach + 1, spacing):
            cx, cy = width / 2 - dy * offset, height / 2 + dx * offset
            line = [cx - dx * reach, cy - dy * reach, cx + dx * reach, cy + dy * reach]
            draw.line(line, fill=_grey(base + rng.randint(-30, 30), tint), width=rng.randint(1, 4))
    elif style == "scratches":
        for _ in range(rng.randint(30, 80)):
            x, y = rng.uniform(0, width), rng.uniform(0, height)
            angle, length = rng.uniform(0, 2 * math.pi), rng.uniform(10, 0.4 * width)
            line = [x, y, x + math.cos(angle) * length, y + math.sin(angle) * length]
            draw.line(line, fill=_grey(base + rng.randint(-30, 30), tint), width=rng.randint(1, 3))
    else:
        tile = rng.randint(24, 64)
        for x in range(0, width, tile):
            for y in range(0, height, tile):
                outline = _grey(base + rng.randint(-30, 30), tint)
                draw.rectangle([x, y, x + tile - 1, y + tile - 1], outline=outline, width=2)


def _grey(luminance: int, tint: tuple[int, ...]) -> tuple[int, int, int]:
    red, green, blue = (min(255, max(0, luminance + shift)) for shift in tint)
    return (red, green, blue)


def _random_geometry(rng: random.Random, width: int, height: int) -> _Geometry:
    label = rng.choice(list(CLASSES))
    short_side = min(width, height)
    # Every vertex lies within `radius` of the centre, and the centre keeps `radius + 1` from each
    # edge, so the whole object (and its truncated pixels) stays inside the image.
    radius = max(6.0, rng.uniform(0.04, 0.16) * short_side)
    centre_x = rng.uniform(radius + 1, width - 1 - radius)
    centre_y = rng.uniform(radius + 1, height - 1 - radius)
    if label == "circle":
        return _circle(round(centre_x, 2), round(centre_y, 2), round(radius, 2))
    if label == "square":
        angles: list[float] = [
            225,
            315,
            45,
            135,
        ]  # top-left first, clockwise on screen (y grows downwards)
        rotation = rng.uniform(-30, 30)  # below 45 degrees, so corner names stay true
        corners = [_polar(centre_x, centre_y, radius, angle + rotation) for angle in angles]
        return _Geometry(label=label, vertices=corners, keypoints=corners)
    if label == "triangle":
        angles = [270 + rng.uniform(-15, 15), 150 + rng.uniform(-15, 15), 30 + rng.uniform(-15, 15)]
        corners = [
            _polar(centre_x, centre_y, radius * rng.uniform(0.8, 1.0), angle) for angle in angles
        ]
        return _Geometry(label=label, vertices=corners, keypoints=corners)
    return _star(rng, centre_x, centre_y, radius)


def _star(rng: random.Random, centre_x: float, centre_y: float, radius: float) -> _Geometry:
    inner_radius = radius * rng.uniform(0.4, 0.55)
    first_tip = 270 + rng.uniform(-36, 36)  # one tip near the top, the star's symmetry is 72 deg
    vertices = []
    for step in range(10):
        vertex_radius = radius if step % 2 == 0 else inner_radius
        vertices.append(_polar(centre_x, centre_y, vertex_radius, first_tip + step * 36))
    return _Geometry(label="star", vertices=vertices, keypoints=vertices[::2])


def _circle(centre_x: float, centre_y: float, radius: float) -> _Geometry:
    vertices = [
        _polar(centre_x, centre_y, radius, step * 360 / CIRCLE_VERTICES)
        for step in range(CIRCLE_VERTICES)
    ]
    return _Geometry(
        label="circle", vertices=vertices, keypoints=[], circle=(centre_x, centre_y, radius)
    )


def _polar(centre_x: float, centre_y: float, radius: float, degrees: float) -> tuple[float, float]:
    # Rounded here, before drawing, so the drawn outline and the stored ground truth are the same.
    angle = math.radians(degrees)
    return (
        round(centre_x + radius * math.cos(angle), 2),
        round(centre_y + radius * math.sin(angle), 2),
    )


def _draw_geometry(draw: ImageDraw.ImageDraw, geometry: _Geometry) -> None:
    color = CLASSES[geometry.label]["color"]
    if geometry.circle is not None:
        draw.ellipse(_geometry_box(geometry), fill=color)
    else:
        draw.polygon(geometry.vertices, fill=color)


def _geometry_box(geometry: _Geometry) -> tuple[float, float, float, float]:
    if geometry.circle is not None:
        centre_x, centre_y, radius = geometry.circle
        return (
            round(centre_x - radius, 2),
            round(centre_y - radius, 2),
            round(centre_x + radius, 2),
            round(centre_y + radius, 2),
        )
    xs = [x for x, _ in geometry.vertices]
    ys = [y for _, y in geometry.vertices]
    return (min(xs), min(ys), max(xs), max(ys))


def _scene_object(index: int, geometries: list[_Geometry]) -> SceneObject:
    geometry = geometries[index]
    box = _geometry_box(geometry)
    later = geometries[index + 1 :]
    box_area = (box[2] - box[0]) * (box[3] - box[1])
    largest_overlap = max((_overlap_area(box, _geometry_box(other)) for other in later), default=0)
    keypoints: list[float] = []
    for x, y in geometry.keypoints:
        hidden = any(_covers(other, x, y) for other in later)
        keypoints += [x, y, HIDDEN if hidden else VISIBLE]
    return SceneObject(
        label=geometry.label,
        box=box,
        polygon=[coordinate for vertex in geometry.vertices for coordinate in vertex],
        keypoints=keypoints,
        occluded=largest_overlap >= OCCLUSION_AREA_FRACTION * box_area,
    )


def _overlap_area(
    first: tuple[float, float, float, float], second: tuple[float, float, float, float]
) -> float:
    overlap_width = min(first[2], second[2]) - max(first[0], second[0])
    overlap_height = min(first[3], second[3]) - max(first[1], second[1])
    return max(0.0, overlap_width) * max(0.0, overlap_height)


def _covers(geometry: _Geometry, x: float, y: float) -> bool:
    if geometry.circle is not None:
        centre_x, centre_y, radius = geometry.circle
        return (x - centre_x) ** 2 + (y - centre_y) ** 2 <= radius**2
    inside = False
    vertices = geometry.vertices
    # Even-odd ray casting; stars are not convex, so a half-plane test would not do.
    for (x1, y1), (x2, y2) in zip(vertices, vertices[1:] + vertices[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside
