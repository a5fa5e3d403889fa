import math
import random

import pytest

from formats.geometry import (
    bounds,
    box_from_corners,
    is_rectangle,
    number,
    polygon_area,
    rotated_corners,
)


@pytest.mark.parametrize(
    ("value", "written"), [(3.0, 3), (2.499, 2.5), (-0.004, 0), (1e-13 + 12, 12), (7.125, 7.12)]
)
def test_numbers_are_written_with_two_decimals_and_integers_bare(
    value: float, written: float
) -> None:
    assert number(value) == written
    assert type(number(value)) is type(written)


def test_a_turned_box_comes_back_from_its_corners() -> None:
    corners = rotated_corners([30.0, 10.0, 50.0, 20.0], 120.0)

    box, rotation = box_from_corners(corners)

    assert is_rectangle(corners)
    assert box == pytest.approx([30.0, 10.0, 50.0, 20.0])
    assert rotation == pytest.approx(120.0)


def test_quarter_turn_corners_and_bounds() -> None:
    shape = {"kind": "box", "points": [0.0, 0.0, 4.0, 2.0], "rotation": 90.0}

    assert rotated_corners(shape["points"], 90.0) == pytest.approx([3, -1, 3, 3, 1, 3, 1, -1])
    assert bounds(shape) == pytest.approx((1.0, -1.0, 3.0, 3.0))


def test_bounds_of_keypoints_ignore_the_absent_ones() -> None:
    shape = {"kind": "keypoints", "points": [5.0, 6.0, 2.0, 0.0, 0.0, 0.0, 9.0, 1.0, 1.0]}

    assert bounds(shape) == (5.0, 1.0, 9.0, 6.0)
    assert bounds({"kind": "keypoints", "points": [0.0, 0.0, 0.0]}) is None
    assert bounds({"kind": "tag", "points": []}) is None


def test_polygon_area_is_the_exact_shoelace_area() -> None:
    assert polygon_area([0.0, 0.0, 4.0, 0.0, 4.0, 3.0]) == 6.0
    assert polygon_area([0.0, 0.0, 0.0, 3.0, 4.0, 3.0, 4.0, 0.0]) == 12.0


def test_number_takes_its_fast_paths_only_where_round_gives_the_same_value():
    def reference(value):
        rounded = round(value, 2)
        whole = int(rounded)
        return whole if whole == rounded else rounded

    generator = random.Random(8)
    values = [0.29, 0.285, 2.675, 1.005, 0.1 + 0.2, -0.0, 1e300, 5e-324, 12.000000000001, 7, -3]
    for _ in range(20000):
        hundredths = generator.randint(-(10**7), 10**7) / 100
        values += [hundredths, math.nextafter(hundredths, math.inf), hundredths * 3]
        values.append(generator.uniform(-1e4, 1e4))
    for value in values:
        expected = reference(value)
        assert (type(number(value)), repr(number(value))) == (type(expected), repr(expected))
