import hashlib
import io
import math
import random

import imagehash
import numpy as np
import pytest
from PIL import Image

from pipelines.builtin import DEFAULT_PIPELINE  # noqa: F401 - registers the built-in steps
from pipelines.builtin.image_stats import image_statistics
from pipelines.builtin.phash import near_duplicate_groups
from pipelines.builtin.thumbnail import webp_thumbnail
from pipelines.dag import build_dag
from pipelines.inputs import ItemLoader
from pipelines.runner import MemoryStore, run
from tests.pipelines.helpers import brute_force_groups, image_item


def _gray(pixels: list[list[int]]) -> Image.Image:
    return Image.fromarray(np.array(pixels, dtype=np.uint8), mode="L")


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_uniform_image_has_no_contrast_blur_or_entropy() -> None:
    assert image_statistics(Image.new("L", (5, 4), 128)) == {
        "width": 5,
        "height": 4,
        "brightness": 128.0,
        "contrast": 0.0,
        "blur": 0.0,
        "entropy": 0.0,
    }


def test_single_bright_pixel_statistics_are_exact() -> None:
    pixels = [[0] * 5 for _ in range(5)]
    pixels[2][2] = 255
    p_bright, p_dark = 1 / 25, 24 / 25

    stats = image_statistics(_gray(pixels))

    assert stats["brightness"] == 10.2
    assert stats["contrast"] == round(math.sqrt(255**2 / 25 - 10.2**2), 6)
    # Laplacian: -4 * 255 at the pixel, 255 at its four neighbours, mean 0.
    assert stats["blur"] == (1020**2 + 4 * 255**2) / 25 == 52020.0
    assert stats["entropy"] == round(
        -(p_bright * math.log2(p_bright) + p_dark * math.log2(p_dark)), 6
    )


def test_half_black_half_white_has_one_bit_of_entropy() -> None:
    stats = image_statistics(_gray([[0, 0, 255, 255], [0, 0, 255, 255]]))

    assert (stats["brightness"], stats["contrast"], stats["entropy"]) == (127.5, 127.5, 1.0)


def test_colour_is_measured_on_itu_601_luminance() -> None:
    # Pillow's L = R * 299/1000 + G * 587/1000 + B * 114/1000: pure red is 76.
    assert image_statistics(Image.new("RGB", (3, 3), (255, 0, 0)))["brightness"] == 76.0
    assert image_statistics(Image.new("RGBA", (3, 3), (0, 0, 255, 7)))["brightness"] == 29.0


def test_phash_step_outputs_imagehash_hex_and_ignores_the_container() -> None:
    gradient = Image.fromarray(np.tile(np.arange(64, dtype=np.uint8) * 4, (64, 1)), mode="L")
    png = _png(gradient)
    buffer = io.BytesIO()
    gradient.save(buffer, format="BMP")
    store = MemoryStore()

    report = run(
        build_dag(["phash"]), [image_item("a", png), image_item("b", buffer.getvalue())], store
    )

    expected = str(imagehash.phash(gradient))
    assert len(expected) == 16
    assert store.outputs[report.item_keys["phash"]["a"]] == {"phash": expected}
    assert store.outputs[report.item_keys["phash"]["b"]] == {"phash": expected}


def test_near_duplicates_group_transitively_and_flag_groups_across_splits() -> None:
    hashes = {
        "a": f"{0:016x}",
        "b": f"{0x3F:016x}",  # 6 bits from a
        "c": f"{0x7F:016x}",  # 1 bit from b, 7 from a: joins through b
        "d": f"{0xFF << 56:016x}",
        "e": f"{(0xFF << 56) ^ 1:016x}",
        "f": f"{0x7F << 20:016x}",  # 7 bits from a, more from everyone else
    }
    splits = {"a": "train", "b": "train", "c": "val", "d": "train", "e": "train", "f": "val"}

    assert near_duplicate_groups(hashes, splits) == {
        "max_distance": 6,
        "groups": [
            {"items": ["a", "b", "c"], "splits": ["train", "val"], "leakage": True},
            {"items": ["d", "e"], "splits": ["train"], "leakage": False},
        ],
        "leakage_warnings": 1,
    }


def test_banded_search_finds_exactly_the_pairs_a_full_comparison_finds() -> None:
    generator = random.Random(7)
    centres = [generator.getrandbits(64) for _ in range(12)]
    values = []
    for index in range(200):
        value = centres[index % len(centres)]
        for _ in range(generator.randint(0, 5)):
            value ^= 1 << generator.randrange(64)
        values.append(value)
    hashes = {f"{index:03d}": f"{value:016x}" for index, value in enumerate(values)}

    groups = near_duplicate_groups(hashes, {})["groups"]

    assert [group["items"] for group in groups] == brute_force_groups(hashes, 6)


def test_near_duplicates_step_runs_over_the_version() -> None:
    image = Image.fromarray(np.tile(np.arange(64, dtype=np.uint8) * 4, (64, 1)), mode="L")
    noise = Image.fromarray(np.random.default_rng(3).integers(0, 256, (64, 64), dtype=np.uint8))
    items = [
        image_item("1", _png(image), split="train"),
        image_item("2", _png(image.convert("RGB")), split="test"),
        image_item("3", _png(noise), split="train"),
    ]
    store = MemoryStore()

    report = run(build_dag(["near_duplicates"]), items, store)

    assert store.outputs[report.dataset_keys["near_duplicates"]] == {
        "max_distance": 6,
        "groups": [{"items": ["1", "2"], "splits": ["test", "train"], "leakage": True}],
        "leakage_warnings": 1,
    }


@pytest.mark.parametrize(
    ("size", "expected"),
    [((1000, 500), (256, 128)), ((300, 900), (85, 256)), ((100, 50), (100, 50))],
)
def test_thumbnail_fits_256_pixels_and_hands_its_bytes_to_the_sink(
    size: tuple[int, int], expected: tuple[int, int]
) -> None:
    received: list[tuple[str, bytes, str]] = []
    store = MemoryStore()
    item = image_item("a", _png(Image.new("RGB", size, (200, 30, 90))))

    report = run(
        build_dag(["thumbnail"]), [item], store, ItemLoader(lambda *blob: received.append(blob))
    )
    rerun = run(
        build_dag(["thumbnail"]), [item], store, ItemLoader(lambda *blob: received.append(blob))
    )

    [(sha256, data, media_type)] = received  # the rerun reuses the output and sends nothing
    output = store.outputs[report.item_keys["thumbnail"]["a"]]
    assert output == {
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "width": expected[0],
        "height": expected[1],
        "media_type": "image/webp",
    }
    assert (sha256, media_type) == (output["sha256"], "image/webp")
    with Image.open(io.BytesIO(data)) as decoded:
        assert (decoded.format, decoded.size) == ("WEBP", expected)
    assert rerun.computed == 0


def test_thumbnail_keeps_transparency_and_encodes_deterministically() -> None:
    image = Image.new("RGBA", (40, 20), (10, 20, 30, 0))

    first, width, height = webp_thumbnail(image)
    second, _, _ = webp_thumbnail(image)

    assert first == second
    with Image.open(io.BytesIO(first)) as decoded:
        assert (decoded.mode, width, height) == ("RGBA", 40, 20)
