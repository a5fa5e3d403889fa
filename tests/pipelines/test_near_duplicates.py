"""The vectorised near-duplicate search groups exactly as a brute-force pairwise comparison does."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.builtin.phash import MAX_DISTANCE, near_duplicate_groups
from tests.pipelines.helpers import brute_force_groups


def _near(value: int, flips: list[int]) -> int:
    for bit in flips:
        value ^= 1 << bit
    return value


# Hashes near a few centres (flipping up to 8 bits: some just inside the distance, some just
# outside), many of them exact copies, and a few anywhere.
_hash_lists = st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=6).flatmap(
    lambda centres: st.lists(
        st.one_of(
            st.tuples(st.sampled_from(centres), st.lists(st.integers(0, 63), max_size=8)).map(
                lambda pair: _near(*pair)
            ),
            st.sampled_from(centres),
            st.integers(0, 2**64 - 1),
        ),
        max_size=120,
    )
)


@settings(max_examples=150, deadline=None)
@given(values=_hash_lists, max_distance=st.integers(0, MAX_DISTANCE))
def test_groups_equal_a_brute_force_pairwise_grouping(values: list[int], max_distance: int) -> None:
    hashes = {f"item{index:03d}": f"{value:016x}" for index, value in enumerate(values)}
    splits = {item_id: ("train", "val")[index % 2] for index, item_id in enumerate(hashes)}

    result = near_duplicate_groups(hashes, splits, max_distance)

    expected = brute_force_groups(hashes, max_distance)
    assert [group["items"] for group in result["groups"]] == expected
    assert result["max_distance"] == max_distance
    for group in result["groups"]:
        assert group["splits"] == sorted({splits[item_id] for item_id in group["items"]})
        assert group["leakage"] == (len(group["splits"]) > 1)
    assert result["leakage_warnings"] == sum(group["leakage"] for group in result["groups"])


def test_a_dense_cluster_of_thousands_of_distinct_hashes_is_one_group() -> None:
    # Given 3,000 distinct hashes each 3 bits from one centre (so any two are within 6 bits),
    # each present twice, plus hashes far from it
    generator = random.Random(11)
    centre = generator.getrandbits(64)
    cluster: set[int] = set()
    while len(cluster) < 3000:
        cluster.add(_near(centre, generator.sample(range(64), 3)))
    far = [centre ^ (2**64 - 1), centre ^ 0xFFFF_FFFF]
    hashes = {f"c{index:05d}": f"{value:016x}" for index, value in enumerate(sorted(cluster) * 2)}
    hashes.update({f"f{index}": f"{value:016x}" for index, value in enumerate(far)})

    # When grouped
    groups = near_duplicate_groups(hashes, {})["groups"]

    # Then the cluster is exactly one group and the far hashes are in none
    assert [group["items"] for group in groups] == [sorted(k for k in hashes if k[0] == "c")]


def test_identical_hashes_group_together_without_any_other_neighbour() -> None:
    hashes = {"a": "00000000000000ff", "b": "00000000000000ff", "c": "ff00000000000000"}

    groups = near_duplicate_groups(hashes, {"a": "train", "b": "test"})["groups"]

    assert groups == [{"items": ["a", "b"], "splits": ["test", "train"], "leakage": True}]
